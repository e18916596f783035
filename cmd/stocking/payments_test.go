package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/workflows"
)

// The payment tests run the real Main against the fake PortOne over real
// HTTP in both directions: the Main's PortOne client calls the fake's REST
// API, and the fake signs and posts its webhooks (retrying on PortOne's
// schedule, scaled to milliseconds) to the Main's webhook URL through a
// relay the tests can make flaky or silent.

// cashPerWon is not the default, so the tests prove the configured rate is
// the one that counts.
const cashPerWon = 50

// payEnv is a Main taking payments through a fake PortOne.
type payEnv struct {
	t      *testing.T
	m      *Main
	fake   *portonefake.Server
	secret string
	hooks  *hookRelay
}

// hookRelay stands between the fake's webhooks and the Main. For payments
// it holds, it answers 503 without passing the delivery on (the receiver
// is down); for flaky ones it passes every attempt on but answers 503 to
// the first two attempts of each webhook, so PortOne's retries reach the
// Main as repeats of a message it already took.
type hookRelay struct {
	target string
	mu     sync.Mutex
	held   map[string]bool
	flaky  map[string]bool
	seen   map[string]int // attempts per webhook-id
}

func (h *hookRelay) hold(paymentID string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[paymentID] = on
}

func (h *hookRelay) makeFlaky(paymentID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flaky[paymentID] = true
}

func (h *hookRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Data struct {
			PaymentID string `json:"paymentId"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &ev)
	h.mu.Lock()
	held, flaky := h.held[ev.Data.PaymentID], h.flaky[ev.Data.PaymentID]
	id := r.Header.Get("webhook-id")
	h.seen[id]++
	attempt := h.seen[id]
	target := h.target
	h.mu.Unlock()
	if held {
		http.Error(w, "receiver down (test)", http.StatusServiceUnavailable)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if flaky && attempt <= 2 {
		http.Error(w, "flaky (test)", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// startPayEnv starts a fake PortOne and a Main configured for it (the real
// PortOne client, PORTONE_* variables), with extra environment on top.
func startPayEnv(t *testing.T, env func(extra map[string]string) func(string) string, opts Options, fakeCfg portonefake.Config) *payEnv {
	t.Helper()
	secret := portonefake.GenerateSecret()
	fakeCfg.WebhookSecrets = []string{secret}
	fakeCfg.RetryUnit = time.Millisecond
	fake, err := portonefake.New(fakeCfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := fake.Start("")
	if err != nil {
		t.Fatal(err)
	}
	fc := fake.Config()
	m, _ := startMainWith(t, env(map[string]string{
		"PORTONE_V2_API_SECRET":  fc.APISecret,
		"PORTONE_API_BASE":       base,
		"PORTONE_STORE_ID":       fc.StoreID,
		"PORTONE_CHANNEL_KEY":    fc.ChannelKey,
		"PORTONE_WEBHOOK_SECRET": secret,
		"CASH_PER_WON":           strconv.Itoa(cashPerWon),
	}), opts)
	hooks := &hookRelay{target: m.URL() + webhookPath, held: map[string]bool{}, flaky: map[string]bool{}, seen: map[string]int{}}
	relay := httptest.NewServer(hooks)
	t.Cleanup(relay.Close)
	// Cleanups run last first: the fake stops sending before the relay
	// and the Main shut down.
	t.Cleanup(func() { fake.Close() })
	fake.SetWebhookURLs(relay.URL)
	return &payEnv{t: t, m: m, fake: fake, secret: secret, hooks: hooks}
}

// prepare prepares a payment for u and returns its data.
func (e *payEnv) prepare(u *apiClient, amount any, product string) map[string]any {
	u.t.Helper()
	body := map[string]any{"amount": amount, "order_name": "가상머니 충전", "currency": "KRW"}
	if product != "" {
		body["product"] = product
		body["order_name"] = "프리미엄 구독"
	}
	p := u.must(201, "POST", "/payments/portone/prepare", body)
	if e.m.Temporal != nil && e.m.Options.Worker {
		// A person takes longer to pay than the relay takes to start the
		// workflow; waiting for it makes every step go through it.
		id := p["payment_id"].(string)
		waitFor(u.t, "the workflow of payment "+id, 10*time.Second, func() bool {
			_, err := e.m.Temporal.DescribeWorkflowExecution(context.Background(), workflows.PaymentWorkflowID(id), "")
			return err == nil
		})
	}
	return p
}

// idle waits until the fake has no webhook delivery in flight.
func (e *payEnv) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.fake.WaitIdle(ctx); err != nil {
		t.Fatalf("webhooks still in flight: %v", err)
	}
}

// waitStatus polls the payment until it has the status.
func waitStatus(t *testing.T, u *apiClient, id, status string) map[string]any {
	t.Helper()
	var p map[string]any
	waitFor(t, "payment "+id+" to be "+status, 20*time.Second, func() bool {
		p = u.must(200, "GET", "/payments/"+id, nil)
		return p["status"] == status
	})
	return p
}

// deposits counts the ledger's DEPOSIT rows booked for a payment.
func deposits(t *testing.T, u *apiClient, paymentID string) int {
	t.Helper()
	n := 0
	for _, r := range u.list("/transactions?type=DEPOSIT&limit=200") {
		if r.(map[string]any)["payment_id"] == paymentID {
			n++
		}
	}
	return n
}

// webhookReq is one webhook as the test sends it.
type webhookReq struct {
	id, ts string
	body   []byte
	sig    string
	omit   string // a header to leave out
}

// signed builds a webhook signed with secret at ts.
func signed(secret, id string, ts time.Time, body []byte) webhookReq {
	w := webhookReq{id: id, ts: strconv.FormatInt(ts.Unix(), 10), body: body}
	w.sig = signature(secret, w.id, w.ts, body)
	return w
}

func signature(secret, id, ts string, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// post sends the webhook straight to the Main and returns the status and
// the answer.
func (e *payEnv) post(t *testing.T, w webhookReq) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.m.URL()+webhookPath, bytes.NewReader(w.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range map[string]string{"webhook-id": w.id, "webhook-timestamp": w.ts, "webhook-signature": w.sig} {
		if k != w.omit {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func paidBody(paymentID string) []byte {
	return []byte(fmt.Sprintf(`{"type":"Transaction.Paid","timestamp":"%s","data":{"paymentId":"%s","storeId":"%s","transactionId":"test-tx"}}`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), paymentID, portonefake.DefaultStoreID))
}

func amountOf(t *testing.T, d map[string]any) int64 {
	t.Helper()
	return dec(t, d["amount"]).IntPart()
}

func TestPaymentsThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	e := startPayEnv(t, func(extra map[string]string) func(string) string { return temporalEnv(t, ts, extra) },
		Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true}, portonefake.Config{})
	m := e.m

	// workflowOutcome waits for the payment's workflow to end.
	workflowOutcome := func(t *testing.T, id string) workflows.PaymentOutcome {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out workflows.PaymentOutcome
		var err error
		for ctx.Err() == nil {
			if err = m.Temporal.GetWorkflow(ctx, workflows.PaymentWorkflowID(id), "").Get(ctx, &out); err == nil {
				return out
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("workflow of payment %s: %v", id, err)
		return out
	}

	t.Run("CompleteCreditsOnce", func(t *testing.T) {
		u := signup(t, m, "complete@example.com")
		p := e.prepare(u, 10000, "")
		id := p["payment_id"].(string)
		eq(t, "credit_amount", p["credit_amount"], strconv.Itoa(10000*cashPerWon))
		if p["store_id"] != portonefake.DefaultStoreID || p["channel_key"] != portonefake.DefaultChannelKey {
			t.Fatalf("prepare: %v", p)
		}
		// The browser pays with what prepare answered.
		if _, err := e.fake.Pay(id, p["order_name"].(string), amountOf(t, p), p["currency"].(string)); err != nil {
			t.Fatal(err)
		}
		done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		if done["status"] != "PAID" || done["paid_amount"] != "10000" || done["fulfilled_at"] == nil {
			t.Fatalf("complete: %v", done)
		}
		e.idle(t)
		u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		if n := deposits(t, u, id); n != 1 {
			t.Fatalf("%d DEPOSIT rows for the payment, want 1", n)
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], strconv.Itoa(10_000_000+10000*cashPerWon))
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentPaid) {
			t.Fatalf("workflow outcome %+v", out)
		}
		other := signup(t, m, "someone-else@example.com")
		other.must(404, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		other.must(404, "GET", "/payments/"+id, nil)
		if l := other.list("/payments"); len(l) != 0 {
			t.Fatalf("another user's payments: %v", l)
		}
	})

	t.Run("WebhookAloneFulfils", func(t *testing.T) {
		u := signup(t, m, "webhook@example.com")
		p := e.prepare(u, "20000", "")
		id := p["payment_id"].(string)
		if _, err := e.fake.Pay(id, p["order_name"].(string), amountOf(t, p), "KRW"); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, u, id, "PAID")
		e.idle(t)
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], strconv.Itoa(10_000_000+20000*cashPerWon))

		// Replays: PortOne re-sending the same message (same webhook-id and
		// body, fresh signature), and the very same request again.
		if _, err := e.fake.Resend(id); err != nil {
			t.Fatal(err)
		}
		e.idle(t)
		var paid *portonefake.WebhookDelivery
		for _, d := range e.fake.Webhooks() {
			if d.PaymentID == id && d.Type == "Transaction.Paid" {
				if d.Status != portonefake.WebhookSucceeded {
					t.Errorf("delivery %s ended %s: %+v", d.ID, d.Status, d.Attempts)
				}
				paid = &d
			}
		}
		if paid == nil {
			t.Fatal("no Transaction.Paid delivery")
		}
		last := paid.Attempts[len(paid.Attempts)-1]
		again := webhookReq{id: paid.ID, ts: strconv.FormatInt(last.Timestamp, 10), body: paid.Body, sig: last.Signature}
		for range 2 {
			if st, body := e.post(t, again); st != 200 {
				t.Fatalf("replayed webhook: %d %s", st, body)
			}
		}
		if n := deposits(t, u, id); n != 1 {
			t.Fatalf("%d DEPOSIT rows after replays, want 1", n)
		}
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentPaid) {
			t.Fatalf("workflow outcome %+v", out)
		}
	})

	t.Run("Premium", func(t *testing.T) {
		u := signup(t, m, "premium@example.com")
		if me := u.must(200, "GET", "/users/me", nil); me["premium_until"] != nil || me["is_premium"] != false {
			t.Fatalf("before: %v", me)
		}
		p := e.prepare(u, 9900, "PREMIUM")
		id := p["payment_id"].(string)
		if p["premium_days"].(float64) != 30 {
			t.Fatalf("prepare premium: %v", p)
		}
		if _, err := e.fake.Pay(id, p["order_name"].(string), 9900, "KRW"); err != nil {
			t.Fatal(err)
		}
		if done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id}); done["status"] != "PAID" {
			t.Fatalf("complete: %v", done)
		}
		me := u.must(200, "GET", "/users/me", nil)
		until, err := time.Parse(time.RFC3339, fmt.Sprint(me["premium_until"]))
		if err != nil || me["is_premium"] != true {
			t.Fatalf("after: %v", me)
		}
		if d := time.Until(until); d < 29*24*time.Hour || d > 31*24*time.Hour {
			t.Fatalf("premium_until %s is not 30 days ahead", until)
		}
		e.idle(t)
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
		if n := deposits(t, u, id); n != 0 {
			t.Fatalf("premium booked %d DEPOSIT rows", n)
		}
		if again := u.must(200, "GET", "/users/me", nil); again["premium_until"] != me["premium_until"] {
			t.Fatalf("premium extended twice: %v then %v", me["premium_until"], again["premium_until"])
		}
	})

	t.Run("ForgedStaleAndIncompleteWebhooks", func(t *testing.T) {
		u := signup(t, m, "forged@example.com")
		p := e.prepare(u, 10000, "")
		id := p["payment_id"].(string)
		// PortOne says PAID, but its webhooks do not get through, so only
		// the test's deliveries can tell the Main.
		e.hooks.hold(id, true)
		if _, err := e.fake.Pay(id, p["order_name"].(string), 10000, "KRW"); err != nil {
			t.Fatal(err)
		}
		e.idle(t)
		body := paidBody(id)
		now := time.Now()
		good := signed(e.secret, "whk-forged-test", now, body)
		bad := []struct {
			name string
			w    webhookReq
			want string
		}{
			{"another secret", signed(portonefake.GenerateSecret(), good.id, now, body), "NO_MATCHING_SIGNATURE"},
			{"secret text as key", webhookReq{id: good.id, ts: good.ts, body: body, sig: "v1," + base64.StdEncoding.EncodeToString(hmacOf([]byte(e.secret), good.id+"."+good.ts+"."+string(body)))}, "NO_MATCHING_SIGNATURE"},
			{"body changed after signing", webhookReq{id: good.id, ts: good.ts, body: append([]byte(" "), body...), sig: good.sig}, "NO_MATCHING_SIGNATURE"},
			{"stale", signed(e.secret, good.id, now.Add(-301*time.Second), body), "TIMESTAMP_TOO_OLD"},
			{"future", signed(e.secret, good.id, now.Add(330*time.Second), body), "TIMESTAMP_TOO_NEW"},
			{"no webhook-id", webhookReq{id: good.id, ts: good.ts, body: body, sig: good.sig, omit: "webhook-id"}, "MISSING_REQUIRED_HEADERS"},
			{"no webhook-timestamp", webhookReq{id: good.id, ts: good.ts, body: body, sig: good.sig, omit: "webhook-timestamp"}, "MISSING_REQUIRED_HEADERS"},
			{"no webhook-signature", webhookReq{id: good.id, ts: good.ts, body: body, sig: good.sig, omit: "webhook-signature"}, "MISSING_REQUIRED_HEADERS"},
		}
		for _, b := range bad {
			st, answer := e.post(t, b.w)
			if st != 400 || !strings.Contains(answer, b.want) || !strings.Contains(answer, `"status":400`) {
				t.Errorf("%s: %d %s, want a 400 problem naming %s", b.name, st, answer, b.want)
			}
		}
		if got := u.must(200, "GET", "/payments/"+id, nil); got["status"] != "PREPARED" {
			t.Fatalf("rejected webhooks changed the payment: %v", got)
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")

		// A delivery inside the ±300 s window is taken.
		if st, answer := e.post(t, signed(e.secret, good.id, now.Add(-290*time.Second), body)); st != 200 {
			t.Fatalf("webhook 290 s old: %d %s", st, answer)
		}
		waitStatus(t, u, id, "PAID")
		e.hooks.hold(id, false)
		if n := deposits(t, u, id); n != 1 {
			t.Fatalf("%d DEPOSIT rows, want 1", n)
		}
	})

	t.Run("UnknownPayment", func(t *testing.T) {
		u := signup(t, m, "unknown@example.com")
		for _, body := range [][]byte{
			paidBody("nosuchpayment0000000000000000000"),
			[]byte(`{"type":"BillingKey.Issued","timestamp":"2026-03-02T00:00:00.000Z","data":{"billingKey":"bk","storeId":"s"}}`),
			[]byte(`{"type":"Transaction.SomethingNew","timestamp":"2026-03-02T00:00:00.000Z","data":{"paymentId":"x","storeId":"s","transactionId":"t"}}`),
		} {
			if st, answer := e.post(t, signed(e.secret, "whk-unknown", time.Now(), body)); st != 200 {
				t.Fatalf("webhook %s: %d %s", body, st, answer)
			}
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
		if l := u.list("/payments"); len(l) != 0 {
			t.Fatalf("payments: %v", l)
		}
	})

	t.Run("AmountChangedIsRefunded", func(t *testing.T) {
		u := signup(t, m, "tamper@example.com")
		p := e.prepare(u, 10000, "")
		id := p["payment_id"].(string)
		// The browser was tampered with and paid 100 won.
		if _, err := e.fake.PayWithAmount(id, p["order_name"].(string), 100, "KRW"); err != nil {
			t.Fatal(err)
		}
		done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		if done["status"] != "MISMATCHED" || done["paid_amount"] != "100" || done["fulfilled_at"] != nil || !strings.Contains(fmt.Sprint(done["reason"]), "paid 100 but 10000 was prepared") {
			t.Fatalf("complete: %v", done)
		}
		waitFor(t, "the refund at PortOne", 20*time.Second, func() bool {
			fp, _ := e.fake.Payment(id)
			return fp.Status == portonefake.StatusCancelled && fp.Amount.Cancelled == 100
		})
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentMismatched) {
			t.Fatalf("workflow outcome %+v", out)
		}
		e.idle(t)
		if fp, _ := e.fake.Payment(id); len(fp.Cancellations) != 1 {
			t.Fatalf("refunded %d times: %+v", len(fp.Cancellations), fp.Cancellations)
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
		if n := deposits(t, u, id); n != 0 {
			t.Fatalf("a mismatched payment booked %d DEPOSIT rows", n)
		}
		if got := u.must(200, "GET", "/payments/"+id, nil); got["status"] != "MISMATCHED" {
			t.Fatalf("after the refund webhook: %v", got)
		}
	})

	t.Run("Failed", func(t *testing.T) {
		u := signup(t, m, "declined@example.com")
		p := e.prepare(u, 10000, "")
		id := p["payment_id"].(string)
		if _, err := e.fake.Open(id, p["order_name"].(string), 10000, "KRW"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.fake.Fail(id, "카드 한도 초과"); err != nil {
			t.Fatal(err)
		}
		done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		if done["status"] != "FAILED" || done["reason"] != "카드 한도 초과" || done["paid_amount"] != nil {
			t.Fatalf("complete: %v", done)
		}
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentFailed) {
			t.Fatalf("workflow outcome %+v", out)
		}
		e.idle(t)
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
	})

	t.Run("VirtualAccount", func(t *testing.T) {
		u := signup(t, m, "bank@example.com")
		p := e.prepare(u, 30000, "")
		id := p["payment_id"].(string)
		if _, err := e.fake.IssueVirtualAccount(id, p["order_name"].(string), 30000, "KRW", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id}); done["status"] != "AWAITING_DEPOSIT" {
			t.Fatalf("complete after the account was issued: %v", done)
		}
		e.idle(t)
		eq(t, "cash before the deposit", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
		// Only PortOne's webhook tells of the deposit.
		if _, err := e.fake.Deposit(id); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, u, id, "PAID")
		e.idle(t)
		u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
		if n := deposits(t, u, id); n != 1 {
			t.Fatalf("%d DEPOSIT rows, want 1", n)
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], strconv.Itoa(10_000_000+30000*cashPerWon))
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentPaid) {
			t.Fatalf("workflow outcome %+v", out)
		}
	})

	t.Run("EverythingAtOnce", func(t *testing.T) {
		u := signup(t, m, "race@example.com")
		p := e.prepare(u, 50000, "")
		id := p["payment_id"].(string)
		e.hooks.makeFlaky(id) // the first two attempts of its webhook are answered 503
		if _, err := e.fake.Pay(id, p["order_name"].(string), 50000, "KRW"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		statuses := make([]any, 12)
		for i := range statuses {
			wg.Go(func() {
				st, out := u.do("POST", "/payments/portone/complete", map[string]any{"payment_id": id})
				if st != 200 {
					statuses[i] = fmt.Sprint(st, out)
					return
				}
				statuses[i] = out["data"].(map[string]any)["status"]
			})
		}
		for range 3 {
			wg.Go(func() {
				if _, err := e.fake.Resend(id); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				if st, answer := e.post(t, signed(e.secret, "whk-race", time.Now(), paidBody(id))); st != 200 {
					t.Errorf("webhook: %d %s", st, answer)
				}
			})
		}
		wg.Wait()
		e.idle(t)
		for i, s := range statuses {
			if s != "PAID" {
				t.Errorf("completion %d answered %v", i, s)
			}
		}
		retried := false
		for _, d := range e.fake.Webhooks() {
			if d.PaymentID == id && d.Type == "Transaction.Paid" && len(d.Attempts) >= 2 && d.Status == portonefake.WebhookSucceeded {
				retried = true
			}
		}
		if !retried {
			t.Error("no webhook of the payment was retried; the race lacks its retries")
		}
		if n := deposits(t, u, id); n != 1 {
			t.Fatalf("%d DEPOSIT rows, want exactly 1", n)
		}
		eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], strconv.Itoa(10_000_000+50000*cashPerWon))
		if out := workflowOutcome(t, id); out.Status != string(domain.PaymentPaid) {
			t.Fatalf("workflow outcome %+v", out)
		}
	})

	audit(t, m)
}

func hmacOf(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

func TestPaymentCompletionWhileTemporalIsUnreachable(t *testing.T) {
	// Nothing listens there: the workflow never starts, and the service
	// verifies with PortOne itself.
	down := freeAddr(t)
	e := startPayEnv(t, func(extra map[string]string) func(string) string {
		extra["TEMPORAL_ADDRESS"] = down
		return testEnv(t, extra)
	}, Options{Migrate: true, Seed: true, API: true, Relay: true}, portonefake.Config{})
	u := signup(t, e.m, "offline-payer@example.com")
	p := e.prepare(u, 10000, "")
	id := p["payment_id"].(string)
	if _, err := e.fake.Pay(id, p["order_name"].(string), 10000, "KRW"); err != nil {
		t.Fatal(err)
	}
	if done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id}); done["status"] != "PAID" {
		t.Fatalf("complete while Temporal is down: %v", done)
	}
	e.idle(t)
	u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
	if n := deposits(t, u, id); n != 1 {
		t.Fatalf("%d DEPOSIT rows, want 1", n)
	}
	eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], strconv.Itoa(10_000_000+10000*cashPerWon))
	// The workflow start still waits in the outbox for the cluster.
	if n, err := e.m.Store.OutboxSize(context.Background()); err != nil || n < 1 {
		t.Fatalf("outbox holds %d messages (%v)", n, err)
	}
	audit(t, e.m)
}

func TestProductionRefusesTestChannelPayments(t *testing.T) {
	e := startPayEnv(t, func(extra map[string]string) func(string) string {
		extra["STOCKING_ENV"] = "production"
		extra["JWT_SECRET_KEY"] = "a-production-secret-of-at-least-32-characters"
		return testEnv(t, extra)
	}, Options{Migrate: true, Seed: true, API: true}, portonefake.Config{ChannelType: "TEST"})
	u := signup(t, e.m, "live@example.com")
	p := e.prepare(u, 10000, "")
	id := p["payment_id"].(string)
	if _, err := e.fake.Pay(id, p["order_name"].(string), 10000, "KRW"); err != nil {
		t.Fatal(err)
	}
	done := u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
	if done["status"] != "MISMATCHED" || !strings.Contains(fmt.Sprint(done["reason"]), "TEST channel") {
		t.Fatalf("a test-channel payment in production: %v", done)
	}
	e.idle(t)
	eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "10000000")
	if fp, _ := e.fake.Payment(id); fp.Status != portonefake.StatusCancelled {
		t.Fatalf("the test-channel payment was not refunded: %s", fp.Status)
	}
}

func TestDevRunsAFakePortOne(t *testing.T) {
	m, _ := startMainWith(t, testEnv(t, nil), Options{Migrate: true, Seed: true, API: true, FakePortOne: true})
	if m.PortOneFake == nil || !strings.HasSuffix(m.PortOneCheckoutURL(), "/portone-fake/__fake/checkout") {
		t.Fatalf("no fake PortOne: %q", m.PortOneCheckoutURL())
	}
	u := signup(t, m, "dev@example.com")
	p := u.must(201, "POST", "/payments/portone/prepare", map[string]any{"amount": 10000, "order_name": "충전", "currency": "KRW"})
	id := p["payment_id"].(string)

	// A person opens the checkout page and pays there: the page is served
	// by the API's server, and the fake's webhook comes back to it.
	page, err := http.Get(m.PortOneCheckoutURL() + "?paymentId=" + id + "&amount=10000&orderName=x")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(html), id) {
		t.Fatalf("checkout page: %d %s", page.StatusCode, html)
	}
	resp, err := http.PostForm(m.PortOneCheckoutURL(), map[string][]string{
		"paymentId": {id}, "orderName": {"충전"}, "amount": {"10000"}, "currency": {"KRW"}, "action": {"pay"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("paying on the checkout page: %d", resp.StatusCode)
	}
	waitStatus(t, u, id, "PAID")
	eq(t, "cash", u.must(200, "GET", "/balance", nil)["cash"], "11000000")
	audit(t, m)
}

func TestPaymentsDisabledWithoutPortOne(t *testing.T) {
	m, _ := startMain(t, nil)
	u := signup(t, m, "nopay@example.com")
	st, out := u.do("POST", "/payments/portone/prepare", map[string]any{"amount": 10000, "order_name": "충전", "currency": "KRW"})
	if st != 503 || !strings.Contains(fmt.Sprint(out["detail"]), "PORTONE_V2_API_SECRET") {
		t.Fatalf("prepare without PortOne: %d %v", st, out)
	}
	st, out = (&apiClient{t: t, base: m.URL() + "/api/v1"}).do("POST", "/payments/portone/webhook", map[string]any{"type": "Transaction.Paid"})
	if st != 503 {
		t.Fatalf("webhook without PortOne: %d %v", st, out)
	}
}
