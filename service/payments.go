package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// PaymentConfig holds the settings of paid top-ups and subscriptions.
type PaymentConfig struct {
	// CashPerWon is how much virtual cash one paid won buys.
	CashPerWon decimal.Decimal
	// MinAmount and MaxAmount bound one payment, in won.
	MinAmount decimal.Decimal
	MaxAmount decimal.Decimal
	// PremiumPrice buys PremiumDays of premium.
	PremiumPrice decimal.Decimal
	PremiumDays  int
	// Expiry is how long a prepared payment waits to be paid.
	Expiry time.Duration
	// RequireLiveChannel refuses payments made through a TEST channel, so
	// that test payments never credit a production balance.
	RequireLiveChannel bool
}

func (c *PaymentConfig) setDefaults() {
	if c.CashPerWon.IsZero() {
		c.CashPerWon = decimal.NewFromInt(100)
	}
	if c.MinAmount.IsZero() {
		c.MinAmount = decimal.NewFromInt(1_000)
	}
	if c.MaxAmount.IsZero() {
		c.MaxAmount = decimal.NewFromInt(1_000_000)
	}
	if c.PremiumPrice.IsZero() {
		c.PremiumPrice = decimal.NewFromInt(9_900)
	}
	if c.PremiumDays == 0 {
		c.PremiumDays = 30
	}
	if c.Expiry == 0 {
		c.Expiry = 30 * time.Minute
	}
}

// Payments prepares PortOne payments, reconciles them with what PortOne
// reports and fulfils each paid one exactly once.
type Payments struct {
	*core
	gateway ports.PaymentGateway
}

// Outbox message kind that starts a payment's workflow.
const OutboxPaymentStart = "payment.start"

// PaymentEvent is the payload of payment outbox messages and the input of
// the payment workflow.
type PaymentEvent struct {
	PaymentID string    `json:"payment_id"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// EventFor is the event that starts (or restarts) a payment's
// workflow: the payment expires a payment window after it was prepared.
func (s *Payments) EventFor(p domain.Payment) PaymentEvent {
	return PaymentEvent{PaymentID: p.ID, UserID: p.UserID, ExpiresAt: p.CreatedAt.UTC().Add(s.cfg.Payments.Expiry)}
}

// PrepareInput is what the browser asks to pay for.
type PrepareInput struct {
	Amount    decimal.Decimal
	OrderName string
	Currency  string
	Product   string // CASH (default) or PREMIUM
}

// Prepared is a payment the browser SDK can now request.
type Prepared struct {
	Payment    domain.Payment
	StoreID    string
	ChannelKey string
}

func (s *Payments) paymentsEnabled() error {
	if s.gateway == nil {
		return domain.Errorf(domain.CodeUnavailable, "payments are not configured on this server (PORTONE_V2_API_SECRET is unset)")
	}
	return nil
}

// Prepare fixes amount, currency and product on the server and
// assigns the payment id the browser must pay under.
func (s *Payments) Prepare(ctx context.Context, userID string, in PrepareInput) (Prepared, error) {
	if err := s.paymentsEnabled(); err != nil {
		return Prepared{}, err
	}
	cfg := s.cfg.Payments
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" || cur == "CURRENCY_KRW" {
		cur = domain.Currency
	}
	if cur != domain.Currency {
		return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "currency", "only KRW is accepted, got %q", in.Currency)
	}
	if !in.Amount.IsPositive() || !in.Amount.Equal(in.Amount.Truncate(0)) {
		return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "amount", "must be a positive whole number of won, got %s", in.Amount)
	}
	name := strings.TrimSpace(in.OrderName)
	if name == "" || utf8.RuneCountInString(name) > 40 {
		return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "order_name", "must be 1 to 40 characters (payment gateways cut longer names)")
	}
	p := domain.Payment{UserID: userID, OrderName: name, Amount: in.Amount, Currency: cur, Status: domain.PaymentPrepared, CreditAmount: decimal.Zero}
	switch domain.Product(strings.ToUpper(strings.TrimSpace(in.Product))) {
	case "", domain.ProductCash:
		p.Product = domain.ProductCash
		if in.Amount.LessThan(cfg.MinAmount) || in.Amount.GreaterThan(cfg.MaxAmount) {
			return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "amount", "a top-up must be between %s and %s won, got %s", cfg.MinAmount, cfg.MaxAmount, in.Amount)
		}
		p.CreditAmount = in.Amount.Mul(cfg.CashPerWon)
	case domain.ProductPremium:
		p.Product = domain.ProductPremium
		if !in.Amount.Equal(cfg.PremiumPrice) {
			return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "amount", "premium costs %s won, got %s", cfg.PremiumPrice, in.Amount)
		}
		p.PremiumDays = cfg.PremiumDays
	default:
		return Prepared{}, domain.FieldErrorf(domain.CodeInvalid, "product", "must be CASH or PREMIUM, got %q", in.Product)
	}
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		p.ID = s.paymentID()
		p.CreatedAt, p.UpdatedAt = now, now
		if err := tx.CreatePayment(ctx, p); err != nil {
			return err
		}
		payload, err := json.Marshal(PaymentEvent{PaymentID: p.ID, UserID: userID, ExpiresAt: now.Add(cfg.Expiry)})
		if err != nil {
			return err
		}
		return tx.Enqueue(ctx, ports.OutboxMessage{ID: s.ids.NewID(), Kind: OutboxPaymentStart, Key: p.ID, Payload: payload, NextTry: now, CreatedAt: now})
	})
	if err != nil {
		return Prepared{}, err
	}
	s.kick()
	return Prepared{Payment: p, StoreID: s.gateway.StoreID(), ChannelKey: s.gateway.ChannelKey()}, nil
}

// paymentID is a UUIDv7 without hyphens: 32 alphanumerics, the form every
// PG accepts as a payment id.
func (s *Payments) paymentID() string { return strings.ReplaceAll(s.ids.NewID(), "-", "") }

// Get returns one of the user's payments; another user's payment is
// not found.
func (s *Payments) Get(ctx context.Context, userID, id string) (domain.Payment, error) {
	p, err := s.store.GetPayment(ctx, id)
	if err == nil && p.UserID != userID {
		err = domain.ErrNotFound
	}
	if domain.IsCode(err, domain.CodeNotFound) {
		return domain.Payment{}, domain.Errorf(domain.CodeNotFound, "no payment %s", id)
	}
	return p, err
}

// List returns a page of the user's payments, newest first.
func (s *Payments) List(ctx context.Context, userID, cursor string, limit int) ([]domain.Payment, string, error) {
	n := page(limit, 50, 200)
	ps, err := s.store.ListPayments(ctx, userID, cursor, n+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ps) > n {
		ps = ps[:n]
		next = ps[n-1].ID
	}
	return ps, next, nil
}

// Complete is the browser telling the server it finished paying.
// The answer is the verified outcome, decided by asking PortOne, never by
// trusting the browser.
func (s *Payments) Complete(ctx context.Context, userID, id string) (domain.Payment, error) {
	if err := s.paymentsEnabled(); err != nil {
		return domain.Payment{}, err
	}
	p, err := s.Get(ctx, userID, id)
	if err != nil {
		return domain.Payment{}, err
	}
	if p.Status.Final() {
		return p, nil
	}
	if s.workflows != nil {
		err := s.workflows.CompletePayment(ctx, id)
		if !errors.Is(err, ports.ErrWorkflowUnavailable) {
			if err != nil {
				return domain.Payment{}, err
			}
			return s.store.GetPayment(ctx, id)
		}
		s.log.Warn("workflow engine unavailable; verifying the payment directly", "payment_id", id)
	}
	return s.Sync(ctx, id)
}

// HandleWebhook verifies a PortOne webhook over its raw body and hands the
// payment it names to its workflow (or verifies it directly when no
// workflow engine answers). Unknown event types and unknown payments are
// acknowledged and ignored, as PortOne recommends.
func (s *Payments) HandleWebhook(ctx context.Context, header map[string][]string, body []byte) error {
	if err := s.paymentsEnabled(); err != nil {
		return err
	}
	ev, err := s.gateway.VerifyWebhook(header, body, s.clock.Now())
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ev.Type, "Transaction.") || ev.PaymentID == "" {
		s.log.Info("ignoring PortOne webhook", "type", ev.Type, "webhook_id", ev.ID)
		return nil
	}
	p, err := s.store.GetPayment(ctx, ev.PaymentID)
	if domain.IsCode(err, domain.CodeNotFound) {
		s.log.Warn("PortOne webhook for an unknown payment", "payment_id", ev.PaymentID, "type", ev.Type, "webhook_id", ev.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if s.workflows != nil && !p.Status.Final() {
		err := s.workflows.PaymentWebhook(ctx, ev.PaymentID)
		if !errors.Is(err, ports.ErrWorkflowUnavailable) {
			return err
		}
		s.log.Warn("workflow engine unavailable; verifying the payment directly", "payment_id", ev.PaymentID)
	}
	_, err = s.Sync(ctx, ev.PaymentID)
	return err
}

// Sync asks PortOne for the payment and applies what it says: a
// payment PAID with the prepared amount and currency is fulfilled exactly
// once; PAID with anything else is marked MISMATCHED and refunded; FAILED
// and CANCELLED are final; an issued virtual account awaits its deposit.
// Safe to call any number of times, concurrently.
func (s *Payments) Sync(ctx context.Context, id string) (domain.Payment, error) {
	if err := s.paymentsEnabled(); err != nil {
		return domain.Payment{}, err
	}
	local, err := s.store.GetPayment(ctx, id)
	if err != nil {
		return domain.Payment{}, err
	}
	if local.Status.Final() {
		return local, nil
	}
	gp, err := s.gateway.GetPayment(ctx, id)
	if domain.IsCode(err, domain.CodeNotFound) {
		// The browser has not opened the payment window yet.
		return local, nil
	}
	if err != nil {
		return domain.Payment{}, err
	}
	switch gp.Status {
	case domain.GatewayPaid:
		if why := s.mismatch(local, gp); why != "" {
			return s.rejectMismatch(ctx, local, gp, why)
		}
		return s.fulfil(ctx, id, gp)
	case domain.GatewayVirtualAccountIssued:
		return s.transitionPayment(ctx, id, domain.PaymentAwaitingDeposit, gp, "virtual account issued; waiting for the deposit")
	case domain.GatewayFailed:
		return s.transitionPayment(ctx, id, domain.PaymentFailed, gp, nonEmpty(gp.FailureReason, "the payment failed"))
	case domain.GatewayCancelled, domain.GatewayPartialCancelled:
		return s.transitionPayment(ctx, id, domain.PaymentCancelled, gp, "cancelled at PortOne before it was fulfilled")
	}
	return local, nil
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mismatch explains why a PAID payment does not match what was prepared,
// or returns "".
func (s *Payments) mismatch(p domain.Payment, gp domain.GatewayPayment) string {
	switch {
	case !decimal.NewFromInt(gp.TotalAmount).Equal(p.Amount):
		return "paid " + decimal.NewFromInt(gp.TotalAmount).String() + " but " + p.Amount.String() + " was prepared"
	case !strings.EqualFold(gp.Currency, p.Currency):
		return "paid in " + gp.Currency + " but " + p.Currency + " was prepared"
	case gp.StoreID != "" && s.gateway.StoreID() != "" && gp.StoreID != s.gateway.StoreID():
		return "paid to another store"
	case s.cfg.Payments.RequireLiveChannel && gp.ChannelType != "LIVE":
		return "paid through a " + nonEmpty(gp.ChannelType, "unknown") + " channel; only LIVE channels credit balances"
	}
	return ""
}

// fulfil books a matching PAID payment exactly once: the payment row is
// locked and moved from an open status to PAID in the same transaction as
// the credit, and the ledger's unique payment_id backs that up.
func (s *Payments) fulfil(ctx context.Context, id string, gp domain.GatewayPayment) (domain.Payment, error) {
	var p domain.Payment
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		peek, err := tx.GetPayment(ctx, id)
		if err != nil {
			return err
		}
		acct, err := tx.LockAccount(ctx, peek.UserID)
		if err != nil {
			return err
		}
		if p, err = tx.LockPayment(ctx, id); err != nil {
			return err
		}
		if p.Status.Final() {
			return nil
		}
		now := s.clock.Now().UTC()
		from := p.Status
		switch p.Product {
		case domain.ProductCash:
			if err := s.bookCash(ctx, tx, &acct, domain.TxDeposit, p.CreditAmount, p.ID, "PortOne payment "+p.ID); err != nil {
				return err
			}
		case domain.ProductPremium:
			u, err := tx.GetUser(ctx, p.UserID)
			if err != nil {
				return err
			}
			start := now
			if u.PremiumUntil.After(now) {
				start = u.PremiumUntil
			}
			u.PremiumUntil = start.AddDate(0, 0, p.PremiumDays)
			u.UpdatedAt = now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		p.Status = domain.PaymentPaid
		p.PaidAmount = decimal.NewNullDecimal(decimal.NewFromInt(gp.TotalAmount))
		p.PaidCurrency = gp.Currency
		p.TransactionID = gp.TransactionID
		p.FulfilledAt = now
		p.UpdatedAt = now
		ok, err := tx.UpdatePayment(ctx, p, from)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.CodeConflict, "payment %s changed while being fulfilled", id)
		}
		return nil
	})
	if errors.Is(err, domain.ErrDuplicate) {
		// The ledger already holds this payment's deposit.
		return s.store.GetPayment(ctx, id)
	}
	return p, err
}

// rejectMismatch marks a tampered payment and refunds it through PortOne.
func (s *Payments) rejectMismatch(ctx context.Context, local domain.Payment, gp domain.GatewayPayment, why string) (domain.Payment, error) {
	s.log.Warn("PortOne payment does not match what was prepared; refunding", "payment_id", local.ID, "reason", why)
	p, err := s.transitionPayment(ctx, local.ID, domain.PaymentMismatched, gp, why)
	if err != nil {
		return p, err
	}
	if err := s.gateway.CancelPayment(ctx, local.ID, "amount or currency does not match the order: "+why, "stocking-mismatch-"+local.ID); err != nil {
		// The payment is already marked and credits nothing; the payment
		// workflow retries the refund until PortOne takes it.
		s.log.Error("refunding a mismatched payment", "payment_id", local.ID, "err", err)
	}
	return p, nil
}

// RefundMismatched repeats the refund of a MISMATCHED payment; the
// idempotency key makes a repeat harmless.
func (s *Payments) RefundMismatched(ctx context.Context, id string) error {
	p, err := s.store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	if p.Status != domain.PaymentMismatched {
		return nil
	}
	return s.gateway.CancelPayment(ctx, id, "amount or currency does not match the order: "+p.Reason, "stocking-mismatch-"+id)
}

// transitionPayment moves an open payment to another status (never
// PAID: only fulfil does that) and records what PortOne reported.
func (s *Payments) transitionPayment(ctx context.Context, id string, to domain.PaymentStatus, gp domain.GatewayPayment, reason string) (domain.Payment, error) {
	var p domain.Payment
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if p, err = tx.LockPayment(ctx, id); err != nil {
			return err
		}
		if p.Status.Final() || p.Status == to {
			return nil
		}
		from := p.Status
		p.Status = to
		p.Reason = reason
		if gp.ID != "" {
			p.TransactionID = gp.TransactionID
			if to == domain.PaymentMismatched {
				p.PaidAmount = decimal.NewNullDecimal(decimal.NewFromInt(gp.TotalAmount))
				p.PaidCurrency = gp.Currency
			}
		}
		p.UpdatedAt = s.clock.Now().UTC()
		_, err = tx.UpdatePayment(ctx, p, from)
		return err
	})
	return p, err
}

// Expire closes a payment nobody paid in time.
func (s *Payments) Expire(ctx context.Context, id string) (domain.Payment, error) {
	return s.transitionPayment(ctx, id, domain.PaymentExpired, domain.GatewayPayment{}, "not paid in time")
}
