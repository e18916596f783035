package portonefake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// idempotencyTTL is how long PortOne remembers an Idempotency-Key.
const idempotencyTTL = 3 * time.Hour

// maxRequestBytes bounds request bodies; PortOne's are tiny.
const maxRequestBytes = 1 << 20

// maxWebhookExecutions is PaymentWebhook.maxExecutionCount: one attempt and
// five retries.
const maxWebhookExecutions = 6

func (s *Server) routes() {
	m := http.NewServeMux()
	// The REST API, as the client calls it.
	m.HandleFunc("GET /payments/{paymentId}", s.handleGetPayment)
	m.HandleFunc("POST /payments/{paymentId}/cancel", s.handleCancel)
	m.HandleFunc("POST /payments/{paymentId}/resend-webhook", s.handleResendWebhook)
	// The control API and pages, as a developer or a test drives them.
	m.HandleFunc("GET /__fake/checkout", s.handleCheckoutPage)
	m.HandleFunc("POST /__fake/checkout", s.handleCheckoutSubmit)
	m.HandleFunc("GET /__fake/payments", s.handleControlList)
	m.HandleFunc("GET /__fake/payments/{paymentId}", s.handleControlGet)
	m.HandleFunc("POST /__fake/payments/{paymentId}/open", s.handleControlAction("open"))
	m.HandleFunc("POST /__fake/payments/{paymentId}/pay", s.handleControlAction("pay"))
	m.HandleFunc("POST /__fake/payments/{paymentId}/fail", s.handleControlAction("fail"))
	m.HandleFunc("POST /__fake/payments/{paymentId}/virtual-account", s.handleControlAction("virtual-account"))
	m.HandleFunc("POST /__fake/payments/{paymentId}/deposit", s.handleControlAction("deposit"))
	m.HandleFunc("POST /__fake/payments/{paymentId}/resend", s.handleControlResend)
	m.HandleFunc("GET /__fake/webhooks", s.handleControlWebhooks)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "NOT_FOUND", "no route for %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
}

// authorized insists on the exact scheme PortOne documents, so a client
// that sends "Bearer <secret>" or a lower-case scheme fails here as it would
// in production.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "PortOne "+s.cfg.APISecret {
		return true
	}
	writeError(w, errorf(http.StatusUnauthorized, "UNAUTHORIZED", "missing or invalid credentials"))
	return false
}

// checkStore refuses a storeId the secret does not manage. Whether PortOne
// answers 403 or 404 for another store is undocumented; 403 FORBIDDEN is
// what its error table describes.
func (s *Server) checkStore(storeID string) *Error {
	if storeID != "" && storeID != s.cfg.StoreID {
		return errorf(http.StatusForbidden, "FORBIDDEN", "store %s is not accessible with this secret", storeID)
	}
	return nil
}

func (s *Server) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	if e := s.checkStore(r.URL.Query().Get("storeId")); e != nil {
		writeError(w, e)
		return
	}
	id := r.PathValue("paymentId")
	s.mu.Lock()
	p, ok := s.payments[id]
	var body wirePayment
	if ok {
		body = s.wirePaymentLocked(p)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "Payment not found."))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// idemEntry is a remembered Idempotency-Key: pending while its first request
// runs, then the stored response.
type idemEntry struct {
	fingerprint string
	done        bool
	status      int
	body        []byte
	expires     time.Time
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	// Content-Type is deliberately not checked: PortOne's own JS SDK
	// posts JSON without it.
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "INVALID_REQUEST", "reading the body: %v", err))
		return
	}
	key, kerr := idempotencyKey(r.Header)
	if kerr != nil {
		writeError(w, kerr)
		return
	}
	var entry *idemEntry
	if key != "" {
		fp := r.Method + " " + r.URL.EscapedPath() + "\n" + string(raw)
		s.mu.Lock()
		now := s.now()
		if e, ok := s.idem[key]; ok && now.Before(e.expires) {
			stored := *e // the first request may still fill it in
			s.mu.Unlock()
			switch {
			case !stored.done:
				writeError(w, errorf(http.StatusConflict, "IDEMPOTENCY_OUTSTANDING_REQUEST", "a request with this Idempotency-Key is still being processed"))
			case stored.fingerprint != fp:
				// PortOne only says never to do this; refusing makes the
				// mistake visible instead of replaying an unrelated answer.
				writeError(w, errorf(http.StatusBadRequest, "INVALID_REQUEST", "this Idempotency-Key was used for a different request"))
			default:
				writeRaw(w, stored.status, stored.body)
			}
			return
		}
		if len(s.idem) >= 1024 {
			// Forget expired keys now and then so a long dev session
			// does not keep every key it ever saw.
			for k, e := range s.idem {
				if !now.Before(e.expires) {
					delete(s.idem, k)
				}
			}
		}
		entry = &idemEntry{fingerprint: fp, expires: now.Add(idempotencyTTL)}
		s.idem[key] = entry
		s.mu.Unlock()
	}

	status, resp := s.applyCancel(r.PathValue("paymentId"), raw)
	body, _ := json.Marshal(resp)

	if entry != nil {
		s.mu.Lock()
		entry.done, entry.status, entry.body = true, status, body
		s.mu.Unlock()
	}
	writeRaw(w, status, body)
}

// idempotencyKey reads the optional Idempotency-Key: an RFC 8941 string
// (double quotes) of 16 to 256 characters. A malformed key is refused
// rather than ignored, because ignoring it would silently drop the
// protection the caller asked for.
func idempotencyKey(h http.Header) (string, *Error) {
	vals := h.Values("Idempotency-Key")
	if len(vals) == 0 {
		return "", nil
	}
	if len(vals) > 1 {
		return "", errorf(http.StatusBadRequest, "INVALID_REQUEST", "Idempotency-Key must be sent once")
	}
	key, ok := parseSFString(strings.TrimSpace(vals[0]))
	if !ok {
		return "", errorf(http.StatusBadRequest, "INVALID_REQUEST", `Idempotency-Key must be a quoted string such as "cancel-ord-42-7f3a9c1e0b"`)
	}
	if n := len(key); n < 16 || n > 256 {
		return "", errorf(http.StatusBadRequest, "INVALID_REQUEST", "Idempotency-Key must be 16 to 256 characters, got %d", n)
	}
	return key, nil
}

// parseSFString decodes an RFC 8941 sf-string: printable ASCII between
// double quotes, with \" and \\ as the only escapes.
func parseSFString(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		switch {
		case c == '\\':
			i++
			if i >= len(v)-1 || (v[i] != '"' && v[i] != '\\') {
				return "", false
			}
			b.WriteByte(v[i])
		case c == '"', c < 0x20, c > 0x7e:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// cancelBody is the cancel request. Pointers tell "absent" from zero,
// which matters for amount (absent means everything) and
// currentCancellableAmount (absent means no check).
type cancelBody struct {
	Reason                   *string `json:"reason"`
	StoreID                  *string `json:"storeId"`
	Amount                   *int64  `json:"amount"`
	TaxFreeAmount            *int64  `json:"taxFreeAmount"`
	VATAmount                *int64  `json:"vatAmount"`
	CurrentCancellableAmount *int64  `json:"currentCancellableAmount"`
	Requester                *string `json:"requester"`
	SkipWebhook              *bool   `json:"skipWebhook"`
}

// applyCancel applies the refund rules and returns the status and JSON value to
// send. It is separate from the handler so that the idempotency layer can
// store exactly what was answered.
func (s *Server) applyCancel(id string, raw []byte) (int, any) {
	var req cancelBody
	if len(strings.TrimSpace(string(raw))) == 0 {
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "the body must be a JSON object with a reason"))
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "malformed body: %v", err))
	}
	switch {
	case req.Reason == nil || strings.TrimSpace(*req.Reason) == "":
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "reason is required"))
	case req.Amount != nil && *req.Amount <= 0:
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "amount must be positive"))
	case req.TaxFreeAmount != nil && *req.TaxFreeAmount < 0,
		req.VATAmount != nil && *req.VATAmount < 0,
		req.CurrentCancellableAmount != nil && *req.CurrentCancellableAmount < 0:
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "amounts must not be negative"))
	case req.Requester != nil && *req.Requester != "CUSTOMER" && *req.Requester != "ADMIN":
		return errBody(errorf(http.StatusBadRequest, "INVALID_REQUEST", "requester must be CUSTOMER or ADMIN"))
	}
	if req.StoreID != nil {
		if e := s.checkStore(*req.StoreID); e != nil {
			return errBody(e)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return errBody(errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "Payment not found."))
	}
	switch p.Status {
	case StatusCancelled:
		return errBody(errorf(http.StatusConflict, "PAYMENT_ALREADY_CANCELLED", "the payment is already fully cancelled"))
	case StatusPaid, StatusPartialCancelled:
	default:
		return errBody(errorf(http.StatusConflict, "PAYMENT_NOT_PAID", "the payment is not paid (status %s)", p.Status))
	}

	cancellable := p.Amount.Paid - p.Amount.Cancelled
	if req.CurrentCancellableAmount != nil && *req.CurrentCancellableAmount != cancellable {
		return errBody(errorf(http.StatusConflict, "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
			"currentCancellableAmount %d does not match the cancellable amount %d", *req.CurrentCancellableAmount, cancellable))
	}
	amount := cancellable
	if req.Amount != nil {
		amount = *req.Amount
	}
	if amount > cancellable {
		return errBody(errorf(http.StatusConflict, "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
			"amount %d exceeds the cancellable amount %d", amount, cancellable))
	}
	var taxFree int64
	if req.TaxFreeAmount != nil {
		taxFree = *req.TaxFreeAmount
	}
	vat := vatOf(amount - taxFree)
	if req.VATAmount != nil {
		vat = *req.VATAmount
	}
	if taxFree+vat > amount {
		return errBody(errorf(http.StatusConflict, "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT", "taxFreeAmount and vatAmount add up to more than amount"))
	}
	if taxFree > p.Amount.TaxFree-p.Amount.CancelledTaxFree {
		return errBody(errorf(http.StatusConflict, "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT", "taxFreeAmount exceeds the cancellable tax-free amount"))
	}
	taxableLeft := (p.Amount.Total - p.Amount.TaxFree) - (p.Amount.Cancelled - p.Amount.CancelledTaxFree)
	if amount-taxFree > taxableLeft {
		return errBody(errorf(http.StatusConflict, "CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT", "the taxable part exceeds the cancellable taxable amount"))
	}

	now := s.now()
	c := Cancellation{
		ID:               uuid.NewString(),
		Status:           "SUCCEEDED",
		PGCancellationID: "fakepgc_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16],
		TotalAmount:      amount,
		TaxFreeAmount:    taxFree,
		VATAmount:        vat,
		Reason:           *req.Reason,
		Trigger:          "API",
		RequestedAt:      now,
		CancelledAt:      now,
	}
	p.Cancellations = append(p.Cancellations, c)
	p.Amount.Cancelled += amount
	p.Amount.CancelledTaxFree += taxFree
	p.CancelledAt = now
	typ := "Transaction.PartialCancelled"
	status := StatusPartialCancelled
	if p.Amount.Cancelled >= p.Amount.Paid {
		typ, status = "Transaction.Cancelled", StatusCancelled
	}
	s.setStatusLocked(p, status, now)
	if req.SkipWebhook == nil || !*req.SkipWebhook {
		s.emitLocked(p, typ, c.ID, "")
	}
	return http.StatusOK, map[string]any{"cancellation": wireCancel(c)}
}

func (s *Server) handleResendWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var req struct {
		StoreID   string `json:"storeId"`
		WebhookID string `json:"webhookId"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &req); err != nil {
			writeError(w, errorf(http.StatusBadRequest, "INVALID_REQUEST", "malformed body: %v", err))
			return
		}
	}
	if e := s.checkStore(req.StoreID); e != nil {
		writeError(w, e)
		return
	}
	id := r.PathValue("paymentId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[id]; !ok {
		writeError(w, errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "Payment not found."))
		return
	}
	var ev *event
	evs := s.events[id]
	for i := len(evs) - 1; i >= 0; i-- {
		if req.WebhookID == "" || evs[i].id == req.WebhookID {
			ev = evs[i]
			break
		}
	}
	if ev == nil {
		writeError(w, errorf(http.StatusNotFound, "WEBHOOK_NOT_FOUND", "no such webhook"))
		return
	}
	ds, err := s.resendLocked(ev)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": s.wireDelivery(ds[0])})
}

func errBody(e *Error) (int, any) {
	return e.Status, map[string]string{"type": e.Type, "message": e.Message}
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "%v", err)
	}
	status, body := errBody(e)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// The wire shapes below follow PortOne's schema field for field. Optional
// fields are omitted when empty, as PortOne omits them, so clients meet
// both their presence and their absence.

type wirePayment struct {
	Status                    string              `json:"status"`
	ID                        string              `json:"id"`
	TransactionID             string              `json:"transactionId"`
	MerchantID                string              `json:"merchantId"`
	StoreID                   string              `json:"storeId"`
	Method                    *wireMethod         `json:"method,omitempty"`
	Channel                   wireChannel         `json:"channel"`
	Version                   string              `json:"version"`
	Webhooks                  []wireWebhook       `json:"webhooks"`
	RequestedAt               string              `json:"requestedAt"`
	UpdatedAt                 string              `json:"updatedAt"`
	StatusChangedAt           string              `json:"statusChangedAt"`
	OrderName                 string              `json:"orderName"`
	Amount                    wireAmount          `json:"amount"`
	Currency                  string              `json:"currency"`
	Customer                  struct{}            `json:"customer"`
	Origin                    wireOrigin          `json:"origin"`
	CustomData                string              `json:"customData,omitempty"`
	PaidAt                    string              `json:"paidAt,omitempty"`
	PGTxID                    string              `json:"pgTxId,omitempty"`
	CashReceiptIssuanceStatus string              `json:"cashReceiptIssuanceStatus,omitempty"`
	ReceiptURL                string              `json:"receiptUrl,omitempty"`
	Disputes                  *[]struct{}         `json:"disputes,omitempty"`
	Cancellations             *[]wireCancellation `json:"cancellations,omitempty"`
	CancelledAt               string              `json:"cancelledAt,omitempty"`
	FailedAt                  string              `json:"failedAt,omitempty"`
	Failure                   *wireFailure        `json:"failure,omitempty"`
}

type wireMethod struct {
	Type           string           `json:"type"`
	Card           *wireCard        `json:"card,omitempty"`
	ApprovalNumber string           `json:"approvalNumber,omitempty"`
	Installment    *wireInstallment `json:"installment,omitempty"`
	PointUsed      *bool            `json:"pointUsed,omitempty"`
	Bank           string           `json:"bank,omitempty"`
	AccountNumber  string           `json:"accountNumber,omitempty"`
	AccountType    string           `json:"accountType,omitempty"`
	RemitteeName   string           `json:"remitteeName,omitempty"`
	ExpiredAt      string           `json:"expiredAt,omitempty"`
	IssuedAt       string           `json:"issuedAt,omitempty"`
}

type wireCard struct {
	Publisher string `json:"publisher"`
	Issuer    string `json:"issuer"`
	Brand     string `json:"brand"`
	Type      string `json:"type"`
	OwnerType string `json:"ownerType"`
	Bin       string `json:"bin"`
	Name      string `json:"name"`
	Number    string `json:"number"`
}

type wireInstallment struct {
	Month          int  `json:"month"`
	IsInterestFree bool `json:"isInterestFree"`
}

type wireChannel struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	PGProvider   string `json:"pgProvider"`
	PGMerchantID string `json:"pgMerchantId"`
}

type wireOrigin struct {
	PlatformType string `json:"platformType"`
	IPAddress    string `json:"ipAddress"`
}

type wireAmount struct {
	Total            int64 `json:"total"`
	TaxFree          int64 `json:"taxFree"`
	VAT              int64 `json:"vat"`
	Supply           int64 `json:"supply"`
	Discount         int64 `json:"discount"`
	Paid             int64 `json:"paid"`
	Cancelled        int64 `json:"cancelled"`
	CancelledTaxFree int64 `json:"cancelledTaxFree"`
}

type wireFailure struct {
	Reason    string `json:"reason,omitempty"`
	PGCode    string `json:"pgCode,omitempty"`
	PGMessage string `json:"pgMessage,omitempty"`
}

type wireCancellation struct {
	Status           string `json:"status"`
	ID               string `json:"id"`
	PGCancellationID string `json:"pgCancellationId,omitempty"`
	TotalAmount      int64  `json:"totalAmount"`
	TaxFreeAmount    int64  `json:"taxFreeAmount"`
	VATAmount        int64  `json:"vatAmount"`
	Reason           string `json:"reason"`
	CancelledAt      string `json:"cancelledAt,omitempty"`
	RequestedAt      string `json:"requestedAt"`
	Trigger          string `json:"trigger,omitempty"`
}

type wireWebhook struct {
	ID                    string               `json:"id"`
	URL                   string               `json:"url"`
	Status                string               `json:"status,omitempty"`
	PaymentStatus         string               `json:"paymentStatus,omitempty"`
	IsAsync               bool                 `json:"isAsync"`
	CurrentExecutionCount int                  `json:"currentExecutionCount"`
	MaxExecutionCount     int                  `json:"maxExecutionCount"`
	Trigger               string               `json:"trigger,omitempty"`
	Request               *wireWebhookRequest  `json:"request,omitempty"`
	Response              *wireWebhookResponse `json:"response,omitempty"`
	TriggeredAt           string               `json:"triggeredAt,omitempty"`
}

type wireWebhookRequest struct {
	Body        string `json:"body"`
	RequestedAt string `json:"requestedAt,omitempty"`
}

type wireWebhookResponse struct {
	Code        string `json:"code"`
	Header      string `json:"header"`
	Body        string `json:"body"`
	RespondedAt string `json:"respondedAt"`
}

func (s *Server) wirePaymentLocked(p *Payment) wirePayment {
	w := wirePayment{
		Status:        p.Status,
		ID:            p.ID,
		TransactionID: p.TransactionID,
		MerchantID:    s.cfg.MerchantID,
		StoreID:       s.cfg.StoreID,
		Channel: wireChannel{
			Type:         s.cfg.ChannelType,
			ID:           "channel-id-portonefake",
			Key:          s.cfg.ChannelKey,
			Name:         "portonefake",
			PGProvider:   s.cfg.PGProvider,
			PGMerchantID: "portonefake",
		},
		Version:         "V2",
		Webhooks:        []wireWebhook{},
		RequestedAt:     wireTime(p.RequestedAt),
		UpdatedAt:       wireTime(p.UpdatedAt),
		StatusChangedAt: wireTime(p.StatusChangedAt),
		OrderName:       p.OrderName,
		Amount:          wireAmount(p.Amount),
		Currency:        p.Currency,
		Origin:          wireOrigin{PlatformType: "PC", IPAddress: "127.0.0.1"},
		CustomData:      p.CustomData,
	}
	switch p.Method {
	case MethodCard:
		f := false
		w.Method = &wireMethod{
			Type: MethodCard,
			Card: &wireCard{Publisher: "KOOKMIN", Issuer: "KOOKMIN", Brand: "LOCAL", Type: "CREDIT", OwnerType: "PERSONAL",
				Bin: "53275000", Name: "KB Kookmin (test)", Number: "53275000****1234"},
			ApprovalNumber: p.CardApproval,
			Installment:    &wireInstallment{},
			PointUsed:      &f,
		}
	case MethodVirtualAccount:
		if va := p.VirtualAccount; va != nil {
			w.Method = &wireMethod{Type: MethodVirtualAccount, Bank: va.Bank, AccountNumber: va.AccountNumber,
				AccountType: va.AccountType, RemitteeName: va.RemitteeName, ExpiredAt: wireTime(va.ExpiresAt), IssuedAt: wireTime(va.IssuedAt)}
		}
	}
	switch p.Status {
	case StatusPaid, StatusPartialCancelled, StatusCancelled:
		w.PaidAt = wireTime(p.PaidAt)
		w.PGTxID = p.PGTxID
		w.CashReceiptIssuanceStatus = "NOT_ISSUED"
		w.ReceiptURL = "https://example.invalid/portonefake/receipt/" + p.ID
		cs := make([]wireCancellation, 0, len(p.Cancellations))
		for _, c := range p.Cancellations {
			cs = append(cs, wireCancel(c))
		}
		w.Cancellations = &cs
		if p.Status == StatusPaid {
			w.Disputes = &[]struct{}{}
		} else {
			w.CancelledAt = wireTime(p.CancelledAt)
		}
	case StatusVirtualAccountIssued:
		w.PGTxID = p.PGTxID
	case StatusFailed:
		w.FailedAt = wireTime(p.FailedAt)
		w.Failure = &wireFailure{}
		if p.Failure != nil {
			w.Failure = &wireFailure{Reason: p.Failure.Reason, PGCode: p.Failure.PGCode, PGMessage: p.Failure.PGMessage}
		}
	}
	for _, d := range s.deliveries {
		if d.ev.paymentID == p.ID {
			w.Webhooks = append(w.Webhooks, s.wireDelivery(d.snapshot()))
		}
	}
	return w
}

func wireCancel(c Cancellation) wireCancellation {
	return wireCancellation{
		Status:           c.Status,
		ID:               c.ID,
		PGCancellationID: c.PGCancellationID,
		TotalAmount:      c.TotalAmount,
		TaxFreeAmount:    c.TaxFreeAmount,
		VATAmount:        c.VATAmount,
		Reason:           c.Reason,
		CancelledAt:      wireTime(c.CancelledAt),
		RequestedAt:      wireTime(c.RequestedAt),
		Trigger:          c.Trigger,
	}
}

func (s *Server) wireDelivery(d WebhookDelivery) wireWebhook {
	w := wireWebhook{
		ID:                    d.ID,
		URL:                   d.URL,
		Status:                d.Status,
		PaymentStatus:         d.PaymentStatus,
		IsAsync:               true,
		CurrentExecutionCount: len(d.Attempts),
		MaxExecutionCount:     maxWebhookExecutions,
		Trigger:               d.Trigger,
		Request:               &wireWebhookRequest{Body: string(d.Body)},
	}
	if n := len(d.Attempts); n > 0 {
		a := d.Attempts[n-1]
		w.Request.RequestedAt = wireTime(a.At)
		w.TriggeredAt = wireTime(d.Attempts[0].At)
		if a.StatusCode != 0 {
			w.Response = &wireWebhookResponse{Code: strconv.Itoa(a.StatusCode), Body: a.ResponseBody, RespondedAt: wireTime(a.At)}
		}
	}
	return w
}
