package portonefake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/domain"
)

func verifierFor(t *testing.T, secrets ...string) *portone.WebhookVerifier {
	t.Helper()
	v, err := portone.NewWebhookVerifier(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A receiver that fails twice and then accepts sees three attempts of one
// message: same webhook-id and body, a fresh timestamp each time, and every
// signature verifying with the real client's verifier at the time of the
// attempt. The clock jumps ten minutes per delivery, so a sender that kept
// the first timestamp would fail verification with TIMESTAMP_TOO_OLD.
func TestRetriesUntilAccepted(t *testing.T) {
	clk := newClock()
	v := verifierFor(t, secretA)
	type check struct {
		ev  portone.Webhook
		err error
	}
	checks := make(chan check, 10)
	rc := newReceiver(t, func(n int, r received) int {
		ev, err := v.Verify(r.Header, r.Body, clk.Now())
		checks <- check{ev, err}
		clk.Advance(10 * time.Minute)
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := start(t, portonefake.Config{
		WebhookURLs:    []string{rc.srv.URL},
		WebhookSecrets: []string{secretA},
		RetryUnit:      time.Millisecond,
		Now:            clk.Now,
	})
	paid, err := e.fake.Pay("ord-retry-1", "Top-up", 10000, "KRW")
	if err != nil {
		t.Fatal(err)
	}
	idle(t, e.fake)

	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("%d attempts, want 3", len(got))
	}
	seenTS := map[string]bool{}
	for i, r := range got {
		if r.Header.Get("webhook-id") != got[0].Header.Get("webhook-id") || r.Header.Get("webhook-id") == "" {
			t.Errorf("attempt %d: webhook-id %q differs from %q", i+1, r.Header.Get("webhook-id"), got[0].Header.Get("webhook-id"))
		}
		if !bytes.Equal(r.Body, got[0].Body) {
			t.Errorf("attempt %d: body changed:\n%s\n%s", i+1, r.Body, got[0].Body)
		}
		ts := r.Header.Get("webhook-timestamp")
		if seenTS[ts] {
			t.Errorf("attempt %d reused timestamp %s", i+1, ts)
		}
		seenTS[ts] = true
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if strings.Count(r.Header.Get("webhook-signature"), "v1,") != 1 {
			t.Errorf("signature header %q", r.Header.Get("webhook-signature"))
		}
		c := <-checks
		if c.err != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, c.err)
			continue
		}
		if c.ev.Type != "Transaction.Paid" || c.ev.PaymentID != "ord-retry-1" || c.ev.TransactionID != paid.TransactionID ||
			c.ev.StoreID != e.fake.Config().StoreID || c.ev.ID != got[0].Header.Get("webhook-id") {
			t.Errorf("attempt %d parsed as %+v", i+1, c.ev)
		}
	}
	// The body's timestamp is the event's time, not an attempt's.
	var body struct {
		Timestamp string `json:"timestamp"`
	}
	json.Unmarshal(got[0].Body, &body)
	if body.Timestamp != "2024-04-25T10:00:00.000Z" {
		t.Errorf("body timestamp %q", body.Timestamp)
	}

	log := e.fake.Webhooks()
	if len(log) != 1 {
		t.Fatalf("%d deliveries logged", len(log))
	}
	d := log[0]
	if d.Status != portonefake.WebhookSucceeded || !d.Done || len(d.Attempts) != 3 || d.Type != "Transaction.Paid" ||
		d.ID != got[0].Header.Get("webhook-id") || d.URL != rc.srv.URL {
		t.Fatalf("delivery %+v", d)
	}
	codes := []int{d.Attempts[0].StatusCode, d.Attempts[1].StatusCode, d.Attempts[2].StatusCode}
	if codes[0] != 500 || codes[1] != 500 || codes[2] != 200 {
		t.Fatalf("status codes %v", codes)
	}
	if strconv.FormatInt(d.Attempts[2].Timestamp, 10) != got[2].Header.Get("webhook-timestamp") {
		t.Fatalf("logged timestamp %d vs header %s", d.Attempts[2].Timestamp, got[2].Header.Get("webhook-timestamp"))
	}

	// PortOne's own delivery log inside the payment shows it too.
	_, p := call(t, http.MethodGet, e.base+"/payments/ord-retry-1", auth(e), nil, "")
	hooks := p["webhooks"].([]any)
	if len(hooks) != 1 {
		t.Fatalf("payment.webhooks %v", hooks)
	}
	h := hooks[0].(map[string]any)
	if h["status"] != "SUCCEEDED" || h["currentExecutionCount"] != 3.0 || h["maxExecutionCount"] != 6.0 || h["id"] != d.ID {
		t.Fatalf("payment.webhooks[0] %v", h)
	}
}

func TestGivesUpAfterSixAttempts(t *testing.T) {
	rc := newReceiver(t, func(int, received) int { return http.StatusServiceUnavailable })
	e := start(t, portonefake.Config{
		WebhookURLs:    []string{rc.srv.URL},
		WebhookSecrets: []string{secretA},
		RetryUnit:      100 * time.Microsecond,
	})
	e.fake.Pay("p", "o", 1000, "KRW")
	idle(t, e.fake)
	d := e.fake.Webhooks()[0]
	if len(d.Attempts) != 6 || !d.Done || d.Status != portonefake.WebhookFailedNotOK || len(rc.requests()) != 6 {
		t.Fatalf("delivery %+v, %d requests", d, len(rc.requests()))
	}
}

func TestTransportErrorsAreRetried(t *testing.T) {
	rc := newReceiver(t, nil)
	dead := rc.srv.URL
	rc.srv.Close()
	e := start(t, portonefake.Config{
		WebhookURLs:    []string{dead},
		WebhookSecrets: []string{secretA},
		RetryUnit:      100 * time.Microsecond,
	})
	e.fake.Pay("p", "o", 1000, "KRW")
	idle(t, e.fake)
	d := e.fake.Webhooks()[0]
	if len(d.Attempts) != 6 || d.Status != portonefake.WebhookFailedUnexpected || d.Attempts[0].Err == "" || d.Attempts[0].StatusCode != 0 {
		t.Fatalf("delivery %+v", d)
	}
}

// During a rotation every message carries one v1 entry per secret, and a
// receiver that knows either secret accepts it.
func TestRotationSignsWithEverySecret(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, portonefake.Config{
		WebhookURLs:    []string{rc.srv.URL},
		WebhookSecrets: []string{secretB, secretA},
		RetryUnit:      time.Millisecond,
	})
	e.fake.Pay("p", "o", 1000, "KRW")
	idle(t, e.fake)
	r := rc.requests()[0]
	entries := strings.Split(r.Header.Get("webhook-signature"), " ")
	if len(entries) != 2 || !strings.HasPrefix(entries[0], "v1,") || !strings.HasPrefix(entries[1], "v1,") || entries[0] == entries[1] {
		t.Fatalf("signature header %q", r.Header.Get("webhook-signature"))
	}
	now := time.Now()
	for _, s := range []string{secretA, secretB} {
		if _, err := verifierFor(t, s).Verify(r.Header, r.Body, now); err != nil {
			t.Errorf("receiver with only %s: %v", s, err)
		}
	}
	_, err := verifierFor(t, portonefake.GenerateSecret()).Verify(r.Header, r.Body, now)
	if !domain.IsCode(err, domain.CodeUnauthorized) || !strings.Contains(err.Error(), portone.ReasonNoMatchingSignature) {
		t.Errorf("an unrelated secret verified: %v", err)
	}
}

func TestCloseStopsPendingRetries(t *testing.T) {
	rc := newReceiver(t, func(int, received) int { return http.StatusBadGateway })
	f, err := portonefake.New(portonefake.Config{
		WebhookURLs:    []string{rc.srv.URL},
		WebhookSecrets: []string{secretA},
		RetryUnit:      time.Hour, // the next retry would be up to an hour away
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pay("p", "o", 1000, "KRW"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, "the first attempt", func() bool {
		w := f.Webhooks()
		return len(w) == 1 && len(w[0].Attempts) == 1
	})
	begin := time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Fatalf("Close took %v", took)
	}
	d := f.Webhooks()[0]
	if !d.Done || len(d.Attempts) != 1 || len(rc.requests()) != 1 {
		t.Fatalf("after Close: %+v", d)
	}
	// Later events are recorded but not sent.
	if _, err := f.Pay("q", "o", 1000, "KRW"); err != nil {
		t.Fatal(err)
	}
	if len(f.Webhooks()) != 1 {
		t.Fatal("a webhook was sent after Close")
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestEventsPerTransition(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, portonefake.Config{
		WebhookURLs:    []string{rc.srv.URL},
		WebhookSecrets: []string{secretA},
		ReadyWebhooks:  true,
		RetryUnit:      time.Millisecond,
	})
	ctx := context.Background()
	e.fake.Pay("card", "o", 10000, "KRW")
	e.fake.Fail("declined", "card declined")
	e.fake.IssueVirtualAccount("va", "o", 5000, "KRW", time.Time{})
	e.fake.Deposit("va")
	e.client.Cancel(ctx, "card", portone.CancelRequest{Reason: "partial", Amount: 1000})
	e.client.Cancel(ctx, "card", portone.CancelRequest{Reason: "rest"})
	e.fake.Pay("quiet", "o", 10000, "KRW")
	e.client.Cancel(ctx, "quiet", portone.CancelRequest{Reason: "no webhook", SkipWebhook: true})
	idle(t, e.fake)

	types := map[string][]string{}
	triggers := map[string][]string{}
	for _, d := range e.fake.Webhooks() {
		types[d.PaymentID] = append(types[d.PaymentID], d.Type)
		triggers[d.PaymentID] = append(triggers[d.PaymentID], d.Trigger)
	}
	want := map[string]string{
		"card":     "Transaction.Ready Transaction.Paid Transaction.PartialCancelled Transaction.Cancelled",
		"declined": "Transaction.Ready Transaction.Failed",
		"va":       "Transaction.Ready Transaction.VirtualAccountIssued Transaction.Paid",
		"quiet":    "Transaction.Ready Transaction.Paid",
	}
	for id, w := range want {
		if got := strings.Join(types[id], " "); got != w {
			t.Errorf("%s: events %q, want %q", id, got, w)
		}
	}
	if triggers["va"][2] != portonefake.TriggerVirtualAccountDeposit {
		t.Errorf("deposit trigger %q", triggers["va"][2])
	}

	// Refund events carry the cancellation's id, and everything verifies.
	p, _ := e.fake.Payment("card")
	cancelIDs := map[string]bool{p.Cancellations[0].ID: true, p.Cancellations[1].ID: true}
	for _, r := range rc.requests() {
		w, err := e.client.Webhook(r.Header, r.Body, time.Now())
		if err != nil {
			t.Errorf("webhook does not verify: %v", err)
			continue
		}
		if strings.HasSuffix(w.Type, "Cancelled") {
			if !cancelIDs[w.CancellationID] {
				t.Errorf("%s carries cancellationId %q", w.Type, w.CancellationID)
			}
			var raw map[string]map[string]any
			json.Unmarshal(r.Body, &raw)
			if len(raw["data"]) != 4 {
				t.Errorf("cancel data %v", raw["data"])
			}
		} else if bytes.Contains(r.Body, []byte("cancellationId")) {
			t.Errorf("%s carries a cancellationId", w.Type)
		}
	}
}

func TestManualWebhooksAndResend(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, portonefake.Config{
		WebhookSecrets:      []string{secretA},
		DisableAutoWebhooks: true,
		RetryUnit:           time.Millisecond,
	})
	e.fake.Pay("p", "o", 1000, "KRW")
	if n := len(e.fake.Webhooks()); n != 0 {
		t.Fatalf("%d deliveries with automatic webhooks off", n)
	}
	if _, err := e.fake.Resend("p"); err == nil {
		t.Fatal("resend without any target succeeded")
	}
	// Targets can be set once the receiver's address is known.
	e.fake.SetWebhookURLs(rc.srv.URL)
	ds, err := e.fake.Resend("p")
	if err != nil || len(ds) != 1 || ds[0].Trigger != portonefake.TriggerManual {
		t.Fatalf("Resend: %+v %v", ds, err)
	}
	idle(t, e.fake)
	// Through PortOne's resend endpoint as well.
	status, body := call(t, http.MethodPost, e.base+"/payments/p/resend-webhook", auth(e), nil, "")
	if status != 200 || body["webhook"] == nil {
		t.Fatalf("resend-webhook: %d %v", status, body)
	}
	idle(t, e.fake)
	got := rc.requests()
	if len(got) != 2 || got[0].Header.Get("webhook-id") != got[1].Header.Get("webhook-id") || !bytes.Equal(got[0].Body, got[1].Body) {
		t.Fatalf("resends %d: %v", len(got), got)
	}
	if _, err := e.client.VerifyWebhook(got[1].Header, got[1].Body, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Resend("nobody"); err == nil {
		t.Fatal("resend for an unknown payment")
	}
	status, body = call(t, http.MethodPost, e.base+"/payments/p/resend-webhook", auth(e), nil, `{"webhookId":"whk-none"}`)
	if status != 404 || body["type"] != "WEBHOOK_NOT_FOUND" {
		t.Fatalf("unknown webhook: %d %v", status, body)
	}
}

func TestUnsignedWithoutSecrets(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, portonefake.Config{WebhookURLs: []string{rc.srv.URL}, RetryUnit: time.Millisecond})
	e.fake.Pay("p", "o", 1000, "KRW")
	idle(t, e.fake)
	r := rc.requests()[0]
	if r.Header.Get("webhook-signature") != "" {
		t.Fatalf("signature without secrets: %q", r.Header.Get("webhook-signature"))
	}
	if _, err := e.client.VerifyWebhook(r.Header, r.Body, time.Now()); !strings.Contains(err.Error(), portone.ReasonMissingRequiredHeaders) {
		t.Fatalf("unsigned webhook: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []portonefake.Config{
		{WebhookSecrets: []string{"whsec_not-base64!"}},
		{WebhookSecrets: []string{""}},
		{ChannelType: "PROD"},
	} {
		if _, err := portonefake.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	if s := portonefake.GenerateSecret(); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("GenerateSecret() = %q", s)
	} else if _, err := portone.DecodeWebhookSecret(s); err != nil {
		t.Errorf("generated secret does not decode: %v", err)
	}
}
