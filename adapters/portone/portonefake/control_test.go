package portonefake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
)

func TestControlAPI(t *testing.T) {
	e := start(t, portonefake.Config{})
	status, p := call(t, http.MethodPost, e.base+"/__fake/payments/c1/pay", "", nil,
		`{"orderName":"Top-up","totalAmount":10000,"currency":"KRW","customData":{"u":1}}`)
	if status != 200 || p["status"] != "PAID" || p["customData"] != `{"u":1}` {
		t.Fatalf("pay: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c1/pay", "", nil, `{"orderName":"Top-up","amount":10000}`)
	if status != 409 || p["type"] != "ALREADY_PAID" {
		t.Fatalf("pay twice: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c2/virtual-account", "", nil,
		`{"orderName":"Top-up","amount":5000,"expiresAt":"2099-01-01T00:00:00Z"}`)
	if status != 200 || p["status"] != "VIRTUAL_ACCOUNT_ISSUED" {
		t.Fatalf("virtual account: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c2/deposit", "", nil, "")
	if status != 200 || p["status"] != "PAID" {
		t.Fatalf("deposit: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c3/fail", "", nil, `{"orderName":"Top-up","amount":3000,"reason":"no"}`)
	if status != 200 || p["status"] != "FAILED" || p["amount"].(map[string]any)["total"] != 3000.0 {
		t.Fatalf("fail: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c4/open", "", nil, `{"orderName":"Top-up","amount":1000}`)
	if status != 200 || p["status"] != "READY" {
		t.Fatalf("open: %d %v", status, p)
	}
	status, p = call(t, http.MethodGet, e.base+"/__fake/payments/c4", "", nil, "")
	if status != 200 || p["id"] != "c4" {
		t.Fatalf("get: %d %v", status, p)
	}
	status, p = call(t, http.MethodPost, e.base+"/__fake/payments/c5/pay", "", nil, `{"orderName":"x","amount":-1}`)
	if status != 400 || p["type"] != "INVALID_REQUEST" {
		t.Fatalf("negative amount: %d %v", status, p)
	}

	resp, err := http.Get(e.base + "/__fake/payments")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 4 {
		t.Fatalf("%d payments listed", len(list))
	}
	resp, err = http.Get(e.base + "/__fake/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&hooks); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hooks == nil {
		t.Fatal("webhooks listing is not an array")
	}
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestCheckoutPage(t *testing.T) {
	e := start(t, portonefake.Config{})
	q := url.Values{"paymentId": {"web1"}, "orderName": {"Top-up 10,000"}, "amount": {"10000"}, "currency": {"KRW"}}
	resp, err := http.Get(e.base + "/__fake/checkout?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<form method="post" action="checkout">`, `value="pay"`, `value="fail"`, `value="virtual-account"`, `value="web1"`, `value="10000"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if p, ok := e.fake.Payment("web1"); !ok || p.Status != portonefake.StatusReady {
		t.Fatalf("opening the page: %+v", p)
	}

	// The person edits the amount before paying: the tamper case.
	form := url.Values{"paymentId": {"web1"}, "orderName": {"Top-up 10,000"}, "amount": {"10"}, "currency": {"KRW"}, "action": {"pay"}}
	resp, err = http.PostForm(e.base+"/__fake/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "PAID") {
		t.Fatalf("pay: %d %s", resp.StatusCode, page)
	}
	if p, _ := e.fake.Payment("web1"); p.Status != portonefake.StatusPaid || p.Amount.Total != 10 {
		t.Fatalf("after pay: %+v", p)
	}

	// Redirect mode: back to the merchant with paymentId, plus code and
	// message on failure.
	form = url.Values{"paymentId": {"web2"}, "orderName": {"o"}, "amount": {"500"}, "action": {"fail"},
		"reason": {"declined"}, "redirectUrl": {"https://shop.example/pay/return?x=1"}}
	resp, err = noRedirect().PostForm(e.base+"/__fake/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "shop.example" || loc.Query().Get("paymentId") != "web2" ||
		loc.Query().Get("code") != "FAILURE_TYPE_PG" || loc.Query().Get("message") != "declined" || loc.Query().Get("x") != "1" {
		t.Fatalf("fail redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	form.Set("action", "virtual-account")
	resp, err = noRedirect().PostForm(e.base+"/__fake/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("code") != "" || loc.Query().Get("paymentId") != "web2" {
		t.Fatalf("virtual account redirect: %s", resp.Header.Get("Location"))
	}
	if p, _ := e.fake.Payment("web2"); p.Status != portonefake.StatusVirtualAccountIssued {
		t.Fatalf("after issuing: %+v", p)
	}
	resp, err = http.PostForm(e.base+"/__fake/checkout", url.Values{"paymentId": {"web2"}, "action": {"deposit"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if p, _ := e.fake.Payment("web2"); p.Status != portonefake.StatusPaid {
		t.Fatalf("after deposit: %+v", p)
	}

	// Only http(s) and same-site redirects are followed.
	form = url.Values{"paymentId": {"web3"}, "orderName": {"o"}, "amount": {"500"}, "action": {"pay"}, "redirectUrl": {"javascript:alert(1)"}}
	resp, err = noRedirect().PostForm(e.base+"/__fake/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("javascript: redirect followed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestMountedUnderAPrefix(t *testing.T) {
	f, err := portonefake.New(portonefake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mux := http.NewServeMux()
	mux.Handle("/portone/", http.StripPrefix("/portone", f))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if _, err := f.Pay("p", "o", 1000, "KRW"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/portone/payments/p", nil)
	req.Header.Set("Authorization", "PortOne "+portonefake.DefaultAPISecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mounted GET: %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/portone/__fake/checkout")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mounted checkout: %d", resp.StatusCode)
	}
}
