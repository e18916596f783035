package portonefake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// retrySchedule is PortOne's wait before each attempt of a payment webhook,
// in minutes (scaled by Config.RetryUnit): one attempt and five retries.
var retrySchedule = []int64{0, 1, 4, 16, 64, 256}

// Delivery outcomes, as PortOne's PaymentWebhook.status names them.
const (
	WebhookSucceeded        = "SUCCEEDED"
	WebhookFailedNotOK      = "FAILED_NOT_OK_RESPONSE"
	WebhookFailedUnexpected = "FAILED_UNEXPECTED_ERROR"
)

// Webhook triggers, as PortOne's PaymentWebhook.trigger names them.
const (
	TriggerManual                = "MANUAL"
	TriggerVirtualAccountDeposit = "VIRTUAL_ACCOUNT_DEPOSIT"
)

const (
	webhookResponseBodyLimit = 64 << 10
	webhookUserAgent         = "portonefake"
	secretPrefix             = "whsec_"
)

// event is one thing that happened to a payment. Its body and webhook-id
// are fixed when it happens, so every delivery and retry of it carries the
// same message.
type event struct {
	id            string
	typ           string
	paymentID     string
	paymentStatus string
	trigger       string
	body          []byte
}

// delivery is one event on its way to one URL.
type delivery struct {
	ev       *event
	url      string
	trigger  string
	status   string
	done     bool
	attempts []WebhookAttempt
}

// WebhookAttempt is one POST of a webhook.
type WebhookAttempt struct {
	At time.Time
	// Timestamp is the webhook-timestamp header of this attempt, fresh on
	// every attempt.
	Timestamp int64
	// Signature is the webhook-signature header.
	Signature string
	// StatusCode is the receiver's reply; 0 when none arrived.
	StatusCode   int
	ResponseBody string
	// Err describes a transport failure.
	Err string
}

// WebhookDelivery is the log of one webhook to one URL.
type WebhookDelivery struct {
	// ID is the webhook-id header, the same on every attempt.
	ID        string
	URL       string
	Type      string
	PaymentID string
	// PaymentStatus is the payment's status when the event happened.
	PaymentStatus string
	// Trigger is VIRTUAL_ACCOUNT_DEPOSIT, MANUAL or "".
	Trigger string
	// Body is the exact bytes sent on every attempt.
	Body []byte
	// Status is "" while the first attempt is pending, then the outcome
	// of the latest attempt.
	Status string
	// Done is true once no more attempts will be made: success, the
	// schedule ran out, or Close.
	Done     bool
	Attempts []WebhookAttempt
}

func (d *delivery) snapshot() WebhookDelivery {
	return WebhookDelivery{
		ID:            d.ev.id,
		URL:           d.url,
		Type:          d.ev.typ,
		PaymentID:     d.ev.paymentID,
		PaymentStatus: d.ev.paymentStatus,
		Trigger:       d.trigger,
		Body:          append([]byte(nil), d.ev.body...),
		Status:        d.status,
		Done:          d.done,
		Attempts:      append([]WebhookAttempt(nil), d.attempts...),
	}
}

// webhookBody is the 2024-04-25 body. Field order matches PortOne's.
type webhookBody struct {
	Type      string      `json:"type"`
	Timestamp string      `json:"timestamp"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	PaymentID      string `json:"paymentId"`
	StoreID        string `json:"storeId"`
	TransactionID  string `json:"transactionId"`
	CancellationID string `json:"cancellationId,omitempty"`
}

// emitLocked records an event and, unless automatic webhooks are off,
// starts delivering it to every target.
func (s *Server) emitLocked(p *Payment, typ, cancellationID, trigger string) {
	now := s.now()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(webhookBody{
		Type:      typ,
		Timestamp: wireTime(now),
		Data: webhookData{
			PaymentID:      p.ID,
			StoreID:        s.cfg.StoreID,
			TransactionID:  p.TransactionID,
			CancellationID: cancellationID,
		},
	})
	ev := &event{
		id:            "whk-" + uuid.Must(uuid.NewV7()).String(),
		typ:           typ,
		paymentID:     p.ID,
		paymentStatus: p.Status,
		trigger:       trigger,
		body:          bytes.TrimSuffix(buf.Bytes(), []byte("\n")),
	}
	s.events[p.ID] = append(s.events[p.ID], ev)
	if !s.cfg.DisableAutoWebhooks {
		s.deliverLocked(ev, trigger)
	}
	s.notifyLocked()
}

// deliverLocked starts one delivery per target. After Close nothing is
// sent: the event stays in the payment's history for inspection.
func (s *Server) deliverLocked(ev *event, trigger string) []*delivery {
	if s.closed {
		return nil
	}
	var out []*delivery
	for _, u := range s.targets {
		d := &delivery{ev: ev, url: u, trigger: trigger}
		s.deliveries = append(s.deliveries, d)
		out = append(out, d)
		s.pending++
		s.wg.Add(1)
		go s.run(d)
	}
	return out
}

// run makes the attempts of one delivery on PortOne's schedule with full
// jitter (each wait uniform between zero and the nominal wait), so that a
// receiver coming back from an outage is not hit by every retry at once.
func (s *Server) run(d *delivery) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		d.done = true
		s.pending--
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for _, minutes := range retrySchedule {
		if wait := jitter(time.Duration(minutes) * s.cfg.RetryUnit); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
		}
		if s.ctx.Err() != nil {
			return
		}
		a := s.attempt(d)
		s.mu.Lock()
		d.attempts = append(d.attempts, a)
		switch {
		case a.StatusCode >= 200 && a.StatusCode <= 299:
			d.status = WebhookSucceeded
		case a.StatusCode != 0:
			d.status = WebhookFailedNotOK
		default:
			d.status = WebhookFailedUnexpected
		}
		s.notifyLocked()
		s.mu.Unlock()
		s.log.Info("portonefake: webhook attempt", "webhook_id", d.ev.id, "type", d.ev.typ, "payment_id", d.ev.paymentID,
			"url", d.url, "attempt", len(d.attempts), "status", a.StatusCode, "error", a.Err)
		if d.status == WebhookSucceeded {
			return
		}
	}
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(mrand.Int64N(int64(max) + 1))
}

// attempt signs with the current time, not the event's: retries span hours
// and receivers accept only five minutes of skew.
func (s *Server) attempt(d *delivery) WebhookAttempt {
	now := s.now()
	ts := now.Unix()
	a := WebhookAttempt{At: now, Timestamp: ts, Signature: s.signature(d.ev.id, ts, d.ev.body)}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.url, bytes.NewReader(d.ev.body))
	if err != nil {
		a.Err = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set("webhook-id", d.ev.id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	if a.Signature != "" {
		req.Header.Set("webhook-signature", a.Signature)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		a.Err = err.Error()
		return a
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, webhookResponseBodyLimit))
	a.StatusCode = resp.StatusCode
	a.ResponseBody = string(body)
	return a
}

// signature is the webhook-signature header: one "v1,<base64 HMAC-SHA256>"
// entry per secret, separated by spaces, over "id.timestamp.body".
func (s *Server) signature(id string, ts int64, body []byte) string {
	entries := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(id))
		m.Write([]byte{'.'})
		m.Write([]byte(strconv.FormatInt(ts, 10)))
		m.Write([]byte{'.'})
		m.Write(body)
		entries = append(entries, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(entries, " ")
}

// Webhooks returns the delivery log, oldest first.
func (s *Server) Webhooks() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WebhookDelivery, 0, len(s.deliveries))
	for _, d := range s.deliveries {
		out = append(out, d.snapshot())
	}
	return out
}

// Resend delivers the payment's latest event again, to every current
// target, with the same webhook-id and body (it is the same message) and a
// fresh retry schedule. With DisableAutoWebhooks this is how events are
// sent at all.
func (s *Server) Resend(paymentID string) ([]WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[paymentID]; !ok {
		return nil, errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "no payment %s", paymentID)
	}
	evs := s.events[paymentID]
	if len(evs) == 0 {
		return nil, errorf(http.StatusNotFound, "WEBHOOK_NOT_FOUND", "payment %s has no webhook to resend", paymentID)
	}
	return s.resendLocked(evs[len(evs)-1])
}

func (s *Server) resendLocked(ev *event) ([]WebhookDelivery, error) {
	if s.closed {
		return nil, errorf(http.StatusServiceUnavailable, "INVALID_REQUEST", "the fake is closed")
	}
	if len(s.targets) == 0 {
		return nil, errorf(http.StatusBadRequest, "INVALID_REQUEST", "no webhook URL is configured")
	}
	ds := s.deliverLocked(ev, TriggerManual)
	out := make([]WebhookDelivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.snapshot())
	}
	s.notifyLocked()
	return out, nil
}

// WaitIdle blocks until no webhook delivery is pending (each succeeded or
// gave up) or ctx ends.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.pending == 0 {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Changed returns a channel that is closed at the next change of any
// payment or delivery, for tests that wait for a condition without polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// GenerateSecret returns a new random webhook secret in PortOne's
// "whsec_<base64>" form, for wiring the fake and the client together.
func GenerateSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// decodeSecret turns "whsec_<base64>" (or bare base64) into key bytes. The
// fake has its own copy of this rule instead of importing the client's, so
// the client's tests against the fake check one implementation against
// another.
func decodeSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), secretPrefix)
	if s == "" {
		return nil, errors.New("portonefake: empty webhook secret")
	}
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("portonefake: webhook secret %q is not whsec_ followed by base64", secret)
	}
	return k, nil
}

// wireTime formats a time as PortOne does: UTC, milliseconds, Z.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
