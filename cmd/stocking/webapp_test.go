package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/domain"
)

// css is a CSS selector for the chromedp queries.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// fill replaces the value of an input as a person would: empty it, then
// type (which fires the input events the app listens to).
func fill(sel, value string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(css(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)),
		chromedp.SendKeys(css(sel), value),
	}
}

// placed waits for the ticket to report a new order (not the one it
// reported before, prev) with the status, and returns its id.
func placed(t *testing.T, b *browser, step, prev, status string) string {
	t.Helper()
	b.waitFor(step, fmt.Sprintf(`(() => { const m = document.querySelector("#ticket-msg");
		return m.dataset.orderId && m.dataset.orderId !== %q && m.dataset.status === %q; })()`, prev, status), 15*time.Second)
	return b.attr("#ticket-msg", "data-order-id")
}

// steps flattens actions for browser.do.
func steps(groups ...[]chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	var out []chromedp.Action[chromedp.Void]
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(a ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] { return a }

// TestWebAppInChromium trades through the web app at /app/ in headless
// Chromium against the real server as `stocking dev` runs it (workflows on
// an in-process Temporal, the fake PortOne on the API's port): sign-up, a
// market buy, limit prices the ticket refuses before sending, a resting
// limit order that fills after an admin price tick, the cancel of another,
// a modify of a third, and a top-up through the fake checkout page ending PAID.
func TestWebAppInChromium(t *testing.T) {
	b := newBrowser(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true, FakePortOne: true})
	adm := admin(t, m)
	// A known quote and band: 70,000 won, band 49,000–91,000, tick 100.
	adm.must(200, "PUT", "/admin/stocks/005930", map[string]any{"price": "70000", "prev_close": "70000"})
	started := time.Now()

	b.do("open the app", 20*time.Second,
		chromedp.Navigate(m.URL()+"/app/"),
		chromedp.WaitVisible(css("#login-form")),
	)
	b.do("sign up", 20*time.Second, steps(
		one(chromedp.Click(css(`#login-form [data-show="signup-form"]`)), chromedp.WaitVisible(css("#signup-form"))),
		fill("#signup-form [name=email]", "web@example.com"),
		fill("#signup-form [name=password]", "correct-horse"),
		fill("#signup-form [name=nickname]", "웹개미"),
		one(chromedp.Click(css("#signup-form button[type=submit]")),
			chromedp.WaitVisible(css("#tab-trade")),
			chromedp.WaitVisible(css(`#quotes tr[data-code="005930"]`))),
	)...)
	if got := b.text("#whoami strong"); got != "웹개미" {
		t.Fatalf("signed in as %q", got)
	}
	u := login(t, m, "web@example.com")

	// The ticket's rules are the domain's: compare the JavaScript tick
	// table with the Go one around every boundary.
	checkTickTable(t, b)
	checkLabels(t, b)

	// Market buy of 10 shares.
	b.do("market buy", 20*time.Second, steps(
		one(chromedp.Click(css(`#quotes tr[data-code="005930"]`)),
			chromedp.Click(css(`#ticket input[name=type][value=MARKET] + span`))),
		fill("#ticket-qty", "10"),
		one(chromedp.Click(css("#ticket-submit")),
			chromedp.WaitVisible(css(`#ticket-msg[data-status="FILLED"]`))),
	)...)
	if hs := u.must(200, "GET", "/portfolio", nil)["holdings"].([]any); len(hs) != 1 || hs[0].(map[string]any)["quantity"].(float64) != 10 {
		t.Fatalf("holdings after the market buy: %v", hs)
	}

	// Limit prices the exchange would refuse never leave the browser.
	b.do("an off-grid limit price", 20*time.Second, steps(
		one(chromedp.Click(css(`#ticket input[name=type][value=LIMIT] + span`))),
		fill("#ticket-qty", "2"),
		fill("#ticket-price", "70050"),
		one(chromedp.Click(css("#ticket-submit")), chromedp.WaitVisible(css(`#ticket-msg[data-reason="grid"]`))),
	)...)
	if msg := b.text("#ticket-msg"); !strings.Contains(msg, "70,000") || !strings.Contains(msg, "70,100") {
		t.Errorf("the off-grid message does not name the nearest prices: %q", msg)
	}
	if tick := b.text("#ticket-tick"); tick != "50" && tick != "100" {
		t.Errorf("tick shown for 70,050: %q", tick)
	}
	b.do("an out-of-band limit price", 20*time.Second, steps(
		fill("#ticket-price", "95000"),
		one(chromedp.Click(css("#ticket-submit")), chromedp.WaitVisible(css(`#ticket-msg[data-reason="band"]`))),
	)...)
	if band := b.text("#ticket-band"); band != "49,000 ~ 91,000" {
		t.Errorf("band shown: %q", band)
	}
	if n := len(u.list("/orders")); n != 1 {
		t.Fatalf("refused prices reached the server: %d orders", n)
	}

	// A resting limit buy, then a tick through it: the app shows the fill.
	b.do("a resting limit buy", 20*time.Second, steps(
		fill("#ticket-price", "69000"),
		one(chromedp.SetValue(css("#ticket-tif"), "GTC"), chromedp.Click(css("#ticket-submit"))),
	)...)
	resting := placed(t, b, "the resting order placed", "", "PENDING")
	b.waitFor("the resting order listed", fmt.Sprintf(`document.querySelector('#orders tr[data-order-id=%q][data-status="PENDING"]')`, resting), 10*time.Second)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "68900"})
	tick := time.Now()
	b.waitFor("the fill shown", fmt.Sprintf(`document.querySelector('#orders tr[data-order-id=%q][data-status="FILLED"]')`, resting), 10*time.Second)
	t.Logf("the app showed the fill %s after the tick", time.Since(tick).Round(100*time.Millisecond))

	// Another resting order, cancelled from its row.
	b.do("a second resting order", 20*time.Second, steps(
		fill("#ticket-qty", "1"),
		fill("#ticket-price", "60000"),
		one(chromedp.Click(css("#ticket-submit"))),
	)...)
	second := placed(t, b, "the second order placed", resting, "PENDING")
	b.snapshot("trade")
	b.waitFor("the second order listed", fmt.Sprintf(`document.querySelector('#orders tr[data-order-id=%q][data-status="PENDING"]')`, second), 10*time.Second)
	b.do("cancel it", 20*time.Second,
		chromedp.Click(css(fmt.Sprintf(`#orders tr[data-order-id=%q] button[data-action="cancel"]`, second))),
		chromedp.WaitVisible(css(fmt.Sprintf(`#orders tr[data-order-id=%q][data-status="CANCELLED"]`, second))),
	)
	if o := u.must(200, "GET", "/orders/"+second, nil); o["status"] != "CANCELLED" {
		t.Fatalf("cancelled in the app, %v on the server", o["status"])
	}

	// Modify a third from its row: a higher price and one more share. The
	// form closes, the row shows the new order, and the server has it.
	b.do("a third resting order", 20*time.Second, steps(
		fill("#ticket-price", "61000"),
		one(chromedp.Click(css("#ticket-submit"))),
	)...)
	third := placed(t, b, "the third order placed", second, "PENDING")
	b.waitFor("the third order listed", fmt.Sprintf(`document.querySelector('#orders tr[data-order-id=%q] button[data-action="modify"]')`, third), 10*time.Second)
	b.do("modify it", 20*time.Second, steps(
		one(chromedp.Click(css(fmt.Sprintf(`#orders tr[data-order-id=%q] button[data-action="modify"]`, third))),
			chromedp.WaitVisible(css(`form.modify [name=limit_price]`))),
		fill(`form.modify [name=limit_price]`, "61500"),
		fill(`form.modify [name=quantity]`, "2"),
		one(chromedp.Click(css(`form.modify button[type=submit]`))),
	)...)
	b.snapshot("modify")
	b.waitFor("the modify answered", `document.querySelector('form.modify .msg[data-kind="error"]:not([hidden])') || !document.querySelector('form.modify')`, 10*time.Second)
	if eval[bool](b, `!!document.querySelector('form.modify .msg[data-kind="error"]:not([hidden])')`) {
		t.Fatalf("the modify form shows an error: %q", b.text("form.modify .msg"))
	}
	row := fmt.Sprintf(`#orders tr[data-order-id=%q]`, third)
	b.waitFor("the modified order listed", fmt.Sprintf(`(() => { const r = document.querySelector('%s'); return !!r && r.cells[4].textContent === "2" && r.cells[5].textContent.includes("61,500"); })()`, row), 10*time.Second)
	if o := u.must(200, "GET", "/orders/"+third, nil); o["status"] != "PENDING" || o["limit_price"] != "61500" || o["quantity"] != float64(2) {
		t.Fatalf("modified in the app to 2 × 61,500; the server has %v × %v (%v)", o["quantity"], o["limit_price"], o["status"])
	}

	// Top up through the fake PortOne's checkout page, in the same tab.
	before := dec(t, u.must(200, "GET", "/balance", nil)["cash"])
	b.do("prepare a top-up", 20*time.Second, steps(
		one(chromedp.Click(css(`#nav a[data-tab="wallet"]`)), chromedp.WaitVisible(css("#topup"))),
		fill("#topup-amount", "10000"),
		one(chromedp.Click(css("#topup-submit")), chromedp.WaitVisible(css(`button[name=action][value=pay]`))),
	)...)
	b.snapshot("checkout")
	b.do("pay on the checkout page", 30*time.Second,
		chromedp.Click(css(`button[name=action][value=pay]`)),
		chromedp.WaitVisible(css(`#topup-msg[data-status="PAID"]`)),
	)
	if loc := eval[string](b, "location.search"); loc != "" {
		t.Errorf("the return address keeps its query after the top-up: %q", loc)
	}
	after := dec(t, u.must(200, "GET", "/balance", nil)["cash"])
	if want := before.Add(decimal.NewFromInt(10000 * 100)); !after.Equal(want) {
		t.Errorf("cash after the top-up %s, want %s", after, want)
	}
	b.waitFor("the payment listed", `document.querySelector('#payments tr[data-status="PAID"]')`, 10*time.Second)
	b.snapshot("wallet")

	// Screens whose endpoints a server may not have yet show empty states
	// (or, once they exist, their data).
	b.do("portfolio and equity", 20*time.Second,
		chromedp.Click(css(`#nav a[data-tab="portfolio"]`)),
		chromedp.WaitVisible(css(`#holdings tr[data-code="005930"]`)),
		chromedp.WaitVisible(css(`#equity-chart svg, #equity-chart [data-state]`)),
	)
	b.snapshot("portfolio")
	if q := b.text(`#holdings tr[data-code="005930"] [data-field=quantity]`); q != "12" {
		t.Errorf("holding shown: %q shares, want 12", q)
	}
	b.do("rankings and contests", 20*time.Second,
		chromedp.Click(css(`#nav a[data-tab="rankings"]`)),
		chromedp.WaitVisible(css(`#leaderboard table, #leaderboard [data-state]`)),
		chromedp.WaitVisible(css(`#contests table, #contests [data-state]`)),
	)
	b.snapshot("rankings")
	b.do("the ledger", 20*time.Second,
		chromedp.Click(css(`#nav a[data-tab="ledger"]`)),
		chromedp.WaitVisible(css(`#ledger tr[data-type="DEPOSIT"]`)),
		chromedp.WaitVisible(css(`#ledger tr[data-type="BUY"]`)),
	)

	b.snapshot("ledger")

	// Korean labels, and back.
	b.do("switch to Korean", 10*time.Second, chromedp.Click(css("#lang-toggle")))
	b.snapshot("ledger-ko")
	if got := b.text(`#nav a[data-tab="trade"]`); got != "주문" {
		t.Errorf("trade tab in Korean: %q", got)
	}
	if got := eval[string](b, "document.documentElement.lang"); got != "ko" {
		t.Errorf("html lang %q", got)
	}
	b.do("switch back to English", 10*time.Second, chromedp.Click(css("#lang-toggle")))
	if got := b.text(`#nav a[data-tab="trade"]`); got != "Trade" {
		t.Errorf("trade tab in English: %q", got)
	}

	b.checkConsole()
	audit(t, m)
	t.Logf("browser steps took %s", time.Since(started).Round(100*time.Millisecond))
}

// TestDocsInChromium loads /docs in Chromium: Swagger UI renders the
// operations with nothing but the server's own files, and the page's
// Content-Security-Policy is never violated.
func TestDocsInChromium(t *testing.T) {
	b := newBrowser(t)
	m, _ := startMain(t, nil)
	b.do("open the docs", 30*time.Second,
		chromedp.Navigate(m.URL()+"/docs"),
		chromedp.WaitVisible(css(`#operations-orders-place-order`)),
	)
	b.checkConsole()
}

// login returns an API client for a user the browser signed up.
func login(t *testing.T, m *Main, email string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: m.URL() + "/api/v1"}
	c.token = c.must(200, "POST", "/auth/login", map[string]any{"email": email, "password": "correct-horse"})["access_token"].(string)
	return c
}

// checkLabels fails for a label key the page uses that a language lacks,
// and for a key one language has and the other not.
func checkLabels(t *testing.T, b *browser) {
	t.Helper()
	missing := eval[[]string](b, `import(new URL("js/i18n.js", document.baseURI).href).then((i) => {
		const {en, ko} = i.keys();
		const used = [...document.querySelectorAll("[data-i18n], [data-i18n-placeholder], [data-i18n-title]")]
			.flatMap((el) => [el.dataset.i18n, el.dataset.i18nPlaceholder, el.dataset.i18nTitle]).filter(Boolean);
		return [...used.filter((k) => !en.includes(k) || !ko.includes(k)).map((k) => "used " + k),
			...en.filter((k) => !ko.includes(k)).map((k) => "ko lacks " + k),
			...ko.filter((k) => !en.includes(k)).map((k) => "en lacks " + k)];
	})`)
	for _, m := range missing {
		t.Errorf("label: %s", m)
	}
}

// checkTickTable compares the ticket's tick size, rounding and grid test
// with the domain's around each boundary of the KRX table.
func checkTickTable(t *testing.T, b *browser) {
	t.Helper()
	var prices []int64
	for _, edge := range []int64{1, 2000, 5000, 20000, 50000, 200000, 500000, 1000000} {
		for d := int64(-7); d <= 7; d++ {
			if p := edge + d; p > 0 {
				prices = append(prices, p)
			}
		}
	}
	prices = append(prices, 1234, 4999, 9980, 12345, 70050, 199950, 499999, 1234567, 3000000)
	list := strings.Trim(strings.ReplaceAll(fmt.Sprint(prices), " ", ","), "[]")
	got := eval[[][4]string](b, `import(new URL("js/krx.js", document.baseURI).href).then((k) => [`+list+`].map((p) => {
		const x = BigInt(p);
		return [k.tickSize(x).toString(), k.floorTick(x).toString(), k.ceilTick(x).toString(), String(k.onGrid(x))];
	}))`)
	if len(got) != len(prices) {
		t.Fatalf("%d answers for %d prices", len(got), len(prices))
	}
	for i, p := range prices {
		d := decimal.NewFromInt(p)
		want := [4]string{domain.TickSize(d).String(), domain.FloorTick(d).String(), domain.CeilTick(d).String(), fmt.Sprint(domain.OnTickGrid(d))}
		if got[i] != want {
			t.Errorf("price %d: the app says tick, floor, ceil, on grid = %v; the domain %v", p, got[i], want)
		}
	}
}

// cannedAnswer is what the browser gets, instead of the server's answer,
// for a request the test intercepts.
type cannedAnswer struct {
	status      int
	contentType string
	body        string
}

// TestWebAppWithEndpointsToCome renders the screens whose endpoints the
// server does not have yet (event stream, equity, leaderboards, contests)
// from canned answers in the contract's shape, which the browser receives
// in place of the server's 404s.
func TestWebAppWithEndpointsToCome(t *testing.T) {
	b := newBrowser(t)
	m, _ := startMain(t, nil)
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930", map[string]any{"price": "70000", "prev_close": "70000"})
	signup(t, m, "future@example.com")

	canned := map[string]cannedAnswer{
		"POST /api/v1/stream/ticket": {200, "application/json", `{"data":{"ticket":"t-1"}}`},
		// One event, after which the stream ends; the app reconnects with a
		// new ticket.
		"GET /api/v1/stream": {200, "text/event-stream", "retry: 60000\nid: 1\nevent: quote\n" +
			`data: {"code":"005930","name":"삼성전자","price":"71000","prev_close":"70000","change":"1000","change_rate":"1.43","upper_limit":"91000","lower_limit":"49000","tick_size":"100"}` + "\n\n"},
		"GET /api/v1/analytics/equity": {200, "application/json", `{"data":[` +
			`{"date":"2026-11-27","cash":"10000000","holdings_value":"0","equity":"10000000","net_flow":"10000000","daily_return":"0","cumulative_return":"0"},` +
			`{"date":"2026-11-30","cash":"9000000","holdings_value":"1100000","equity":"10100000","net_flow":"0","daily_return":"1","cumulative_return":"1"},` +
			`{"date":"2026-12-01","cash":"9000000","holdings_value":"1050000","equity":"10050000","net_flow":"0","daily_return":"-0.5","cumulative_return":"0.5"}]}`},
		"GET /api/v1/leaderboards": {200, "application/json", `{"data":[` +
			`{"rank":1,"nickname":"고수","return_rate":"12.5","equity":"11250000","trades":42},` +
			`{"rank":2,"nickname":"future","return_rate":"-1.25","equity":"9875000","trades":3}],"as_of":"2026-12-01T05:00:00Z"}`},
		"GET /api/v1/contests":           {200, "application/json", `{"data":[{"id":"c-1","name":"12월 리그","starts_at":"2026-12-01T00:00:00Z","ends_at":"2026-12-31T06:30:00Z","initial_cash":"50000000"}],"next_cursor":null}`},
		"POST /api/v1/contests/c-1/join": {201, "application/json", `{"data":{"account_id":"acct-c-1"}}`},
	}
	intercept(t, b, canned)

	b.do("log in", 20*time.Second, steps(
		one(chromedp.Navigate(m.URL()+"/app/"), chromedp.WaitVisible(css("#login-form"))),
		fill("#login-form [name=email]", "future@example.com"),
		fill("#login-form [name=password]", "correct-horse"),
		one(chromedp.Click(css("#login-form button[type=submit]")), chromedp.WaitVisible(css("#tab-trade"))),
	)...)
	// An access token that no longer works is traded for a new pair with
	// the refresh token, and the app carries on.
	b.do("expire the access token", 20*time.Second,
		chromedp.Evaluate[chromedp.Void](`(() => {
			const s = JSON.parse(sessionStorage.getItem("stocking.session"));
			s.access_token = "expired";
			sessionStorage.setItem("stocking.session", JSON.stringify(s));
		})()`),
		chromedp.Reload(),
		chromedp.WaitVisible(css("#tab-trade")),
	)
	b.waitFor("a new access token", `(JSON.parse(sessionStorage.getItem("stocking.session")) || {}).access_token?.length > 20`, 10*time.Second)
	b.waitFor("the cash shown with it", `document.querySelector('#whoami [data-field="available"]')`, 10*time.Second)
	b.waitFor("a streamed quote shown", `(document.querySelector('#quotes tr[data-code="005930"] [data-field=price]') || {}).textContent === "71,000"`, 10*time.Second)
	b.waitFor("the stream's mode shown", `document.querySelector('#live-mode').dataset.mode === "stream"`, 10*time.Second)
	// The stream carries changes only; the listings come from one read.
	if n := eval[int](b, `document.querySelectorAll('#quotes tbody tr[data-code]').length`); n < 30 {
		t.Errorf("%d listings shown while streaming", n)
	}

	b.do("the equity chart", 20*time.Second,
		chromedp.Click(css(`#nav a[data-tab="portfolio"]`)),
		chromedp.WaitVisible(css(`#equity-chart svg[data-points="3"]`)),
	)
	b.snapshot("future-equity")
	if n := eval[int](b, `document.querySelectorAll('#equity-chart circle').length`); n != 3 {
		t.Errorf("%d points drawn, want 3", n)
	}
	b.do("the leaderboard and contests", 20*time.Second,
		chromedp.Click(css(`#nav a[data-tab="rankings"]`)),
		chromedp.WaitVisible(css(`#leaderboard tbody tr.me`)),
		chromedp.WaitVisible(css(`#contests tr[data-contest-id="c-1"] button`)),
	)
	if got := b.text(`#leaderboard tbody tr:first-child`); !strings.Contains(got, "고수") || !strings.Contains(got, "+12.50%") || !strings.Contains(got, "11,250,000") {
		t.Errorf("first leaderboard row: %q", got)
	}
	b.do("join a contest", 20*time.Second,
		chromedp.Click(css(`#contests tr[data-contest-id="c-1"] button`)),
		chromedp.WaitVisible(css(`#contests-msg[data-kind="ok"]`)),
	)
	if got := b.text("#contests-msg"); !strings.Contains(got, "acct-c-1") {
		t.Errorf("join message: %q", got)
	}
	b.snapshot("future-rankings")
	b.checkConsole()
}

// intercept answers the browser's requests named in canned ("METHOD
// /path", query ignored) itself; every other request goes to the server.
func intercept(t *testing.T, b *browser, canned map[string]cannedAnswer) {
	t.Helper()
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/*"}}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u, _ := url.Parse(ev.Request.URL)
			a, ok := canned[ev.Request.Method+" "+u.Path]
			if !ok {
				_, _ = chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			_, _ = chromedp.Call(b.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: int64(a.status),
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: a.contentType}, {Name: "Cache-Control", Value: "no-store"}},
				Body:            []byte(a.body),
			})
		}
	}()
}
