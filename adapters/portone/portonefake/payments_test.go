package portonefake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/domain"
)

func TestClientSeesEveryStatus(t *testing.T) {
	e := start(t, portonefake.Config{})
	ctx := context.Background()
	store := e.fake.Config().StoreID

	if _, err := e.fake.Open("ready1", "Top-up 5,000", 5000, "KRW"); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if _, err := e.fake.IssueVirtualAccount("va1", "Top-up 7,000", 7000, "KRW", expires); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Pay("paid1", "Top-up 10,000", 10000, "KRW"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Open("failed1", "Top-up 3,000", 3000, "KRW"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Fail("failed1", "card declined"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"partial1", "cancelled1"} {
		if _, err := e.fake.Pay(id, "Top-up 10,000", 10000, "KRW"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.client.Cancel(ctx, "partial1", portone.CancelRequest{Reason: "partial", Amount: 4000}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.CancelPayment(ctx, "cancelled1", "full refund", "refund-cancelled1-0001"); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		id   string
		want func(p domain.GatewayPayment) bool
	}{
		{"ready1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayReady && p.TotalAmount == 5000 && p.PaidAmount == 0 && p.PaidAt.IsZero()
		}},
		{"va1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayVirtualAccountIssued && p.TotalAmount == 7000 && p.PaidAmount == 0 &&
				p.VirtualAccountExpiresAt.Equal(expires)
		}},
		{"paid1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayPaid && p.TotalAmount == 10000 && p.PaidAmount == 10000 && !p.PaidAt.IsZero() &&
				p.OrderName == "Top-up 10,000"
		}},
		{"failed1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayFailed && p.FailureReason == "card declined" && p.TotalAmount == 3000
		}},
		{"partial1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayPartialCancelled && p.PaidAmount == 10000 && p.CancelledAmount == 4000
		}},
		{"cancelled1", func(p domain.GatewayPayment) bool {
			return p.Status == domain.GatewayCancelled && p.PaidAmount == 10000 && p.CancelledAmount == 10000
		}},
	}
	for _, c := range cases {
		p, err := e.client.GetPayment(ctx, c.id)
		if err != nil {
			t.Errorf("%s: %v", c.id, err)
			continue
		}
		if p.ID != c.id || p.StoreID != store || p.Currency != "KRW" || p.ChannelType != "TEST" || p.TransactionID == "" || !c.want(p) {
			t.Errorf("%s: %+v", c.id, p)
		}
	}
}

func TestClientErrorsAgainstTheFake(t *testing.T) {
	e := start(t, portonefake.Config{})
	ctx := context.Background()

	_, err := e.client.GetPayment(ctx, "nobody")
	var ae *portone.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Type != portone.TypePaymentNotFound || !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("unknown id: %v", err)
	}

	wrong, err := portone.New(portone.Config{BaseURL: e.base, APISecret: "not-the-secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.GetPayment(ctx, "nobody")
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Type != portone.TypeUnauthorized || ae.Retryable() {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := wrong.CancelPayment(ctx, "nobody", "r", "key-0123456789abcdef"); !errors.As(err, &ae) || ae.Type != portone.TypeUnauthorized {
		t.Fatalf("wrong secret on cancel: %v", err)
	}

	otherStore, err := portone.New(portone.Config{BaseURL: e.base, APISecret: e.fake.Config().APISecret, StoreID: "store-someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Pay("p1", "o", 1000, "KRW"); err != nil {
		t.Fatal(err)
	}
	_, err = otherStore.GetPayment(ctx, "p1")
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Type != portone.TypeForbidden {
		t.Fatalf("foreign store: %v", err)
	}

	// Without a storeId the store tied to the secret is used.
	noStore, err := portone.New(portone.Config{BaseURL: e.base, APISecret: e.fake.Config().APISecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noStore.GetPayment(ctx, "p1"); err != nil {
		t.Fatalf("no storeId: %v", err)
	}

	// A closed fake is a transport failure: retryable.
	e.fake.Close()
	_, err = e.client.GetPayment(ctx, "p1")
	if !portone.IsRetryable(err) || !domain.IsCode(err, domain.CodeUnavailable) {
		t.Fatalf("closed fake: %v", err)
	}
}

func TestPaymentIDsAreEscaped(t *testing.T) {
	e := start(t, portonefake.Config{})
	ids := []string{"ord/with/slashes", "ord with space", "ord?query#frag", "ord%25percent", "주문-1"}
	for _, id := range ids {
		if _, err := e.fake.Pay(id, "o", 1000, "KRW"); err != nil {
			t.Fatal(err)
		}
		p, err := e.client.GetPayment(context.Background(), id)
		if err != nil || p.ID != id || p.Status != domain.GatewayPaid {
			t.Errorf("%q: %+v, %v", id, p, err)
			continue
		}
		if err := e.client.CancelPayment(context.Background(), id, "refund", "refund-"+id); err != nil {
			t.Errorf("%q cancel: %v", id, err)
		}
		if got, _ := e.fake.Payment(id); got.Status != portonefake.StatusCancelled {
			t.Errorf("%q after cancel: %s", id, got.Status)
		}
	}
}

func TestWireFormat(t *testing.T) {
	e := start(t, portonefake.Config{})
	if _, err := e.fake.Pay("ord1", "Premium 30 days", 9900, "CURRENCY_KRW",
		portonefake.WithCustomData(map[string]string{"userId": "u-1"})); err != nil {
		t.Fatal(err)
	}
	// The JS SDK always appends "?", even with nothing after it.
	status, p := call(t, http.MethodGet, e.base+"/payments/ord1?", auth(e), nil, "")
	if status != 200 {
		t.Fatalf("status %d: %v", status, p)
	}
	for _, k := range []string{"status", "id", "transactionId", "merchantId", "storeId", "method", "channel", "version",
		"requestedAt", "updatedAt", "statusChangedAt", "orderName", "amount", "currency", "customer", "customData",
		"paidAt", "cancellations", "disputes", "webhooks"} {
		if _, ok := p[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if _, ok := p["paymentId"]; ok {
		t.Error("the Payment object has no paymentId field; the id is in id")
	}
	if p["id"] != "ord1" || p["version"] != "V2" || p["currency"] != "KRW" || p["status"] != "PAID" {
		t.Errorf("payment %v", p)
	}
	if cd, ok := p["customData"].(string); !ok || cd != `{"userId":"u-1"}` {
		t.Errorf("customData must be a JSON string, got %#v", p["customData"])
	}
	ch := p["channel"].(map[string]any)
	if ch["type"] != "TEST" || ch["key"] != portonefake.DefaultChannelKey || ch["pgProvider"] == "" {
		t.Errorf("channel %v", ch)
	}
	m := p["method"].(map[string]any)
	if m["type"] != portonefake.MethodCard || m["card"] == nil {
		t.Errorf("method %v", m)
	}
	amount := p["amount"].(map[string]any)
	for _, k := range []string{"total", "taxFree", "discount", "paid", "cancelled", "cancelledTaxFree"} {
		if _, ok := amount[k].(float64); !ok {
			t.Errorf("amount.%s = %#v, want a number", k, amount[k])
		}
	}
	if amount["total"] != 9900.0 || amount["paid"] != 9900.0 {
		t.Errorf("amount %v", amount)
	}
	if ts := p["paidAt"].(string); len(ts) != len("2024-04-25T10:00:00.000Z") || ts[len(ts)-1] != 'Z' {
		t.Errorf("paidAt %q is not PortOne's millisecond UTC form", ts)
	}
	if cs, ok := p["customer"].(map[string]any); !ok || len(cs) != 0 {
		t.Errorf("customer %#v, want {}", p["customer"])
	}

	if _, err := e.fake.IssueVirtualAccount("va1", "o", 5000, "KRW", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, va := call(t, http.MethodGet, e.base+"/payments/va1", auth(e), nil, "")
	vm := va["method"].(map[string]any)
	if vm["type"] != portonefake.MethodVirtualAccount || vm["accountNumber"] == "" || vm["bank"] == "" || vm["expiredAt"] == "" {
		t.Errorf("virtual account method %v", vm)
	}
	if _, ok := va["paidAt"]; ok {
		t.Error("an unpaid virtual account has paidAt")
	}

	if _, err := e.fake.Fail("f1", "declined"); err != nil {
		t.Fatal(err)
	}
	_, f := call(t, http.MethodGet, e.base+"/payments/f1", auth(e), nil, "")
	if fl, ok := f["failure"].(map[string]any); !ok || fl["reason"] != "declined" || f["failedAt"] == nil {
		t.Errorf("failed payment %v", f)
	}

	// Errors are always {"type","message"} JSON.
	status, body := call(t, http.MethodGet, e.base+"/payments/ord1", "Bearer "+e.fake.Config().APISecret, nil, "")
	if status != 401 || body["type"] != "UNAUTHORIZED" {
		t.Errorf("bearer with the raw secret: %d %v", status, body)
	}
	status, body = call(t, http.MethodGet, e.base+"/payments/nope", auth(e), nil, "")
	if status != 404 || body["type"] != "PAYMENT_NOT_FOUND" || body["message"] == "" {
		t.Errorf("unknown id: %d %v", status, body)
	}
}

func TestPaymentLifecycleRules(t *testing.T) {
	e := start(t, portonefake.Config{})
	var fe *portonefake.Error

	p, err := e.fake.Pay("p1", "o", 1000, "KRW")
	if err != nil || p.Attempts != 1 {
		t.Fatalf("pay: %+v %v", p, err)
	}
	for name, f := range map[string]func() error{
		"pay again":     func() error { _, err := e.fake.Pay("p1", "o", 1000, "KRW"); return err },
		"issue account": func() error { _, err := e.fake.IssueVirtualAccount("p1", "o", 1000, "KRW", time.Time{}); return err },
		"fail":          func() error { _, err := e.fake.Fail("p1", "x"); return err },
		"open":          func() error { _, err := e.fake.Open("p1", "o", 1000, "KRW"); return err },
	} {
		if err := f(); !errors.As(err, &fe) || fe.Type != "ALREADY_PAID" || fe.Status != 409 {
			t.Errorf("%s on a paid id: %v", name, err)
		}
	}

	// A failed attempt can be retried and succeed, as a new transaction.
	f1, err := e.fake.Fail("p2", "declined")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.fake.Pay("p2", "o", 2000, "KRW")
	if err != nil || p2.Status != portonefake.StatusPaid || p2.TransactionID == f1.TransactionID || p2.Attempts != 2 || p2.Failure != nil {
		t.Fatalf("retry after failure: %+v %v", p2, err)
	}

	// Opening the window and paying is one transaction.
	o, _ := e.fake.Open("p3", "o", 3000, "KRW")
	p3, _ := e.fake.Pay("p3", "o", 3000, "KRW")
	if o.TransactionID != p3.TransactionID || p3.Attempts != 1 {
		t.Errorf("open then pay: %s vs %s, attempts %d", o.TransactionID, p3.TransactionID, p3.Attempts)
	}

	// The browser may send another amount than the merchant prepared; the
	// fake records what was paid, and the merchant must notice.
	tp, err := e.fake.PayWithAmount("p4", "Top-up 10,000", 100, "KRW")
	if err != nil || tp.Amount.Total != 100 {
		t.Fatalf("tampered pay: %+v %v", tp, err)
	}

	for _, bad := range []func() error{
		func() error { _, err := e.fake.Pay("", "o", 1, "KRW"); return err },
		func() error { _, err := e.fake.Pay("x", "", 1, "KRW"); return err },
		func() error { _, err := e.fake.Pay("x", "o", 0, "KRW"); return err },
		func() error { _, err := e.fake.Pay("x", "o", -5, "KRW"); return err },
	} {
		if err := bad(); !errors.As(err, &fe) || fe.Type != "INVALID_REQUEST" {
			t.Errorf("bad input: %v", err)
		}
	}

	// Deposits need an issued, unexpired account.
	if _, err := e.fake.Deposit("p1"); err == nil {
		t.Error("deposit into a card payment")
	}
	if _, err := e.fake.Deposit("nobody"); !errors.As(err, &fe) || fe.Type != "PAYMENT_NOT_FOUND" {
		t.Errorf("deposit into nothing: %v", err)
	}
	if _, err := e.fake.IssueVirtualAccount("va-old", "o", 1000, "KRW", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.Deposit("va-old"); err == nil {
		t.Error("deposit into an expired account")
	}
	if _, err := e.fake.IssueVirtualAccount("va", "o", 1000, "KRW", time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, err := e.fake.Deposit("va")
	if err != nil || d.Status != portonefake.StatusPaid || d.Amount.Paid != 1000 || d.PaidAt.IsZero() {
		t.Fatalf("deposit: %+v %v", d, err)
	}

	// Snapshots are copies.
	snap, _ := e.fake.Payment("va")
	snap.VirtualAccount.Bank = "CHANGED"
	if again, _ := e.fake.Payment("va"); again.VirtualAccount.Bank == "CHANGED" {
		t.Error("Payment returned shared state")
	}
	if _, ok := e.fake.Payment("nobody"); ok {
		t.Error("unknown payment found")
	}
	if n := len(e.fake.Payments()); n != 6 {
		t.Errorf("%d payments listed", n)
	}
}

func TestCustomDataRoundTrip(t *testing.T) {
	e := start(t, portonefake.Config{})
	raw := json.RawMessage(`{"product":"topup-10000","n":[1,2]}`)
	if _, err := e.fake.Pay("c1", "o", 1, "KRW", portonefake.WithCustomData(raw)); err != nil {
		t.Fatal(err)
	}
	p, _ := e.fake.Payment("c1")
	if p.CustomData != string(raw) {
		t.Fatalf("customData %q", p.CustomData)
	}
}
