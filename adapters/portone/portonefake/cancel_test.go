package portonefake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/domain"
)

func cancelURL(e *env, id string) string { return e.base + "/payments/" + id + "/cancel" }

func TestCancelRules(t *testing.T) {
	e := start(t, portonefake.Config{})
	for _, id := range []string{"paid"} {
		if _, err := e.fake.Pay(id, "o", 10000, "KRW"); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.Open("ready", "o", 1000, "KRW")
	e.fake.IssueVirtualAccount("va", "o", 1000, "KRW", time.Time{})
	e.fake.Fail("failed", "declined")

	cases := []struct {
		name   string
		id     string
		auth   string
		body   string
		status int
		typ    string
	}{
		{"no credentials", "paid", "-", `{"reason":"r"}`, 401, "UNAUTHORIZED"},
		{"reason missing", "paid", "", `{"amount":100}`, 400, "INVALID_REQUEST"},
		{"blank reason", "paid", "", `{"reason":"  "}`, 400, "INVALID_REQUEST"},
		{"empty body", "paid", "", ``, 400, "INVALID_REQUEST"},
		{"not JSON", "paid", "", `reason=r`, 400, "INVALID_REQUEST"},
		{"fractional amount", "paid", "", `{"reason":"r","amount":10.5}`, 400, "INVALID_REQUEST"},
		{"zero amount", "paid", "", `{"reason":"r","amount":0}`, 400, "INVALID_REQUEST"},
		{"bad requester", "paid", "", `{"reason":"r","requester":"ROBOT"}`, 400, "INVALID_REQUEST"},
		{"foreign store", "paid", "", `{"reason":"r","storeId":"store-other"}`, 403, "FORBIDDEN"},
		{"unknown payment", "nobody", "", `{"reason":"r"}`, 404, "PAYMENT_NOT_FOUND"},
		{"ready", "ready", "", `{"reason":"r"}`, 409, "PAYMENT_NOT_PAID"},
		{"virtual account not deposited", "va", "", `{"reason":"r"}`, 409, "PAYMENT_NOT_PAID"},
		{"failed", "failed", "", `{"reason":"r"}`, 409, "PAYMENT_NOT_PAID"},
		{"amount exceeds", "paid", "", `{"reason":"r","amount":10001}`, 409, "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT"},
		{"stale balance", "paid", "", `{"reason":"r","amount":100,"currentCancellableAmount":9999}`, 409, "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN"},
		{"parts exceed", "paid", "", `{"reason":"r","amount":100,"vatAmount":101}`, 409, "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT"},
		{"tax-free exceeds", "paid", "", `{"reason":"r","amount":100,"taxFreeAmount":50}`, 409, "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT"},
	}
	for _, c := range cases {
		a := auth(e)
		if c.auth == "-" {
			a = ""
		}
		status, body := call(t, http.MethodPost, cancelURL(e, c.id), a, nil, c.body)
		if status != c.status || body["type"] != c.typ {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, body, c.status, c.typ)
		}
	}
	if p, _ := e.fake.Payment("paid"); p.Status != portonefake.StatusPaid || p.Amount.Cancelled != 0 {
		t.Fatalf("refusals changed the payment: %+v", p)
	}
}

func TestPartialThenFullCancel(t *testing.T) {
	e := start(t, portonefake.Config{})
	if _, err := e.fake.Pay("p", "o", 10000, "KRW"); err != nil {
		t.Fatal(err)
	}
	// No Content-Type header at all: PortOne's JS SDK sends none.
	status, body := call(t, http.MethodPost, cancelURL(e, "p"), auth(e), nil,
		`{"reason":"user requested refund","amount":3000,"currentCancellableAmount":10000,"requester":"CUSTOMER","unknownField":true}`)
	if status != 200 {
		t.Fatalf("partial cancel: %d %v", status, body)
	}
	c := body["cancellation"].(map[string]any)
	if c["status"] != "SUCCEEDED" || c["totalAmount"] != 3000.0 || c["vatAmount"] != 273.0 || c["id"] == "" || c["reason"] != "user requested refund" {
		t.Fatalf("cancellation %v", c)
	}
	p, _ := e.fake.Payment("p")
	if p.Status != portonefake.StatusPartialCancelled || p.Amount.Cancelled != 3000 || len(p.Cancellations) != 1 || p.CancelledAt.IsZero() {
		t.Fatalf("after partial: %+v", p)
	}

	// The balance moved, so the old view of it is refused.
	status, body = call(t, http.MethodPost, cancelURL(e, "p"), auth(e), nil, `{"reason":"r","amount":1000,"currentCancellableAmount":10000}`)
	if status != 409 || body["type"] != "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN" {
		t.Fatalf("stale view: %d %v", status, body)
	}
	status, body = call(t, http.MethodPost, cancelURL(e, "p"), auth(e), nil, `{"reason":"r","amount":7001}`)
	if status != 409 || body["type"] != "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT" {
		t.Fatalf("exceeding: %d %v", status, body)
	}

	// The rest, through the client.
	can, err := e.client.Cancel(context.Background(), "p", portone.CancelRequest{Reason: "rest", CurrentCancellableAmount: 7000})
	if err != nil || can.TotalAmount != 7000 || can.Status != "SUCCEEDED" {
		t.Fatalf("rest: %+v %v", can, err)
	}
	p, _ = e.fake.Payment("p")
	if p.Status != portonefake.StatusCancelled || p.Amount.Cancelled != 10000 || len(p.Cancellations) != 2 {
		t.Fatalf("after full: %+v", p)
	}
	gp, err := e.client.GetPayment(context.Background(), "p")
	if err != nil || gp.Status != domain.GatewayCancelled || gp.CancelledAmount != 10000 {
		t.Fatalf("client view: %+v %v", gp, err)
	}

	status, body = call(t, http.MethodPost, cancelURL(e, "p"), auth(e), nil, `{"reason":"again"}`)
	if status != 409 || body["type"] != "PAYMENT_ALREADY_CANCELLED" {
		t.Fatalf("cancel a cancelled payment: %d %v", status, body)
	}
	// ...which the gateway port treats as done.
	if err := e.client.CancelPayment(context.Background(), "p", "again", "another-key-000000001"); err != nil {
		t.Fatalf("CancelPayment on a cancelled payment: %v", err)
	}
	_, err = e.client.Cancel(context.Background(), "p", portone.CancelRequest{Reason: "again"})
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Type != portone.TypePaymentAlreadyCancelled {
		t.Fatalf("Cancel on a cancelled payment: %v", err)
	}
}

func TestClientCancelErrorsFromTheFake(t *testing.T) {
	e := start(t, portonefake.Config{})
	ctx := context.Background()
	e.fake.Open("ready", "o", 1000, "KRW")
	err := e.client.CancelPayment(ctx, "ready", "r", "refund-ready-00000001")
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Type != portone.TypePaymentNotPaid || !domain.IsCode(err, domain.CodeConflict) {
		t.Fatalf("not paid: %v", err)
	}
	if err := e.client.CancelPayment(ctx, "nobody", "r", "refund-nobody-0000001"); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	e.fake.Pay("paid", "o", 5000, "KRW")
	_, err = e.client.Cancel(ctx, "paid", portone.CancelRequest{Reason: "r", Amount: 6000})
	if !errors.As(err, &ae) || ae.Type != portone.TypeCancelAmountExceedsCancellable {
		t.Fatalf("exceeds: %v", err)
	}
	_, err = e.client.Cancel(ctx, "paid", portone.CancelRequest{Reason: "r", Amount: 1000, CurrentCancellableAmount: 4000})
	if !errors.As(err, &ae) || ae.Type != portone.TypeCancellableAmountConsistency {
		t.Fatalf("consistency: %v", err)
	}
}

func TestIdempotencyKeyReplay(t *testing.T) {
	e := start(t, portonefake.Config{})
	e.fake.Pay("p", "o", 10000, "KRW")
	h := map[string]string{"Idempotency-Key": `"refund-p-partial-0001"`}
	body := `{"reason":"partial","amount":3000}`

	s1, b1 := call(t, http.MethodPost, cancelURL(e, "p"), auth(e), h, body)
	s2, b2 := call(t, http.MethodPost, cancelURL(e, "p"), auth(e), h, body)
	if s1 != 200 || s2 != 200 {
		t.Fatalf("statuses %d %d", s1, s2)
	}
	id1 := b1["cancellation"].(map[string]any)["id"]
	id2 := b2["cancellation"].(map[string]any)["id"]
	if id1 != id2 {
		t.Fatalf("replay answered a new cancellation: %v vs %v", id1, id2)
	}
	if p, _ := e.fake.Payment("p"); p.Amount.Cancelled != 3000 || len(p.Cancellations) != 1 {
		t.Fatalf("the replay refunded again: %+v", p)
	}

	// The same key for a different request is a caller bug and is refused.
	status, b := call(t, http.MethodPost, cancelURL(e, "p"), auth(e), h, `{"reason":"partial","amount":4000}`)
	if status != 400 || b["type"] != "INVALID_REQUEST" {
		t.Fatalf("key reuse: %d %v", status, b)
	}

	// A stored error replays too, even after the state changed.
	e.fake.Open("later", "o", 1000, "KRW")
	hk := map[string]string{"Idempotency-Key": `"refund-later-000001"`}
	status, b = call(t, http.MethodPost, cancelURL(e, "later"), auth(e), hk, `{"reason":"r"}`)
	if status != 409 || b["type"] != "PAYMENT_NOT_PAID" {
		t.Fatalf("first: %d %v", status, b)
	}
	e.fake.Pay("later", "o", 1000, "KRW")
	status, b = call(t, http.MethodPost, cancelURL(e, "later"), auth(e), hk, `{"reason":"r"}`)
	if status != 409 || b["type"] != "PAYMENT_NOT_PAID" {
		t.Fatalf("replayed: %d %v", status, b)
	}

	for name, key := range map[string]string{
		"unquoted":  "refund-p-partial-0002",
		"too short": `"short"`,
		"too long":  `"` + strings.Repeat("k", 257) + `"`,
		"bad quote": `"refund-p-"partial-0002"`,
	} {
		status, b := call(t, http.MethodPost, cancelURL(e, "p"), auth(e), map[string]string{"Idempotency-Key": key}, body)
		if status != 400 || b["type"] != "INVALID_REQUEST" {
			t.Errorf("%s key: %d %v", name, status, b)
		}
	}
	if p, _ := e.fake.Payment("p"); p.Amount.Cancelled != 3000 {
		t.Fatalf("a refused request refunded: %+v", p)
	}
}

func TestClientCancelIsIdempotentAgainstTheFake(t *testing.T) {
	e := start(t, portonefake.Config{})
	e.fake.Pay("p", "o", 10000, "KRW")
	ctx := context.Background()
	// Concurrent retries with one key: exactly one refund happens; the
	// others replay it, see the payment cancelled, or are told to retry.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.client.CancelPayment(ctx, "p", "user asked", "refund-p-full-0000001")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !portone.IsRetryable(err) {
			t.Errorf("concurrent cancel: %v", err)
		}
	}
	p, _ := e.fake.Payment("p")
	if p.Status != portonefake.StatusCancelled || len(p.Cancellations) != 1 || p.Amount.Cancelled != 10000 {
		t.Fatalf("after concurrent cancels: %+v", p)
	}
	// A plain retry after that.
	if err := e.client.CancelPayment(ctx, "p", "user asked", "refund-p-full-0000001"); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestUnknownRoute(t *testing.T) {
	e := start(t, portonefake.Config{})
	resp, err := http.Get(e.base + "/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), `"type"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}
