package portone_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/domain"
)

const testStore = "store-00000000-0000-0000-0000-000000000001"

// recorded is what the stub server saw of the last request.
type recorded struct {
	Method, EscapedPath, RawQuery string
	Header                        http.Header
	Body                          []byte
}

// stub answers every request with one status and body and records what it
// received.
type stub struct {
	mu     sync.Mutex
	status int
	body   string
	last   recorded
	srv    *httptest.Server
}

func newStub(t *testing.T, status int, body string) *stub {
	t.Helper()
	s := &stub{status: status, body: body}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last = recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), b}
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) seen() recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func newClient(t *testing.T, base string) *portone.Client {
	t.Helper()
	c, err := portone.New(portone.Config{
		BaseURL:    base,
		APISecret:  "test-api-secret",
		StoreID:    testStore,
		ChannelKey: "channel-key-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// paidPayment is the reference's PAID example with extra fields PortOne
// may add at any time.
const paidPayment = `{
  "status": "PAID",
  "id": "ord20240425x0001",
  "transactionId": "0190f3a2-7c1e-7d55-9a0b-3c4d5e6f7a8b",
  "merchantId": "merchant-2f9c1b7e-0d3a-4c55-8e21-6b7a9f0c1d2e",
  "storeId": "store-00000000-0000-0000-0000-000000000001",
  "method": {"type": "PaymentMethodCard", "card": {"brand": "LOCAL", "type": "CREDIT", "number": "53275000****1234"},
             "approvalNumber": "30012345", "installment": {"month": 0, "isInterestFree": false}, "pointUsed": false},
  "channel": {"type": "LIVE", "id": "channel-id-1", "key": "channel-key-1", "name": "toss", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "mymall01"},
  "version": "V2",
  "webhooks": [],
  "requestedAt": "2024-04-25T09:59:30.000Z",
  "updatedAt": "2024-04-25T10:00:00.000Z",
  "statusChangedAt": "2024-04-25T10:00:00.000Z",
  "orderName": "Virtual cash top-up 10,000 KRW",
  "amount": {"total": 10000, "taxFree": 0, "vat": 909, "supply": 9091, "discount": 0, "paid": 10000, "cancelled": 0, "cancelledTaxFree": 0, "brandNew": 5},
  "currency": "KRW",
  "customer": {"id": "user-42"},
  "origin": {"platformType": "PC", "ipAddress": "203.0.113.10"},
  "customData": "{\"userId\":\"user-42\"}",
  "paidAt": "2024-04-25T10:00:00.000Z",
  "pgTxId": "tgen_1",
  "disputes": [],
  "cancellations": [],
  "aFieldFrom2030": {"nested": [1, 2, 3]}
}`

func TestGetPaymentPaid(t *testing.T) {
	s := newStub(t, http.StatusOK, paidPayment)
	c := newClient(t, s.srv.URL)
	p, err := c.GetPayment(context.Background(), "ord20240425x0001")
	if err != nil {
		t.Fatal(err)
	}
	want := domain.GatewayPayment{
		ID:            "ord20240425x0001",
		Status:        domain.GatewayPaid,
		TransactionID: "0190f3a2-7c1e-7d55-9a0b-3c4d5e6f7a8b",
		StoreID:       testStore,
		OrderName:     "Virtual cash top-up 10,000 KRW",
		Currency:      "KRW",
		TotalAmount:   10000,
		PaidAmount:    10000,
		ChannelType:   "LIVE",
		PaidAt:        time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC),
	}
	if p != want {
		t.Fatalf("payment = %+v\nwant      %+v", p, want)
	}
	got := s.seen()
	if got.Method != http.MethodGet || got.EscapedPath != "/payments/ord20240425x0001" {
		t.Fatalf("request %s %s", got.Method, got.EscapedPath)
	}
	if got.RawQuery != "storeId="+testStore {
		t.Fatalf("query %q", got.RawQuery)
	}
	if a := got.Header.Get("Authorization"); a != "PortOne test-api-secret" {
		t.Fatalf("Authorization %q", a)
	}
	if c.StoreID() != testStore || c.ChannelKey() != "channel-key-test" {
		t.Fatalf("StoreID/ChannelKey = %q/%q", c.StoreID(), c.ChannelKey())
	}
}

func TestGetPaymentEachStatus(t *testing.T) {
	cases := []struct {
		name string
		body string
		want domain.GatewayPayment
	}{
		{"ready without channel", `{"status":"READY","id":"p","transactionId":"t","storeId":"s","orderName":"o","currency":"KRW",
			"amount":{"total":5000,"taxFree":0,"discount":0,"paid":0,"cancelled":0,"cancelledTaxFree":0},"customer":{}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayReady, TransactionID: "t", StoreID: "s", OrderName: "o", Currency: "KRW", TotalAmount: 5000}},
		{"pay pending", `{"status":"PAY_PENDING","id":"p","amount":{"total":1},"channel":{"type":"TEST"}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayPayPending, TotalAmount: 1, ChannelType: "TEST"}},
		{"virtual account issued", `{"status":"VIRTUAL_ACCOUNT_ISSUED","id":"p","currency":"KRW","amount":{"total":7000,"paid":0},
			"channel":{"type":"TEST"},"method":{"type":"PaymentMethodVirtualAccount","bank":"KOOKMIN","accountNumber":"123","expiredAt":"2024-04-26T15:00:00+09:00"}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayVirtualAccountIssued, Currency: "KRW", TotalAmount: 7000, ChannelType: "TEST",
				VirtualAccountExpiresAt: time.Date(2024, 4, 26, 6, 0, 0, 0, time.UTC)}},
		{"failed", `{"status":"FAILED","id":"p","amount":{"total":3000},"failedAt":"2024-04-25T10:00:00Z","failure":{"reason":"card declined","pgCode":"X1"}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayFailed, TotalAmount: 3000, FailureReason: "card declined"}},
		{"failed with only a PG message", `{"status":"FAILED","id":"p","failure":{"pgCode":"X1","pgMessage":"limit exceeded"}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayFailed, FailureReason: "limit exceeded"}},
		{"partial cancelled", `{"status":"PARTIAL_CANCELLED","id":"p","amount":{"total":10000,"paid":10000,"cancelled":3000},
			"paidAt":"2024-04-25T10:00:00Z","cancelledAt":"2024-04-26T00:00:00Z","cancellations":[{"status":"SUCCEEDED","id":"c","totalAmount":3000}]}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayPartialCancelled, TotalAmount: 10000, PaidAmount: 10000, CancelledAmount: 3000,
				PaidAt: time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC)}},
		{"cancelled, paidAt omitted", `{"status":"CANCELLED","id":"p","amount":{"total":10000,"paid":10000,"cancelled":10000}}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayCancelled, TotalAmount: 10000, PaidAmount: 10000, CancelledAmount: 10000}},
		{"unknown status and method", `{"status":"SOMETHING_NEW","id":"p","method":{"type":"PaymentMethodTeleport","x":1},"channel":"weird","failure":7}`,
			domain.GatewayPayment{ID: "p", Status: "SOMETHING_NEW"}},
		{"legacy currency spelling, amounts as strings, odd times", `{"status":"PAID","id":"p","currency":"CURRENCY_KRW","amount":{"total":"2500","paid":"2500","cancelled":null},"paidAt":"yesterday"}`,
			domain.GatewayPayment{ID: "p", Status: domain.GatewayPaid, Currency: "KRW", TotalAmount: 2500, PaidAmount: 2500}},
		{"no id falls back to the requested one", `{"status":"PAID"}`,
			domain.GatewayPayment{ID: "asked-for", Status: domain.GatewayPaid}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStub(t, http.StatusOK, tc.body)
			id := tc.want.ID
			if id == "" || id == "asked-for" {
				id = "asked-for"
			}
			p, err := newClient(t, s.srv.URL).GetPayment(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if p != tc.want {
				t.Fatalf("payment = %+v\nwant      %+v", p, tc.want)
			}
		})
	}
}

func TestGetPaymentRefusesFractionalMoney(t *testing.T) {
	s := newStub(t, http.StatusOK, `{"status":"PAID","id":"p","amount":{"total":1000.5}}`)
	_, err := newClient(t, s.srv.URL).GetPayment(context.Background(), "p")
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Err == nil {
		t.Fatalf("err = %v, want a decoding *APIError", err)
	}
}

func TestGetPaymentEscapesThePath(t *testing.T) {
	s := newStub(t, http.StatusOK, `{"status":"READY","id":"a/b c?d#e%f"}`)
	p, err := newClient(t, s.srv.URL).GetPayment(context.Background(), "a/b c?d#e%f")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.seen().EscapedPath; got != "/payments/a%2Fb%20c%3Fd%23e%25f" {
		t.Fatalf("path %q", got)
	}
	if p.ID != "a/b c?d#e%f" {
		t.Fatalf("id %q", p.ID)
	}
}

func TestGetPaymentWithoutStoreIDSendsNoQuery(t *testing.T) {
	s := newStub(t, http.StatusOK, `{"status":"READY","id":"p"}`)
	c, err := portone.New(portone.Config{BaseURL: s.srv.URL + "/", APISecret: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPayment(context.Background(), "p"); err != nil {
		t.Fatal(err)
	}
	if got := s.seen(); got.RawQuery != "" || got.EscapedPath != "/payments/p" {
		t.Fatalf("request %s?%s", got.EscapedPath, got.RawQuery)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		typ       string
		code      domain.Code
		retryable bool
	}{
		{"not found", 404, `{"type":"PAYMENT_NOT_FOUND","message":"Payment not found."}`, portone.TypePaymentNotFound, domain.CodeNotFound, false},
		{"unauthorized", 401, `{"type":"UNAUTHORIZED","message":"bad secret"}`, portone.TypeUnauthorized, domain.CodeUnavailable, false},
		{"401 without a body", 401, ``, "", domain.CodeUnavailable, false},
		{"forbidden", 403, `{"type":"FORBIDDEN"}`, portone.TypeForbidden, domain.CodeUnavailable, false},
		{"invalid request", 400, `{"type":"INVALID_REQUEST","message":"bad"}`, portone.TypeInvalidRequest, domain.CodeInvalid, false},
		{"internal server error", 500, `{"type":"INTERNAL_SERVER_ERROR"}`, "INTERNAL_SERVER_ERROR", domain.CodeUnavailable, true},
		{"pg provider", 502, `{"type":"PG_PROVIDER","message":"pg down","pgCode":"E1","pgMessage":"maintenance"}`, portone.TypePGProvider, domain.CodeUnavailable, true},
		{"html from a proxy", 503, `<html>Service Unavailable</html>`, "", domain.CodeUnavailable, true},
		{"rate limited", 429, `{"type":"TOO_MANY_REQUESTS"}`, "TOO_MANY_REQUESTS", domain.CodeUnavailable, true},
		{"outstanding idempotent request", 409, `{"type":"IDEMPOTENCY_OUTSTANDING_REQUEST"}`, portone.TypeIdempotencyOutstandingRequest, domain.CodeUnavailable, true},
		{"unknown type", 422, `{"type":"SOMETHING_NEW","message":"?"}`, "SOMETHING_NEW", domain.CodeInternal, false},
		{"unknown 404 is not a missing payment", 404, `{"type":"NOT_FOUND"}`, "NOT_FOUND", domain.CodeInternal, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStub(t, tc.status, tc.body)
			_, err := newClient(t, s.srv.URL).GetPayment(context.Background(), "p")
			var ae *portone.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.Status != tc.status || ae.Type != tc.typ {
				t.Fatalf("APIError status %d type %q, want %d %q", ae.Status, ae.Type, tc.status, tc.typ)
			}
			if got := domain.ErrorCode(err); got != tc.code {
				t.Fatalf("domain code %s, want %s", got, tc.code)
			}
			if ae.Retryable() != tc.retryable || portone.IsRetryable(err) != tc.retryable {
				t.Fatalf("retryable = %v, want %v", ae.Retryable(), tc.retryable)
			}
		})
	}
}

func TestPGProviderDetailsKept(t *testing.T) {
	s := newStub(t, 502, `{"type":"PG_PROVIDER","message":"pg down","pgCode":"E1","pgMessage":"maintenance"}`)
	_, err := newClient(t, s.srv.URL).GetPayment(context.Background(), "p")
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.PGCode != "E1" || ae.PGMessage != "maintenance" || ae.Message != "pg down" {
		t.Fatalf("err = %#v", err)
	}
}

func TestTransportErrorsAreRetryable(t *testing.T) {
	s := newStub(t, 200, `{}`)
	c := newClient(t, s.srv.URL)
	s.srv.Close()
	_, err := c.GetPayment(context.Background(), "p")
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Status != 0 || !ae.Retryable() || ae.Err == nil {
		t.Fatalf("err = %#v", err)
	}
	if !domain.IsCode(err, domain.CodeUnavailable) {
		t.Fatalf("code %s", domain.ErrorCode(err))
	}
}

func TestTimeoutIsRetryableAndInspectable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, srv.URL).GetPayment(ctx, "p")
	if !errors.Is(err, context.DeadlineExceeded) || !portone.IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelPayment(t *testing.T) {
	s := newStub(t, http.StatusOK, `{"cancellation":{"status":"SUCCEEDED","id":"c-1","totalAmount":10000,"taxFreeAmount":0,"vatAmount":909,
		"reason":"refund","requestedAt":"2024-04-26T01:00:00.000Z","cancelledAt":"2024-04-26T01:00:01.000Z","trigger":"API","newField":1}}`)
	c := newClient(t, s.srv.URL)
	key := "cancel-ord20240425x0001-01"
	if err := c.CancelPayment(context.Background(), "ord 1/2", "refund", key); err != nil {
		t.Fatal(err)
	}
	got := s.seen()
	if got.Method != http.MethodPost || got.EscapedPath != "/payments/ord%201%2F2/cancel" {
		t.Fatalf("request %s %s", got.Method, got.EscapedPath)
	}
	if h := got.Header.Get("Idempotency-Key"); h != `"`+key+`"` {
		t.Fatalf("Idempotency-Key %s, want the key as a quoted RFC 8941 string", h)
	}
	if a := got.Header.Get("Authorization"); a != "PortOne test-api-secret" {
		t.Fatalf("Authorization %q", a)
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	// Whole remaining amount: no amount field at all, so PortOne refunds
	// the balance.
	if len(body) != 2 || body["reason"] != "refund" || body["storeId"] != testStore {
		t.Fatalf("body %s", got.Body)
	}
}

func TestCancelReturnsTheCancellation(t *testing.T) {
	s := newStub(t, http.StatusOK, `{"cancellation":{"status":"SUCCEEDED","id":"c-1","pgCancellationId":"pg-1","totalAmount":3000,"taxFreeAmount":0,"vatAmount":273,
		"reason":"partial","requestedAt":"2024-04-26T01:00:00.000Z","cancelledAt":"2024-04-26T01:00:01Z","trigger":"API"}}`)
	c := newClient(t, s.srv.URL)
	can, err := c.Cancel(context.Background(), "p", portone.CancelRequest{
		Reason: "partial", Amount: 3000, CurrentCancellableAmount: 10000, Requester: "CUSTOMER", SkipWebhook: true,
		IdempotencyKey: "refund-p-0000000001",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := portone.Cancellation{Status: "SUCCEEDED", ID: "c-1", PGCancellationID: "pg-1", TotalAmount: 3000, VATAmount: 273,
		Reason: "partial", Trigger: "API", RequestedAt: time.Date(2024, 4, 26, 1, 0, 0, 0, time.UTC), CancelledAt: time.Date(2024, 4, 26, 1, 0, 1, 0, time.UTC)}
	if can != want {
		t.Fatalf("cancellation %+v\nwant         %+v", can, want)
	}
	var body map[string]any
	if err := json.Unmarshal(s.seen().Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["amount"] != 3000.0 || body["currentCancellableAmount"] != 10000.0 || body["requester"] != "CUSTOMER" || body["skipWebhook"] != true {
		t.Fatalf("body %s", s.seen().Body)
	}
}

func TestCancelAlreadyCancelledIsSuccess(t *testing.T) {
	s := newStub(t, http.StatusConflict, `{"type":"PAYMENT_ALREADY_CANCELLED","message":"already"}`)
	c := newClient(t, s.srv.URL)
	if err := c.CancelPayment(context.Background(), "p", "refund", "key-0123456789abcdef"); err != nil {
		t.Fatalf("CancelPayment: %v", err)
	}
	// The lower-level call still reports what happened.
	_, err := c.Cancel(context.Background(), "p", portone.CancelRequest{Reason: "refund"})
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Type != portone.TypePaymentAlreadyCancelled {
		t.Fatalf("Cancel err = %v", err)
	}
}

func TestCancelErrors(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   domain.Code
	}{
		{409, `{"type":"PAYMENT_NOT_PAID"}`, domain.CodeConflict},
		{409, `{"type":"CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT"}`, domain.CodeConflict},
		{409, `{"type":"CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN"}`, domain.CodeConflict},
		{404, `{"type":"PAYMENT_NOT_FOUND"}`, domain.CodeNotFound},
		{400, `{"type":"INVALID_REQUEST","message":"reason is required"}`, domain.CodeInvalid},
		{502, `{"type":"PG_PROVIDER","pgCode":"1","pgMessage":"x"}`, domain.CodeUnavailable},
	}
	for _, tc := range cases {
		s := newStub(t, tc.status, tc.body)
		err := newClient(t, s.srv.URL).CancelPayment(context.Background(), "p", "refund", "key-0123456789abcdef")
		if domain.ErrorCode(err) != tc.code {
			t.Errorf("%d %s: err = %v (code %s), want %s", tc.status, tc.body, err, domain.ErrorCode(err), tc.code)
		}
	}

	s := newStub(t, http.StatusOK, `{"cancellation":{"status":"FAILED","id":"c"}}`)
	if err := newClient(t, s.srv.URL).CancelPayment(context.Background(), "p", "refund", "key-0123456789abcdef"); err == nil {
		t.Error("a FAILED cancellation was reported as success")
	}
	s = newStub(t, http.StatusOK, `{"cancellation":{"status":"REQUESTED","id":"c"}}`)
	if err := newClient(t, s.srv.URL).CancelPayment(context.Background(), "p", "refund", "key-0123456789abcdef"); err != nil {
		t.Errorf("a REQUESTED (asynchronous) cancellation: %v", err)
	}
}

func TestCancelInputChecks(t *testing.T) {
	s := newStub(t, http.StatusOK, `{}`)
	c := newClient(t, s.srv.URL)
	for _, err := range []error{
		c.CancelPayment(context.Background(), "p", "refund", ""),
		c.CancelPayment(context.Background(), "p", " ", "key-0123456789abcdef"),
		c.CancelPayment(context.Background(), "", "refund", "key-0123456789abcdef"),
	} {
		if !domain.IsCode(err, domain.CodeInvalid) {
			t.Errorf("err = %v, want CodeInvalid", err)
		}
	}
	if _, err := c.GetPayment(context.Background(), ""); !domain.IsCode(err, domain.CodeInvalid) {
		t.Errorf("empty id: %v", err)
	}
	if got := s.seen().Method; got != "" {
		t.Errorf("a request was sent (%s) for invalid input", got)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	long := strings.Repeat("k", 300)
	cases := map[string]func(string) bool{
		"cancel-ord20240425x0001": func(k string) bool { return k == "cancel-ord20240425x0001" },
		"short":                   func(k string) bool { return strings.HasSuffix(k, "short") && len(k) >= 16 },
		"x":                       func(k string) bool { return len(k) >= 16 },
		"payment 42 / refund #1":  func(k string) bool { return len(k) >= 16 && !strings.ContainsAny(k, ` /#"`) },
		long:                      func(k string) bool { return len(k) >= 16 && len(k) <= 256 },
		"키-멀티바이트-0000000000":      func(k string) bool { return len(k) >= 16 && isASCII(k) },
	}
	for in, ok := range cases {
		k := portone.IdempotencyKey(in)
		if !ok(k) {
			t.Errorf("IdempotencyKey(%q) = %q", in, k)
		}
		if k != portone.IdempotencyKey(in) {
			t.Errorf("IdempotencyKey(%q) is not stable", in)
		}
	}
	if portone.IdempotencyKey("a b") == portone.IdempotencyKey("a_b") {
		t.Error("distinct keys collided")
	}

	s := newStub(t, http.StatusOK, `{"cancellation":{"status":"SUCCEEDED"}}`)
	if err := newClient(t, s.srv.URL).CancelPayment(context.Background(), "p", "r", "k1"); err != nil {
		t.Fatal(err)
	}
	h := s.seen().Header.Get("Idempotency-Key")
	if !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || len(h) < 18 {
		t.Fatalf("Idempotency-Key %s", h)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []portone.Config{
		{},
		{APISecret: "k", BaseURL: "api.portone.io"},
		{APISecret: "k", BaseURL: "ftp://api.portone.io"},
	} {
		if _, err := portone.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	if _, err := portone.New(portone.Config{APISecret: "k"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
