package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/auth"
	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite"
	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// paymentEnv is env with payments on: the real PortOne client talking to
// the fake over HTTP. The fake sends no webhooks by itself, so each test
// decides what reaches the handler.
type paymentEnv struct {
	*env
	fake   *portonefake.Server
	secret string
}

func newPaymentEnv(t *testing.T) *paymentEnv {
	t.Helper()
	ctx := context.Background()
	secret := portonefake.GenerateSecret()
	fake, err := portonefake.New(portonefake.Config{WebhookSecrets: []string{secret}, DisableAutoWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	base, err := fake.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	fc := fake.Config()
	gw, err := portone.New(portone.Config{BaseURL: base, APISecret: fc.APISecret, StoreID: fc.StoreID, ChannelKey: fc.ChannelKey, WebhookSecrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, sqlite.Config{Path: sqlite.MemoryPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewJWT(testSecret, 15*time.Minute, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	initial := decimal.NewFromInt(10_000_000)
	svc, err := service.New(service.Deps{
		Store: store, Clock: system.Clock{}, IDs: system.IDs{}, Tokens: tokens, Hasher: auth.Bcrypt{Cost: 4}, Gateway: gw,
	}, service.Config{InitialCash: initial, Calendar: &domain.Calendar{Always: true}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: svc, store: store, secret: testSecret, initial: initial}
	e.h = httpapi.NewHandler(httpapi.Options{Service: svc, Registry: prometheus.NewRegistry(), Version: "test"})
	return &paymentEnv{env: e, fake: fake, secret: secret}
}

// webhook posts body as PortOne would, signed with secret at ts.
func (e *paymentEnv) webhook(body []byte, id string, ts time.Time, secret string) resp {
	e.t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/payments/portone/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", stamp)
	req.Header.Set("webhook-signature", sign(e.t, secret, id, stamp, body))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	out := resp{Status: w.Code, Header: w.Header(), Raw: w.Body.Bytes()}
	if len(out.Raw) > 0 {
		if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
			e.t.Fatalf("webhook answer is not JSON: %s", out.Raw)
		}
	}
	return out
}

// sign computes a Standard Webhooks v1 signature.
func sign(t testing.TB, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestPaymentsDisabled(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("nopay@example.com")
	p := e.must(http.StatusServiceUnavailable, "POST", "/api/v1/payments/portone/prepare", tok, map[string]any{"amount": 10000, "order_name": "충전", "currency": "KRW"})
	assertProblem(t, p, 503, "unavailable", "PORTONE_V2_API_SECRET")
	p = e.must(http.StatusServiceUnavailable, "POST", "/api/v1/payments/portone/webhook", "", map[string]any{"type": "Transaction.Paid"})
	assertProblem(t, p, 503, "unavailable", "not configured")
	// The history stays readable.
	r := e.must(http.StatusOK, "GET", "/api/v1/payments", tok, nil)
	if l, ok := get(r.Body, "data").([]any); !ok || len(l) != 0 || get(r.Body, "next_cursor") != nil {
		t.Fatalf("payments: %s", r.Raw)
	}
}

func TestPreparePaymentAmounts(t *testing.T) {
	e := newPaymentEnv(t)
	tok := e.signup("amounts@example.com")

	// The front end sends PortOne's integer totalAmount; strings work too.
	for _, amount := range []any{10000, "10000"} {
		r := e.must(http.StatusCreated, "POST", "/api/v1/payments/portone/prepare", tok, map[string]any{"amount": amount, "order_name": "가상머니 충전", "currency": "KRW"})
		want := map[string]any{
			"store_id": portonefake.DefaultStoreID, "channel_key": portonefake.DefaultChannelKey, "order_name": "가상머니 충전",
			"amount": "10000", "total_amount": 10000.0, "currency": "KRW", "product": "CASH", "credit_amount": "1000000",
		}
		for k, v := range want {
			if got := get(r.Body, "data."+k); got != v {
				t.Errorf("amount %v: %s = %v, want %v", amount, k, got, v)
			}
		}
		if id := str(r.Body, "data.payment_id"); len(id) != 32 {
			t.Errorf("payment_id %q is not 32 alphanumerics", id)
		}
		if exp, err := time.Parse(time.RFC3339, str(r.Body, "data.expires_at")); err != nil || !exp.After(time.Now()) {
			t.Errorf("expires_at %q", str(r.Body, "data.expires_at"))
		}
		if v, ok := get(r.Body, "data").(map[string]any)["premium_days"]; !ok || v != nil {
			t.Errorf("premium_days of a CASH payment must be null: %s", r.Raw)
		}
	}
	r := e.must(http.StatusCreated, "POST", "/api/v1/payments/portone/prepare", tok, map[string]any{"amount": 9900, "order_name": "프리미엄 30일", "product": "PREMIUM"})
	if num(r.Body, "data.premium_days") != 30 || str(r.Body, "data.credit_amount") != "0" || str(r.Body, "data.currency") != "KRW" {
		t.Fatalf("premium: %s", r.Raw)
	}

	for _, bad := range []struct {
		body   map[string]any
		detail string
	}{
		{map[string]any{"amount": 10000.5, "order_name": "x"}, "body.amount"},
		{map[string]any{"amount": "10000.5", "order_name": "x"}, "body.amount: must be a positive whole number of won"},
		{map[string]any{"amount": "ten", "order_name": "x"}, "body.amount"},
		{map[string]any{"amount": 0, "order_name": "x"}, "body.amount"},
		{map[string]any{"amount": 10, "order_name": "x"}, "body.amount: a top-up must be between"},
		{map[string]any{"amount": 10000, "order_name": "x", "currency": "USD"}, "body.currency: only KRW"},
		{map[string]any{"amount": 10000, "order_name": "x", "product": "GOLD"}, "body.product"},
		{map[string]any{"amount": 5000, "order_name": "x", "product": "PREMIUM"}, "body.amount: premium costs 9900 won"},
		{map[string]any{"order_name": "x"}, "amount"},
	} {
		p := e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/payments/portone/prepare", tok, bad.body)
		assertProblem(t, p, 422, "invalid", bad.detail)
	}
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/payments/portone/prepare", "", map[string]any{"amount": 10000, "order_name": "x"}), 401, "unauthorized", "")
}

func TestPaymentCompleteAndWebhook(t *testing.T) {
	e := newPaymentEnv(t)
	tok := e.signup("payer@example.com")
	other := e.signup("other@example.com")
	r := e.must(http.StatusCreated, "POST", "/api/v1/payments/portone/prepare", tok, map[string]any{"amount": 10000, "order_name": "충전 1만원", "currency": "KRW"})
	id := str(r.Body, "data.payment_id")

	// Nothing paid yet: the verified answer is still PREPARED.
	r = e.must(http.StatusOK, "POST", "/api/v1/payments/portone/complete", tok, map[string]any{"payment_id": id})
	if str(r.Body, "data.status") != "PREPARED" || get(r.Body, "data.paid_amount") != nil {
		t.Fatalf("complete before paying: %s", r.Raw)
	}
	assertProblem(t, e.must(http.StatusNotFound, "POST", "/api/v1/payments/portone/complete", other, map[string]any{"payment_id": id}), 404, "not_found", id)
	assertProblem(t, e.must(http.StatusNotFound, "GET", "/api/v1/payments/"+id, other, nil), 404, "not_found", id)

	if _, err := e.fake.Pay(id, "충전 1만원", 10000, "KRW"); err != nil {
		t.Fatal(err)
	}
	// The webhook's body is verified byte for byte: the extra spaces and
	// the unknown field would not survive a decode and re-encode.
	body := []byte(`{ "type": "Transaction.Paid",  "timestamp": "2026-03-02T00:00:00.000Z", "data": {"paymentId": "` + id + `", "storeId": "` + portonefake.DefaultStoreID + `", "transactionId": "t1"}, "extra": [1, 2.50] }`)
	forged := e.webhook(body, "whk-1", time.Now(), portonefake.GenerateSecret())
	assertProblem(t, forged, 400, "invalid", "the webhook did not verify")
	if b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil); str(b.Body, "data.cash") != "10000000" {
		t.Fatalf("a forged webhook moved money: %s", b.Raw)
	}
	stale := e.webhook(body, "whk-1", time.Now().Add(-6*time.Minute), e.secret)
	assertProblem(t, stale, 400, "invalid", "TIMESTAMP_TOO_OLD")

	ok := e.webhook(body, "whk-1", time.Now(), e.secret)
	if ok.Status != http.StatusOK || get(ok.Body, "data.received") != true {
		t.Fatalf("webhook: %d %s", ok.Status, ok.Raw)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/payments/"+id, tok, nil)
	want := map[string]any{"status": "PAID", "paid_amount": "10000", "paid_currency": "KRW", "credit_amount": "1000000", "product": "CASH", "amount": "10000"}
	for k, v := range want {
		if got := get(r.Body, "data."+k); got != v {
			t.Errorf("paid payment %s = %v, want %v", k, got, v)
		}
	}
	if str(r.Body, "data.fulfilled_at") == "" || str(r.Body, "data.transaction_id") == "" {
		t.Errorf("paid payment: %s", r.Raw)
	}
	// The completion call now answers the same verified payment.
	r = e.must(http.StatusOK, "POST", "/api/v1/payments/portone/complete", tok, map[string]any{"payment_id": id})
	if str(r.Body, "data.status") != "PAID" {
		t.Fatalf("complete after paying: %s", r.Raw)
	}
	if b := e.must(http.StatusOK, "GET", "/api/v1/balance", tok, nil); str(b.Body, "data.cash") != "11000000" {
		t.Fatalf("balance after the payment: %s", b.Raw)
	}
	l := e.must(http.StatusOK, "GET", "/api/v1/payments?limit=1", tok, nil)
	if str(l.Body, "data.0.payment_id") != id || get(l.Body, "next_cursor") != nil {
		t.Fatalf("payments: %s", l.Raw)
	}

	// Missing headers: 400, not a 500 or a 401.
	req := httptest.NewRequest("POST", "/api/v1/payments/portone/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "MISSING_REQUIRED_HEADERS") {
		t.Fatalf("webhook without headers: %d %s", w.Code, w.Body)
	}
}
