package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// Payment is a PortOne payment as the API shows it. What PortOne reported
// (paid amount, transaction) stays null until the payment was verified.
type Payment struct {
	PaymentID     string     `json:"payment_id" doc:"The paymentId the browser SDK pays under."`
	Status        string     `json:"status" enum:"PREPARED,AWAITING_DEPOSIT,PAID,MISMATCHED,FAILED,CANCELLED,EXPIRED" doc:"PREPARED and AWAITING_DEPOSIT are open; the rest are final. MISMATCHED means PortOne reported another amount or currency than was prepared: nothing was credited and the payment was refunded."`
	Product       string     `json:"product" enum:"CASH,PREMIUM"`
	OrderName     string     `json:"order_name"`
	Amount        string     `json:"amount" example:"10000" doc:"What must be paid, in won."`
	Currency      string     `json:"currency" example:"KRW"`
	CreditAmount  string     `json:"credit_amount" example:"1000000" doc:"Virtual cash a CASH payment books once paid; 0 for PREMIUM."`
	PremiumDays   *int       `json:"premium_days" doc:"Days a PREMIUM payment adds to premium_until; null for CASH."`
	PaidAmount    *string    `json:"paid_amount" doc:"What PortOne reported as paid; null until verified."`
	PaidCurrency  *string    `json:"paid_currency"`
	TransactionID *string    `json:"transaction_id" doc:"PortOne's id of the paying attempt (the SDK's txId)."`
	Reason        *string    `json:"reason" doc:"Why the payment failed, mismatched, was cancelled or expired."`
	FulfilledAt   *time.Time `json:"fulfilled_at" doc:"When the cash or premium was booked; null until then."`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func paymentDTO(p domain.Payment) Payment {
	var days *int
	if p.Product == domain.ProductPremium {
		d := p.PremiumDays
		days = &d
	}
	return Payment{
		PaymentID: p.ID, Status: string(p.Status), Product: string(p.Product), OrderName: p.OrderName,
		Amount: money(p.Amount), Currency: p.Currency, CreditAmount: money(p.CreditAmount), PremiumDays: days,
		PaidAmount: nullMoney(p.PaidAmount), PaidCurrency: nullString(p.PaidCurrency),
		TransactionID: nullString(p.TransactionID), Reason: nullString(p.Reason),
		FulfilledAt: nullTime(p.FulfilledAt), CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt),
	}
}

// PreparedPayment is everything the browser SDK's requestPayment needs,
// plus what the payment will buy.
type PreparedPayment struct {
	StoreID      string    `json:"store_id" doc:"storeId for PortOne.requestPayment."`
	ChannelKey   string    `json:"channel_key" doc:"channelKey for PortOne.requestPayment."`
	PaymentID    string    `json:"payment_id" doc:"paymentId for PortOne.requestPayment; then POST it to /payments/portone/complete."`
	OrderName    string    `json:"order_name" doc:"orderName for PortOne.requestPayment."`
	Amount       string    `json:"amount" example:"10000" doc:"The amount fixed by the server, in won."`
	TotalAmount  int64     `json:"total_amount" example:"10000" doc:"amount as an integer, ready for requestPayment's totalAmount."`
	Currency     string    `json:"currency" example:"KRW"`
	Product      string    `json:"product" enum:"CASH,PREMIUM"`
	CreditAmount string    `json:"credit_amount" example:"1000000" doc:"Virtual cash booked once paid; 0 for PREMIUM."`
	PremiumDays  *int      `json:"premium_days" doc:"Days of premium once paid; null for CASH."`
	ExpiresAt    time.Time `json:"expires_at" doc:"The payment must be paid before this time, or it expires."`
}

type preparePaymentInput struct {
	Body struct {
		Amount    Money  `json:"amount" doc:"Whole won."`
		OrderName string `json:"order_name" maxLength:"40" example:"가상머니 10,000원 충전" doc:"Shown in the payment window; at most 40 characters."`
		Currency  string `json:"currency,omitempty" example:"KRW" doc:"KRW (the default); CURRENCY_KRW is accepted too."`
		Product   string `json:"product,omitempty" enum:"CASH,PREMIUM" doc:"CASH (the default) tops up virtual cash; PREMIUM extends the subscription and must cost exactly the premium price."`
	}
}

type preparedOutput struct {
	Body Envelope[PreparedPayment]
}

type completePaymentInput struct {
	Body struct {
		PaymentID string `json:"payment_id" maxLength:"64" doc:"The payment_id from prepare."`
	}
}

type paymentOutput struct {
	Body Envelope[Payment]
}

type paymentIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type listPaymentsInput struct {
	Cursor string `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page, unchanged."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

type paymentsOutput struct {
	Body Page[Payment]
}

// webhookInput is a PortOne webhook exactly as it arrived. The signature
// covers the raw body bytes, so the body is never decoded and re-encoded
// before verification; every header is kept (with its repeats, which the
// verifier refuses) because the three webhook-* headers are read by the
// gateway, not here.
type webhookInput struct {
	RawBody []byte `contentType:"application/json"`
	header  map[string][]string
}

// Resolve collects the request's headers for the verifier.
func (in *webhookInput) Resolve(ctx huma.Context) []error {
	in.header = map[string][]string{}
	ctx.EachHeader(func(name, value string) {
		k := http.CanonicalHeaderKey(name)
		in.header[k] = append(in.header[k], value)
	})
	return nil
}

// WebhookAck is the answer to an accepted webhook; PortOne only looks at
// the status.
type WebhookAck struct {
	Received bool `json:"received"`
}

type webhookOutput struct {
	Body Envelope[WebhookAck]
}

func (s *server) registerPayments(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "prepare-portone-payment", Method: http.MethodPost, Path: "/payments/portone/prepare", Tags: []string{"payments"},
		Summary: "Prepare a PortOne payment",
		Description: "Fixes the amount, currency and product on the server and assigns the payment_id. Pass store_id, " +
			"channel_key, payment_id, order_name and total_amount to PortOne.requestPayment in the browser, then POST " +
			"the payment_id to /payments/portone/complete. A CASH top-up books amount × the configured rate as a " +
			"DEPOSIT once PortOne confirms the payment; PREMIUM extends premium_until. 503 when payments are not " +
			"configured on this server.",
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *preparePaymentInput) (*preparedOutput, error) {
		amount, err := in.Body.Amount.required("amount")
		if err != nil {
			return nil, err
		}
		res, err := s.svc.Payments.Prepare(ctx, userID(ctx), service.PrepareInput{
			Amount: amount, OrderName: in.Body.OrderName, Currency: in.Body.Currency, Product: in.Body.Product,
		})
		if err != nil {
			return nil, err
		}
		p := res.Payment
		out := PreparedPayment{
			StoreID: res.StoreID, ChannelKey: res.ChannelKey, PaymentID: p.ID, OrderName: p.OrderName,
			Amount: money(p.Amount), TotalAmount: p.Amount.IntPart(), Currency: p.Currency, Product: string(p.Product),
			CreditAmount: money(p.CreditAmount), PremiumDays: paymentDTO(p).PremiumDays,
			ExpiresAt: utc(p.CreatedAt.Add(s.svc.Config().Payments.Expiry)),
		}
		return &preparedOutput{Body: Envelope[PreparedPayment]{out}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "complete-portone-payment", Method: http.MethodPost, Path: "/payments/portone/complete", Tags: []string{"payments"},
		Summary: "Verify a payment after the browser paid",
		Description: "Call after PortOne.requestPayment resolved without a code. The server asks PortOne itself " +
			"(nothing the browser reports is trusted), checks amount and currency against what was prepared, and " +
			"answers the verified payment: PAID once credited, AWAITING_DEPOSIT for an issued virtual account, " +
			"PREPARED while PortOne has nothing yet, or FAILED, MISMATCHED. Calling it again is harmless. Another " +
			"user's payment is 404.",
	}, func(ctx context.Context, in *completePaymentInput) (*paymentOutput, error) {
		if in.Body.PaymentID == "" {
			return nil, domain.FieldErrorf(domain.CodeInvalid, "payment_id", "is required")
		}
		p, err := s.svc.Payments.Complete(ctx, userID(ctx), in.Body.PaymentID)
		if err != nil {
			return nil, err
		}
		return &paymentOutput{Body: Envelope[Payment]{paymentDTO(p)}}, nil
	})

	register(api, public, huma.Operation{
		OperationID: "portone-webhook", Method: http.MethodPost, Path: "/payments/portone/webhook", Tags: []string{"payments"},
		Summary: "PortOne webhook (Standard Webhooks signature, no bearer token)",
		Description: "PortOne's 2024-04-25 webhook. The webhook-id, webhook-timestamp and webhook-signature headers " +
			"are verified over the raw body with PORTONE_WEBHOOK_SECRET; the timestamp must lie within 5 minutes of " +
			"the server clock. The payment it names is then verified with PortOne, so a webhook is only ever a hint. " +
			"200 once the event is recorded (unknown event types and unknown payments included, so PortOne stops " +
			"retrying); 400 when verification fails; 503 when payments or the webhook secret are not configured.",
		Responses: map[string]*huma.Response{
			"400": problemResponse(api, "The signature, timestamp or headers did not verify."),
		},
		// The body is only bytes until its signature is checked: Huma must
		// not validate (or reject) it as JSON first.
		SkipValidateBody: true,
	}, func(ctx context.Context, in *webhookInput) (*webhookOutput, error) {
		if err := s.svc.Payments.HandleWebhook(ctx, in.header, in.RawBody); err != nil {
			if p := webhookRejection(err); p != nil {
				return nil, p
			}
			return nil, err
		}
		return &webhookOutput{Body: Envelope[WebhookAck]{WebhookAck{Received: true}}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "list-payments", Method: http.MethodGet, Path: "/payments", Tags: []string{"payments"},
		Summary: "The caller's payments, newest first",
	}, func(ctx context.Context, in *listPaymentsInput) (*paymentsOutput, error) {
		after, err := readCursor(cursorPayments, in.Cursor)
		if err != nil {
			return nil, err
		}
		ps, next, err := s.svc.Payments.List(ctx, userID(ctx), after, in.Limit)
		if err != nil {
			return nil, err
		}
		out := make([]Payment, len(ps))
		for i, p := range ps {
			out[i] = paymentDTO(p)
		}
		return &paymentsOutput{Body: Page[Payment]{Data: out, NextCursor: nextCursor(cursorPayments, next)}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-payment", Method: http.MethodGet, Path: "/payments/{id}", Tags: []string{"payments"},
		Summary: "One of the caller's payments",
	}, func(ctx context.Context, in *paymentIDInput) (*paymentOutput, error) {
		p, err := s.svc.Payments.Get(ctx, userID(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &paymentOutput{Body: Envelope[Payment]{paymentDTO(p)}}, nil
	})
}

// webhookRejection answers a delivery that did not verify with 400, as
// PortOne's own examples do: the gateway reports a bad signature or a
// stale timestamp as unauthorized and an unreadable body as invalid, but
// 401 would suggest a bearer token could help. Everything else (503 when
// unconfigured, 500 when the database failed) keeps its status, so that
// PortOne retries what may succeed later.
func webhookRejection(err error) *Problem {
	switch domain.ErrorCode(err) {
	case domain.CodeUnauthorized, domain.CodeInvalid:
		var de *domain.Error
		errors.As(err, &de)
		return newProblem(http.StatusBadRequest, string(domain.CodeInvalid), "the webhook did not verify: "+de.Message)
	}
	return nil
}
