// Package portonefake is a stand-in for PortOne V2 that speaks the real wire
// format over real HTTP: the payment lookup and cancel endpoints with their
// authentication, error types and idempotency keys, and a Standard Webhooks
// emitter with PortOne's retry schedule. Tests drive it through Go methods
// (Pay, Fail, IssueVirtualAccount, Deposit, ...) that stand for what a
// customer does in the browser; `stocking dev` mounts it, with a small
// checkout page and control API under /__fake/, when no PortOne secret is
// configured.
//
// Everything the real client sends is checked as strictly as PortOne
// documents it (the "PortOne <secret>" scheme, quoted Idempotency-Key
// values, a required cancel reason) so that a client bug shows up here
// instead of in production; everything the client must tolerate (extra
// fields, optional ones missing) is exercised by what the fake sends.
package portonefake

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Defaults for Config fields left empty. They are fixed so that a
// development database keeps matching a restarted fake.
const (
	DefaultAPISecret  = "portone-fake-api-secret"
	DefaultStoreID    = "store-00000000-0000-0000-0000-000000000001"
	DefaultMerchantID = "merchant-00000000-0000-0000-0000-000000000001"
	DefaultChannelKey = "channel-key"
)

// Payment statuses of PortOne's Payment object.
const (
	StatusReady                = "READY"
	StatusPayPending           = "PAY_PENDING"
	StatusVirtualAccountIssued = "VIRTUAL_ACCOUNT_ISSUED"
	StatusPaid                 = "PAID"
	StatusFailed               = "FAILED"
	StatusPartialCancelled     = "PARTIAL_CANCELLED"
	StatusCancelled            = "CANCELLED"
)

// Payment method types (method.type on the wire).
const (
	MethodCard           = "PaymentMethodCard"
	MethodVirtualAccount = "PaymentMethodVirtualAccount"
)

// Config configures a Server. The zero value works: test channel, default
// secret and ids, no webhook targets.
type Config struct {
	// APISecret is what clients must send as "Authorization: PortOne
	// <secret>"; default DefaultAPISecret.
	APISecret string
	// StoreID, MerchantID and ChannelKey appear in every payment; a
	// storeId in a request that differs from StoreID is refused with 403.
	StoreID    string
	MerchantID string
	ChannelKey string
	// ChannelType is TEST (default) or LIVE, for exercising the rule that
	// test-channel payments must not count in production.
	ChannelType string
	// PGProvider names the simulated PG; default TOSSPAYMENTS.
	PGProvider string

	// WebhookURLs receive every webhook; SetWebhookURLs changes them later
	// (useful when the receiver listens on a port chosen at start-up).
	WebhookURLs []string
	// WebhookSecrets sign webhooks, one v1 entry per secret, as PortOne
	// does during a rotation. Use the "whsec_<base64>" form (GenerateSecret
	// makes one). Without secrets, webhooks carry no signature header.
	WebhookSecrets []string
	// DisableAutoWebhooks records events without sending them; Resend
	// sends the latest one on demand.
	DisableAutoWebhooks bool
	// ReadyWebhooks also emits Transaction.Ready when a payment window
	// opens, which PortOne makes optional.
	ReadyWebhooks bool
	// RetryUnit is what one minute of PortOne's retry schedule (0, 1, 4,
	// 16, 64, 256 minutes) lasts here; default time.Minute. Tests use a
	// millisecond.
	RetryUnit time.Duration
	// HTTPClient delivers webhooks; default a client with PortOne's 30 s
	// timeout.
	HTTPClient *http.Client

	// Now stamps payments and webhook timestamps; default time.Now. Retry
	// waits always use real timers, scaled by RetryUnit.
	Now func() time.Time
	// Logger receives one line per webhook attempt; default discards.
	Logger *slog.Logger
}

// Amount is PortOne's PaymentAmount, in the currency's minor unit.
type Amount struct {
	Total            int64
	TaxFree          int64
	VAT              int64
	Supply           int64
	Discount         int64
	Paid             int64
	Cancelled        int64
	CancelledTaxFree int64
}

// VirtualAccount is the method detail of a virtual-account payment.
type VirtualAccount struct {
	Bank          string
	AccountNumber string
	AccountType   string
	RemitteeName  string
	ExpiresAt     time.Time
	IssuedAt      time.Time
}

// Failure says why a payment failed.
type Failure struct {
	Reason    string
	PGCode    string
	PGMessage string
}

// Cancellation is one refund of a payment.
type Cancellation struct {
	ID               string
	Status           string
	PGCancellationID string
	TotalAmount      int64
	TaxFreeAmount    int64
	VATAmount        int64
	Reason           string
	Trigger          string
	RequestedAt      time.Time
	CancelledAt      time.Time
}

// Payment is the fake's record of one paymentId: what GET /payments/{id}
// renders. Payment returns copies, so a test can keep one as a snapshot.
type Payment struct {
	ID            string
	Status        string
	TransactionID string
	OrderName     string
	Currency      string
	Amount        Amount
	// Method is MethodCard, MethodVirtualAccount or "" before a method
	// was chosen.
	Method         string
	CardApproval   string
	VirtualAccount *VirtualAccount
	// CustomData is the JSON text the browser sent, returned as a string
	// as PortOne does; "" when none.
	CustomData      string
	PGTxID          string
	RequestedAt     time.Time
	UpdatedAt       time.Time
	StatusChangedAt time.Time
	PaidAt          time.Time
	FailedAt        time.Time
	CancelledAt     time.Time
	Failure         *Failure
	Cancellations   []Cancellation
	// Attempts counts transactions (browser attempts) on this paymentId.
	Attempts int
}

func (p *Payment) clone() Payment {
	c := *p
	if p.VirtualAccount != nil {
		va := *p.VirtualAccount
		c.VirtualAccount = &va
	}
	if p.Failure != nil {
		f := *p.Failure
		c.Failure = &f
	}
	c.Cancellations = append([]Cancellation(nil), p.Cancellations...)
	return c
}

// paidOnce reports whether the payment has ever been paid, which is what
// makes a paymentId unusable for another attempt.
func (p *Payment) paidOnce() bool {
	return p.Status == StatusPaid || p.Status == StatusPartialCancelled || p.Status == StatusCancelled
}

// Error is a refusal, by the REST API or by a Go method of the fake, in
// PortOne's vocabulary: Status is the HTTP status and Type the error type.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("portonefake: %d %s: %s", e.Status, e.Type, e.Message)
}

func errorf(status int, typ, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Server is the fake PortOne. Its zero value is not usable; call New.
type Server struct {
	cfg    Config
	keys   [][]byte
	mux    *http.ServeMux
	client *http.Client
	log    *slog.Logger

	ctx    context.Context // ends at Close; stops retries and deliveries
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	payments   map[string]*Payment
	order      []string // payment ids in creation order, for listings
	events     map[string][]*event
	deliveries []*delivery
	targets    []string
	idem       map[string]*idemEntry
	pending    int           // deliveries not finished yet
	changed    chan struct{} // closed and replaced on every change
	closed     bool

	httpSrv *http.Server
	url     string
}

// New builds a fake. It does not listen: mount it as an http.Handler, or
// call Start.
func New(cfg Config) (*Server, error) {
	if cfg.APISecret == "" {
		cfg.APISecret = DefaultAPISecret
	}
	if cfg.StoreID == "" {
		cfg.StoreID = DefaultStoreID
	}
	if cfg.MerchantID == "" {
		cfg.MerchantID = DefaultMerchantID
	}
	if cfg.ChannelKey == "" {
		cfg.ChannelKey = DefaultChannelKey
	}
	if cfg.ChannelType == "" {
		cfg.ChannelType = "TEST"
	}
	if cfg.ChannelType != "TEST" && cfg.ChannelType != "LIVE" {
		return nil, fmt.Errorf("portonefake: ChannelType %q is neither TEST nor LIVE", cfg.ChannelType)
	}
	if cfg.PGProvider == "" {
		cfg.PGProvider = "TOSSPAYMENTS"
	}
	if cfg.RetryUnit <= 0 {
		cfg.RetryUnit = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		client:   cfg.HTTPClient,
		log:      cfg.Logger,
		payments: map[string]*Payment{},
		events:   map[string][]*event{},
		idem:     map[string]*idemEntry{},
		targets:  append([]string(nil), cfg.WebhookURLs...),
		changed:  make(chan struct{}),
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	for _, secret := range cfg.WebhookSecrets {
		k, err := decodeSecret(secret)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, k)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// Start listens on addr ("127.0.0.1:0" when empty picks a free port) and
// serves until Close. It returns the base URL to give the client.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("portonefake: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.httpSrv != nil || s.closed {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("portonefake: already started or closed")
	}
	s.httpSrv = srv
	s.url = "http://" + ln.Addr().String()
	s.mu.Unlock()
	go srv.Serve(ln)
	return s.URL(), nil
}

// URL is the base URL after Start; "" when the fake is only mounted.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Config returns the effective configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP serves the REST API and the /__fake/ control pages. Mounted
// under a prefix, strip it (http.StripPrefix): the pages link relatively.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the listener (if Start was used), cancels pending webhook
// retries and in-flight deliveries, and waits for them to end. Payments stay
// readable through the Go methods.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.httpSrv
	s.notifyLocked()
	s.mu.Unlock()

	s.cancel()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
	}
	s.wg.Wait()
	return err
}

// SetWebhookURLs replaces the webhook targets for events from now on.
func (s *Server) SetWebhookURLs(urls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append([]string(nil), urls...)
}

// Payment returns a snapshot of a payment.
func (s *Server) Payment(id string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	return p.clone(), true
}

// Payments returns snapshots of every payment in creation order.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.payments[id].clone())
	}
	return out
}

// Option adjusts a simulated browser request.
type Option func(*checkout)

// WithCustomData attaches the browser's customData. A json.RawMessage or
// []byte is taken as JSON text; anything else is JSON-encoded. PortOne
// returns it as a string, and so does the fake.
func WithCustomData(v any) Option {
	return func(c *checkout) {
		switch d := v.(type) {
		case json.RawMessage:
			c.customData = string(d)
		case []byte:
			c.customData = string(d)
		default:
			b, err := json.Marshal(v)
			if err == nil {
				c.customData = string(b)
			}
		}
	}
}

// checkout is what a browser's requestPayment carries.
type checkout struct {
	paymentID, orderName, currency string
	amount                         int64
	customData                     string
}

func newCheckout(paymentID, orderName string, amount int64, currency string, opts []Option) (checkout, error) {
	c := checkout{paymentID: paymentID, orderName: orderName, amount: amount, currency: normCurrency(currency)}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case strings.TrimSpace(paymentID) == "":
		return c, errorf(http.StatusBadRequest, "INVALID_REQUEST", "paymentId is required")
	case strings.TrimSpace(orderName) == "":
		return c, errorf(http.StatusBadRequest, "INVALID_REQUEST", "orderName is required")
	case amount <= 0:
		return c, errorf(http.StatusBadRequest, "INVALID_REQUEST", "totalAmount must be a positive integer, got %d", amount)
	}
	return c, nil
}

// normCurrency accepts the CURRENCY_KRW spelling of old SDK snippets but
// stores what the REST API returns, KRW.
func normCurrency(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	c = strings.TrimPrefix(c, "CURRENCY_")
	if c == "" {
		return "KRW"
	}
	return c
}

// Open is the payment window opening: the payment exists as READY with
// the requested amount. It emits Transaction.Ready when Config.ReadyWebhooks
// is set. Opening an id that was paid fails with ALREADY_PAID.
func (s *Server) Open(paymentID, orderName string, amount int64, currency string, opts ...Option) (Payment, error) {
	c, err := newCheckout(paymentID, orderName, amount, currency, opts)
	if err != nil {
		return Payment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.attemptLocked(c)
	if err != nil {
		return Payment{}, err
	}
	return p.clone(), nil
}

// Pay is a browser requestPayment that succeeds by card: the payment is
// PAID for amount and Transaction.Paid is sent. amount is whatever the
// browser sent, which need not be what the merchant prepared. Paying an id
// that was already paid fails with ALREADY_PAID, as at PortOne.
func (s *Server) Pay(paymentID, orderName string, amount int64, currency string, opts ...Option) (Payment, error) {
	c, err := newCheckout(paymentID, orderName, amount, currency, opts)
	if err != nil {
		return Payment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.attemptLocked(c)
	if err != nil {
		return Payment{}, err
	}
	now := s.now()
	p.Method = MethodCard
	p.CardApproval = randomDigits(8)
	p.PGTxID = "fake_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	p.Amount.Paid = p.Amount.Total - p.Amount.Discount
	p.PaidAt = now
	s.setStatusLocked(p, StatusPaid, now)
	s.emitLocked(p, "Transaction.Paid", "", "")
	return p.clone(), nil
}

// PayWithAmount is Pay; the name makes a tampering test say what it means:
// the browser paid an amount other than the one the merchant prepared.
func (s *Server) PayWithAmount(paymentID, orderName string, amount int64, currency string, opts ...Option) (Payment, error) {
	return s.Pay(paymentID, orderName, amount, currency, opts...)
}

// Fail is a browser attempt that fails (card declined, window closed): the
// payment becomes FAILED and Transaction.Failed is sent. An id the fake has
// never seen is created with a zero amount, since a failure can happen
// before anything was requested; a paid id fails with ALREADY_PAID.
func (s *Server) Fail(paymentID, reason string) (Payment, error) {
	if strings.TrimSpace(paymentID) == "" {
		return Payment{}, errorf(http.StatusBadRequest, "INVALID_REQUEST", "paymentId is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentID]
	if !ok {
		var err error
		p, err = s.attemptLocked(checkout{paymentID: paymentID, currency: "KRW"})
		if err != nil {
			return Payment{}, err
		}
	}
	return s.failLocked(p, reason)
}

func (s *Server) failLocked(p *Payment, reason string) (Payment, error) {
	if p.paidOnce() {
		return Payment{}, errorf(http.StatusConflict, "ALREADY_PAID", "payment %s is already paid", p.ID)
	}
	if p.Status != StatusReady && p.Status != StatusVirtualAccountIssued {
		// A failed attempt again: that is a fresh transaction.
		s.newTransactionLocked(p)
	}
	if strings.TrimSpace(reason) == "" {
		reason = "payment failed (simulated)"
	}
	now := s.now()
	p.Failure = &Failure{Reason: reason, PGCode: "FAKE_DECLINED", PGMessage: reason}
	p.FailedAt = now
	s.setStatusLocked(p, StatusFailed, now)
	s.emitLocked(p, "Transaction.Failed", "", "")
	return p.clone(), nil
}

// IssueVirtualAccount is a browser requestPayment with payMethod
// VIRTUAL_ACCOUNT: an account is issued (status VIRTUAL_ACCOUNT_ISSUED,
// nothing paid yet) and Transaction.VirtualAccountIssued is sent. A zero
// expiresAt means 24 hours from now.
func (s *Server) IssueVirtualAccount(paymentID, orderName string, amount int64, currency string, expiresAt time.Time, opts ...Option) (Payment, error) {
	c, err := newCheckout(paymentID, orderName, amount, currency, opts)
	if err != nil {
		return Payment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.attemptLocked(c)
	if err != nil {
		return Payment{}, err
	}
	now := s.now()
	if expiresAt.IsZero() {
		expiresAt = now.Add(24 * time.Hour)
	}
	p.Method = MethodVirtualAccount
	p.PGTxID = "fake_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	p.VirtualAccount = &VirtualAccount{
		Bank:          "KOOKMIN",
		AccountNumber: randomDigits(14),
		AccountType:   "FIXED",
		RemitteeName:  "StocKing",
		ExpiresAt:     expiresAt,
		IssuedAt:      now,
	}
	// Nothing has arrived yet; what PortOne reports as paid here is not
	// documented, and zero is the reading that cannot credit anyone early.
	p.Amount.Paid = 0
	s.setStatusLocked(p, StatusVirtualAccountIssued, now)
	s.emitLocked(p, "Transaction.VirtualAccountIssued", "", "")
	return p.clone(), nil
}

// Deposit is the customer transferring the money into an issued virtual
// account: the payment becomes PAID and Transaction.Paid is sent with the
// VIRTUAL_ACCOUNT_DEPOSIT trigger. A deposit after the account expired is
// refused, as a bank would.
func (s *Server) Deposit(paymentID string) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentID]
	if !ok {
		return Payment{}, errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "no payment %s", paymentID)
	}
	if p.Status != StatusVirtualAccountIssued || p.VirtualAccount == nil {
		return Payment{}, errorf(http.StatusConflict, "INVALID_REQUEST", "payment %s has no open virtual account (status %s)", paymentID, p.Status)
	}
	now := s.now()
	if now.After(p.VirtualAccount.ExpiresAt) {
		return Payment{}, errorf(http.StatusConflict, "INVALID_REQUEST", "the virtual account of payment %s expired at %s", paymentID, p.VirtualAccount.ExpiresAt.Format(time.RFC3339))
	}
	p.Amount.Paid = p.Amount.Total - p.Amount.Discount
	p.PaidAt = now
	s.setStatusLocked(p, StatusPaid, now)
	s.emitLocked(p, "Transaction.Paid", "", TriggerVirtualAccountDeposit)
	return p.clone(), nil
}

// attemptLocked starts a browser attempt on c.paymentID, creating the
// payment or reusing it, and leaves it READY for the caller to move on. A
// READY payment continues its transaction (the window that opened is the
// one paying); anything else that was not paid starts a new transaction, as
// a retried payment does at PortOne, and only a new transaction emits
// Transaction.Ready.
func (s *Server) attemptLocked(c checkout) (*Payment, error) {
	now := s.now()
	p, ok := s.payments[c.paymentID]
	if ok && p.paidOnce() {
		return nil, errorf(http.StatusConflict, "ALREADY_PAID", "payment %s is already paid", c.paymentID)
	}
	if !ok {
		p = &Payment{ID: c.paymentID, RequestedAt: now}
		s.payments[c.paymentID] = p
		s.order = append(s.order, c.paymentID)
	}
	fresh := !ok || p.Status != StatusReady
	if fresh {
		s.newTransactionLocked(p)
		p.RequestedAt = now
	}
	p.OrderName = c.orderName
	p.Currency = c.currency
	p.Amount = Amount{Total: c.amount}
	p.Amount.VAT = vatOf(c.amount)
	p.Amount.Supply = c.amount - p.Amount.VAT
	if c.customData != "" {
		p.CustomData = c.customData
	}
	p.Method, p.CardApproval, p.VirtualAccount, p.Failure, p.PGTxID = "", "", nil, nil, ""
	p.PaidAt, p.FailedAt = time.Time{}, time.Time{}
	s.setStatusLocked(p, StatusReady, now)
	if fresh && s.cfg.ReadyWebhooks {
		s.emitLocked(p, "Transaction.Ready", "", "")
	}
	return p, nil
}

func (s *Server) newTransactionLocked(p *Payment) {
	p.TransactionID = uuid.Must(uuid.NewV7()).String()
	p.Attempts++
}

func (s *Server) setStatusLocked(p *Payment, status string, now time.Time) {
	if p.Status != status {
		p.StatusChangedAt = now
	}
	p.Status = status
	p.UpdatedAt = now
	s.notifyLocked()
}

// vatOf is the VAT inside a VAT-inclusive KRW amount, 1/11 of it rounded
// half up, which reproduces PortOne's examples (10000 → 909, 3000 → 273).
func vatOf(taxable int64) int64 {
	if taxable <= 0 {
		return 0
	}
	return (2*taxable + 11) / 22
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// notifyLocked wakes everyone waiting in WaitIdle or the tests' polls.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}
