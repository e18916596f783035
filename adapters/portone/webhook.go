package portone

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// Header names of a Standard Webhooks delivery, as PortOne sends them.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// Reasons a webhook is rejected. They are the failure names PortOne's own
// SDKs use, so a log line reads the same whichever verifier produced it.
const (
	ReasonMissingRequiredHeaders = "MISSING_REQUIRED_HEADERS"
	ReasonNoMatchingSignature    = "NO_MATCHING_SIGNATURE"
	ReasonInvalidSignature       = "INVALID_SIGNATURE"
	ReasonTimestampTooOld        = "TIMESTAMP_TOO_OLD"
	ReasonTimestampTooNew        = "TIMESTAMP_TOO_NEW"
)

// WebhookTolerance is how far a webhook-timestamp may lie from the
// verifier's clock in either direction. It bounds how long a captured
// delivery can be replayed.
const WebhookTolerance = 300 * time.Second

// secretPrefix marks a Standard Webhooks secret; the key is what follows,
// base64-encoded.
const secretPrefix = "whsec_"

// DecodeWebhookSecret turns a webhook secret as PortOne's console shows it
// ("whsec_" followed by base64, or the bare base64) into HMAC key bytes.
// Using the secret text itself as the key is the classic integration bug, so
// anything that is not base64 is refused rather than used as it is.
func DecodeWebhookSecret(secret string) ([]byte, error) {
	s := strings.TrimSpace(secret)
	s = strings.TrimPrefix(s, secretPrefix)
	if s == "" {
		return nil, errors.New("portone: empty webhook secret")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Some tools strip the padding when secrets are copied around;
		// the bytes are the same, so accept that form too.
		var rawErr error
		key, rawErr = base64.RawStdEncoding.DecodeString(s)
		if rawErr != nil {
			return nil, fmt.Errorf("portone: webhook secret is not base64 after the %q prefix: %w", secretPrefix, err)
		}
	}
	if len(key) == 0 {
		return nil, errors.New("portone: webhook secret decodes to no bytes")
	}
	return key, nil
}

// SplitWebhookSecrets splits a configuration value that may hold several
// secrets (during a rotation) separated by commas or white space. Base64
// never contains either, so the split is unambiguous.
func SplitWebhookSecrets(values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		})...)
	}
	return out
}

// Webhook is a verified PortOne webhook with everything its body said,
// including the cancellationId that domain.WebhookEvent has no room for.
type Webhook struct {
	domain.WebhookEvent
	// CancellationID is set on Transaction.Cancelled, PartialCancelled and
	// CancelPending.
	CancellationID string
	// BillingKey is set on BillingKey.* events.
	BillingKey string
	// Data is the raw data object, for event types this package does not
	// know yet.
	Data json.RawMessage
}

// WebhookVerifier checks Standard Webhooks signatures with one or more
// secrets. Several secrets let a rotation happen without downtime: PortOne
// signs with both the old and the new secret during the grace period, and a
// deployment may know only one of them at any moment.
type WebhookVerifier struct {
	keys [][]byte
}

// NewWebhookVerifier decodes the given secrets (see DecodeWebhookSecret and
// SplitWebhookSecrets). At least one secret is required.
func NewWebhookVerifier(secrets ...string) (*WebhookVerifier, error) {
	var keys [][]byte
	for _, s := range SplitWebhookSecrets(secrets...) {
		k, err := DecodeWebhookSecret(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("portone: no webhook secret configured")
	}
	return &WebhookVerifier{keys: keys}, nil
}

// Verify authenticates a delivery and parses its body. header is matched
// case-insensitively (a plain map from a test or another framework need not
// be canonicalised); body must be the raw bytes as received, because any
// re-encoding changes the signed content.
//
// The checks run in the order PortOne's SDKs use: headers, timestamp
// format, timestamp window, then the signature, so a stale delivery is
// refused without spending an HMAC on it. Rejections are domain errors with
// CodeUnauthorized whose message starts with one of the Reason constants; a
// body that is authentic but not JSON is CodeInvalid.
func (v *WebhookVerifier) Verify(header map[string][]string, body []byte, now time.Time) (Webhook, error) {
	id, okID := singleHeader(header, HeaderWebhookID)
	ts, okTS := singleHeader(header, HeaderWebhookTimestamp)
	sigs, okSig := singleHeader(header, HeaderWebhookSignature)
	if !okID || !okTS || !okSig {
		return Webhook{}, reject(ReasonMissingRequiredHeaders,
			"webhook-id, webhook-timestamp and webhook-signature must each be present exactly once and not be empty")
	}

	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Webhook{}, reject(ReasonInvalidSignature, "webhook-timestamp is not an integer number of seconds")
	}
	// Whole seconds on both sides, as the header carries whole seconds: a
	// sub-second remainder on the local clock must not move the edges.
	nowSec := now.Unix()
	tolerance := int64(WebhookTolerance / time.Second)
	// Compared as sent < now-tolerance rather than now-sent > tolerance so
	// that an absurd header value cannot overflow the subtraction.
	if sent < nowSec-tolerance {
		return Webhook{}, reject(ReasonTimestampTooOld, "webhook-timestamp is more than 5 minutes in the past")
	}
	if sent > nowSec+tolerance {
		return Webhook{}, reject(ReasonTimestampTooNew, "webhook-timestamp is more than 5 minutes in the future")
	}

	// The timestamp enters the signed content as the header text, not as a
	// re-formatted integer, which is what the JS and Python SDKs sign.
	content := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	content = append(content, id...)
	content = append(content, '.')
	content = append(content, ts...)
	content = append(content, '.')
	content = append(content, body...)
	macs := make([][]byte, len(v.keys))
	for i, k := range v.keys {
		m := hmac.New(sha256.New, k)
		m.Write(content)
		macs[i] = m.Sum(nil)
	}
	if !anySignatureMatches(sigs, macs) {
		return Webhook{}, reject(ReasonNoMatchingSignature, "no v1 entry of webhook-signature matches a configured secret")
	}

	w, err := ParseWebhookBody(body)
	if err != nil {
		return Webhook{}, err
	}
	w.ID = id
	return w, nil
}

// anySignatureMatches walks every entry rather than the first one, because
// during a secret rotation the matching entry may be the second.
func anySignatureMatches(header string, macs [][]byte) bool {
	matched := false
	for entry := range strings.SplitSeq(header, " ") {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			// Unknown versions are for verifiers newer than this one.
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		for _, mac := range macs {
			// Constant-time, and no early return, so timing says nothing
			// about which entry or how much of it matched.
			if hmac.Equal(got, mac) {
				matched = true
			}
		}
	}
	return matched
}

// singleHeader finds name case-insensitively and insists on exactly one
// non-empty value: a duplicated signature header could smuggle an entry past
// a proxy that only inspects the first one.
func singleHeader(header map[string][]string, name string) (string, bool) {
	var values []string
	for k, vs := range header {
		if strings.EqualFold(k, name) {
			values = append(values, vs...)
		}
	}
	if len(values) != 1 || strings.TrimSpace(values[0]) == "" {
		return "", false
	}
	return values[0], true
}

func reject(reason, detail string) error {
	return domain.Errorf(domain.CodeUnauthorized, "%s: %s", reason, detail)
}

// webhookBody is the 2024-04-25 body. Every field is optional here: PortOne
// adds fields and event types without notice, and an unknown type must reach
// the caller so it can acknowledge and ignore it.
type webhookBody struct {
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type webhookData struct {
	PaymentID      string `json:"paymentId"`
	StoreID        string `json:"storeId"`
	TransactionID  string `json:"transactionId"`
	CancellationID string `json:"cancellationId"`
	BillingKey     string `json:"billingKey"`
}

// ParseWebhookBody parses a 2024-04-25 webhook body without checking any
// signature; Verify calls it after the signature passed. A body that is not
// a JSON object with a type is CodeInvalid. The ID field is left empty: it
// comes from the webhook-id header.
func ParseWebhookBody(body []byte) (Webhook, error) {
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return Webhook{}, domain.Errorf(domain.CodeInvalid, "webhook body is not a JSON object: %v", err)
	}
	if b.Type == "" {
		return Webhook{}, domain.Errorf(domain.CodeInvalid, "webhook body has no type")
	}
	w := Webhook{WebhookEvent: domain.WebhookEvent{Type: b.Type}, Data: b.Data}
	if b.Timestamp != "" {
		// RFC3339 in Go accepts an optional fraction, and PortOne does not
		// promise milliseconds; an unparseable time is left zero rather than
		// failing a webhook that is only a hint anyway.
		if t, err := time.Parse(time.RFC3339, b.Timestamp); err == nil {
			w.Timestamp = t.UTC()
		}
	}
	if len(b.Data) > 0 && string(b.Data) != "null" {
		var d webhookData
		if err := json.Unmarshal(b.Data, &d); err != nil {
			// Only a payment event is useless without its data; other
			// kinds may carry shapes this version does not model.
			if strings.HasPrefix(b.Type, "Transaction.") {
				return Webhook{}, domain.Errorf(domain.CodeInvalid, "webhook data of %s is malformed: %v", b.Type, err)
			}
		} else {
			w.PaymentID = d.PaymentID
			w.StoreID = d.StoreID
			w.TransactionID = d.TransactionID
			w.CancellationID = d.CancellationID
			w.BillingKey = d.BillingKey
		}
	}
	return w, nil
}
