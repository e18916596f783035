// Package portone is StocKing's PortOne V2 payment gateway: a REST client
// for looking up and cancelling payments and a Standard Webhooks verifier
// for PortOne's webhooks. It implements ports.PaymentGateway.
//
// PortOne promises to add response fields, enum values and error types
// without notice, so everything here decodes leniently: unknown fields are
// ignored, unknown statuses and event types pass through unchanged, and
// unknown error types become a generic *APIError instead of a failure to
// parse.
package portone

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// DefaultBaseURL is PortOne's API host. Test and live payments share it;
// the channel used for a payment decides which one it is.
const DefaultBaseURL = "https://api.portone.io"

// DefaultTimeout bounds one API call. PortOne asks clients to wait at least
// 60 s because card networks and PGs can be slow, and the server finishes a
// request even after the client hangs up, so giving up early only turns a
// success into an unknown.
const DefaultTimeout = 60 * time.Second

// maxResponseBytes caps what is read from PortOne; a payment with its
// webhook log is a few kilobytes.
const maxResponseBytes = 4 << 20

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL. Point it at a portonefake server
	// in development and tests.
	BaseURL string
	// APISecret is the V2 API secret (not the V1 key, not a PG secret).
	APISecret string
	// StoreID is sent to the browser SDK and, when set, with every API
	// call, so a secret that manages several stores reads the right one.
	StoreID string
	// ChannelKey is what the browser SDK needs to pick a PG channel.
	ChannelKey string
	// WebhookSecrets are the webhook secrets ("whsec_..."). Give two during
	// a rotation; an entry may itself hold several separated by commas or
	// spaces, which suits a single environment variable. With none,
	// VerifyWebhook refuses every delivery.
	WebhookSecrets []string
	// HTTPClient is used as it is when set; Timeout is then ignored.
	HTTPClient *http.Client
	// Timeout bounds each call when HTTPClient is nil; default
	// DefaultTimeout.
	Timeout time.Duration
	// Now replaces time.Now where the caller passes a zero time.
	Now func() time.Time
}

// Client talks to PortOne V2. It is safe for concurrent use.
type Client struct {
	base       string
	secret     string
	storeID    string
	channelKey string
	verifier   *WebhookVerifier
	http       *http.Client
	now        func() time.Time
}

var _ ports.PaymentGateway = (*Client)(nil)

// New validates cfg and builds a Client. A malformed webhook secret is an
// error here rather than a rejected webhook later, because the latter would
// look like an attack instead of a configuration mistake.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APISecret) == "" {
		return nil, errors.New("portone: APISecret is required")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("portone: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	c := &Client{
		base:       base,
		secret:     strings.TrimSpace(cfg.APISecret),
		storeID:    cfg.StoreID,
		channelKey: cfg.ChannelKey,
		http:       cfg.HTTPClient,
		now:        cfg.Now,
	}
	if c.http == nil {
		t := cfg.Timeout
		if t <= 0 {
			t = DefaultTimeout
		}
		c.http = &http.Client{Timeout: t}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if len(SplitWebhookSecrets(cfg.WebhookSecrets...)) > 0 {
		v, err := NewWebhookVerifier(cfg.WebhookSecrets...)
		if err != nil {
			return nil, err
		}
		c.verifier = v
	}
	return c, nil
}

// StoreID returns the configured store id for the browser SDK.
func (c *Client) StoreID() string { return c.storeID }

// ChannelKey returns the configured channel key for the browser SDK.
func (c *Client) ChannelKey() string { return c.channelKey }

// VerifyWebhook authenticates and parses a webhook; see
// WebhookVerifier.Verify. A zero now means the configured clock.
func (c *Client) VerifyWebhook(header map[string][]string, body []byte, now time.Time) (domain.WebhookEvent, error) {
	w, err := c.Webhook(header, body, now)
	return w.WebhookEvent, err
}

// Webhook is VerifyWebhook with the full parsed body, including the
// cancellationId of refund events.
func (c *Client) Webhook(header map[string][]string, body []byte, now time.Time) (Webhook, error) {
	if c.verifier == nil {
		return Webhook{}, domain.Errorf(domain.CodeUnavailable, "PortOne webhook secret is not configured")
	}
	if now.IsZero() {
		now = c.now()
	}
	return c.verifier.Verify(header, body, now)
}

// GetPayment fetches one payment. An id PortOne does not know is an
// *APIError with Type PAYMENT_NOT_FOUND and domain code CodeNotFound.
func (c *Client) GetPayment(ctx context.Context, paymentID string) (domain.GatewayPayment, error) {
	if paymentID == "" {
		return domain.GatewayPayment{}, domain.FieldErrorf(domain.CodeInvalid, "payment_id", "is required")
	}
	q := url.Values{}
	if c.storeID != "" {
		q.Set("storeId", c.storeID)
	}
	var raw json.RawMessage
	op := "GET /payments/{paymentId}"
	if err := c.do(ctx, http.MethodGet, "/payments/"+url.PathEscape(paymentID), q, nil, "", op, &raw); err != nil {
		return domain.GatewayPayment{}, err
	}
	p, err := decodePayment(raw)
	if err != nil {
		return domain.GatewayPayment{}, &APIError{Op: op, Status: http.StatusOK, Message: "undecodable payment", Err: err}
	}
	if p.ID == "" {
		// id is required by the schema; an older or trimmed response
		// without it still describes the payment that was asked for.
		p.ID = paymentID
	}
	return p, nil
}

// CancelRequest is the body of a cancel (refund) call. Zero values are left
// out of the request, which gives PortOne's defaults.
type CancelRequest struct {
	// Reason is required by PortOne.
	Reason string
	// Amount to refund in the minor unit; 0 refunds the whole remaining
	// amount.
	Amount int64
	// TaxFreeAmount is the tax-exempt part of Amount; 0 means fully
	// taxable.
	TaxFreeAmount int64
	// CurrentCancellableAmount makes the cancel conditional on PortOne's
	// refundable balance being exactly this; 0 skips the check.
	CurrentCancellableAmount int64
	// Requester is CUSTOMER or ADMIN; "" leaves it out.
	Requester string
	// SkipWebhook suppresses the Transaction.(Partial)Cancelled webhook.
	SkipWebhook bool
	// IdempotencyKey makes a retry of the same cancel return the first
	// answer instead of refunding twice. See CancelPayment for how short or
	// unusual keys are handled.
	IdempotencyKey string
}

// Cancellation is PortOne's record of one refund.
type Cancellation struct {
	// Status is SUCCEEDED, REQUESTED (asynchronous, a webhook follows) or
	// FAILED.
	Status           string
	ID               string
	PGCancellationID string
	TotalAmount      int64
	TaxFreeAmount    int64
	VATAmount        int64
	Reason           string
	Trigger          string
	RequestedAt      time.Time
	CancelledAt      time.Time
}

// Cancel refunds a payment in full or in part. Every refusal, including
// PAYMENT_ALREADY_CANCELLED, comes back as an *APIError; CancelPayment is
// the forgiving variant.
func (c *Client) Cancel(ctx context.Context, paymentID string, req CancelRequest) (Cancellation, error) {
	if paymentID == "" {
		return Cancellation{}, domain.FieldErrorf(domain.CodeInvalid, "payment_id", "is required")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return Cancellation{}, domain.FieldErrorf(domain.CodeInvalid, "reason", "is required")
	}
	body := wireCancelRequest{
		Reason:                   req.Reason,
		StoreID:                  c.storeID,
		Amount:                   req.Amount,
		TaxFreeAmount:            req.TaxFreeAmount,
		CurrentCancellableAmount: req.CurrentCancellableAmount,
		Requester:                req.Requester,
		SkipWebhook:              req.SkipWebhook,
	}
	key := ""
	if req.IdempotencyKey != "" {
		key = IdempotencyKey(req.IdempotencyKey)
	}
	var resp struct {
		Cancellation wireCancellation `json:"cancellation"`
	}
	op := "POST /payments/{paymentId}/cancel"
	if err := c.do(ctx, http.MethodPost, "/payments/"+url.PathEscape(paymentID)+"/cancel", nil, body, key, op, &resp); err != nil {
		return Cancellation{}, err
	}
	w := resp.Cancellation
	return Cancellation{
		Status:           w.Status,
		ID:               w.ID,
		PGCancellationID: w.PGCancellationID,
		TotalAmount:      int64(w.TotalAmount),
		TaxFreeAmount:    int64(w.TaxFreeAmount),
		VATAmount:        int64(w.VATAmount),
		Reason:           w.Reason,
		Trigger:          w.Trigger,
		RequestedAt:      w.RequestedAt.Time,
		CancelledAt:      w.CancelledAt.Time,
	}, nil
}

// CancelPayment refunds the whole remaining amount. It is idempotent twice
// over: the Idempotency-Key makes PortOne replay the first answer to a
// retried request, and a payment that is already fully cancelled counts as
// success, so a retry after a lost response or a second cancel for the same
// reason both end quietly. A REQUESTED (asynchronous) refund is success too;
// its outcome arrives by webhook. A FAILED refund is a CodeUnavailable
// error.
//
// idempotencyKey is required. PortOne wants 16 to 256 characters, ideally
// letters, digits, '-' and '_'; other keys are mapped to a compliant one
// deterministically (see IdempotencyKey), so a retry with the same input
// still sends the same header.
func (c *Client) CancelPayment(ctx context.Context, paymentID, reason, idempotencyKey string) error {
	if idempotencyKey == "" {
		return domain.FieldErrorf(domain.CodeInvalid, "idempotency_key", "is required so that a retried refund cannot refund twice")
	}
	can, err := c.Cancel(ctx, paymentID, CancelRequest{Reason: reason, IdempotencyKey: idempotencyKey})
	var ae *APIError
	if errors.As(err, &ae) && ae.Type == TypePaymentAlreadyCancelled {
		return nil
	}
	if err != nil {
		return err
	}
	if can.Status == "FAILED" {
		return domain.Errorf(domain.CodeUnavailable, "the payment provider could not refund payment %s", paymentID)
	}
	return nil
}

// shortKeyPrefix lengthens keys below PortOne's 16-character minimum while
// keeping them readable in PortOne's console; hashedKeyPrefix marks keys that
// had to be replaced by their digest.
const (
	shortKeyPrefix  = "stocking-idempotency-"
	hashedKeyPrefix = "stocking-sha256-"
)

// IdempotencyKey returns the Idempotency-Key value (without the RFC 8941
// quotes) sent for a caller's key: the key itself when it already meets
// PortOne's rules (16-256 characters of letters, digits, '-' and '_'), the
// key behind a fixed prefix when it is only too short, and a prefixed
// SHA-256 of it otherwise. The mapping is a pure function, which is what
// keeps retries idempotent.
func IdempotencyKey(key string) string {
	if keyCharsOK(key) {
		if len(key) >= 16 && len(key) <= 256 {
			return key
		}
		if len(key) < 16 {
			return shortKeyPrefix + key
		}
	}
	sum := sha256.Sum256([]byte(key))
	return hashedKeyPrefix + hex.EncodeToString(sum[:])
}

func keyCharsOK(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// do performs one call and decodes a 2xx body into out. Every failure of
// the exchange itself is an *APIError so callers have one type to inspect.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, idemKey, op string, out any) error {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("portone: %s: encoding request: %w", op, err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return fmt.Errorf("portone: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "PortOne "+c.secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "stocking-portone/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		// An RFC 8941 string: the key travels inside double quotes. The
		// keys built by IdempotencyKey need no escaping.
		req.Header.Set("Idempotency-Key", `"`+idemKey+`"`)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return &APIError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &APIError{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("reading response: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorFromResponse(op, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &APIError{Op: op, Status: resp.StatusCode, Message: excerpt(data), Err: fmt.Errorf("decoding response: %w", err)}
		}
	}
	return nil
}

func errorFromResponse(op string, status int, data []byte) *APIError {
	e := &APIError{Op: op, Status: status}
	var body struct {
		Type      string `json:"type"`
		Message   string `json:"message"`
		PGCode    string `json:"pgCode"`
		PGMessage string `json:"pgMessage"`
	}
	if err := json.Unmarshal(data, &body); err == nil && body.Type != "" {
		e.Type, e.Message, e.PGCode, e.PGMessage = body.Type, body.Message, body.PGCode, body.PGMessage
		return e
	}
	// Not PortOne's JSON (a proxy, a load balancer): keep a little of it
	// for the log and classify by status alone.
	e.Message = excerpt(data)
	return e
}

func excerpt(data []byte) string {
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
