package kis_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
)

func TestConcurrentCallsShareOneToken(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	listing(t, e.fake, "005930", "삼성전자", "70000")
	ctx := testCtx(t)

	const callers = 40
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.Quote(ctx, "005930"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The fake refuses a second issue within a minute, so more than one
	// request would also have shown up as errors above.
	if n := e.fake.TokenIssues(); n != 1 {
		t.Errorf("fake issued %d tokens for %d concurrent calls, want 1", n, callers)
	}
	if n := e.fake.TokenRefusals(); n != 0 {
		t.Errorf("fake refused %d token requests, want none", n)
	}
	if n := e.fake.RESTCalls("FHKST01010100"); n != callers {
		t.Errorf("fake saw %d inquire-price calls, want %d", n, callers)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	clock := newClock()
	e := newEnv(t, kisfake.Options{Now: clock.Now}, func(c *kis.Config) {
		c.Now = clock.Now
		c.TokenRenewBefore = 30 * time.Minute
	})
	listing(t, e.fake, "005930", "삼성전자", "70000")
	ctx := testCtx(t)

	first, err := e.client.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(23 * time.Hour)
	if tok, _ := e.client.Token(ctx); tok != first || e.fake.TokenIssues() != 1 {
		t.Fatalf("token renewed 1 h before expiry (issues %d); want it kept until 30 min before", e.fake.TokenIssues())
	}
	clock.Add(31 * time.Minute) // 29 min left
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokenIssues(); n != 2 {
		t.Fatalf("fake issued %d tokens, want a renewal (2)", n)
	}
	if tok, _ := e.client.Token(ctx); tok == first {
		t.Error("client still holds the old token after renewing")
	}
}

func TestRefusedRenewalKeepsCurrentToken(t *testing.T) {
	clock := newClock()
	e := newEnv(t, kisfake.Options{Now: clock.Now, TokenTTL: 10 * time.Minute, TokenIssueInterval: time.Hour},
		func(c *kis.Config) {
			c.Now = clock.Now
			c.TokenRenewBefore = 5 * time.Minute
		})
	listing(t, e.fake, "005930", "삼성전자", "70000")
	ctx := testCtx(t)

	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatal(err)
	}
	clock.Add(6 * time.Minute) // inside the renewal window; KIS refuses (EGW00133)
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatalf("call failed although the current token is still valid: %v", err)
	}
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokenRefusals(); n != 1 {
		t.Errorf("fake refused %d renewals, want 1: a refused renewal must not be retried at once", n)
	}
	clock.Add(5 * time.Minute) // expired; the fake still refuses
	_, err := e.client.Quote(ctx, "005930")
	var apiErr *kis.APIError
	if !errors.As(err, &apiErr) || apiErr.MsgCd != kis.MsgTokenIssueLimited {
		t.Fatalf("err = %v, want the EGW00133 refusal once the old token has expired", err)
	}
}

func TestTokenRefusalIsNotRepeatedWithinAMinute(t *testing.T) {
	clock := newClock()
	e := newEnv(t, kisfake.Options{Now: clock.Now}, func(c *kis.Config) { c.Now = clock.Now })
	listing(t, e.fake, "005930", "삼성전자", "70000")
	ctx := testCtx(t)
	// Another process with the same app key took this minute's token.
	other, err := kis.NewClient(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Token(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.client.Quote(ctx, "005930"); err == nil || !strings.Contains(err.Error(), kis.MsgTokenIssueLimited) {
			t.Fatalf("err = %v, want EGW00133", err)
		}
	}
	if n := e.fake.TokenRefusals(); n != 1 {
		t.Errorf("fake refused %d token requests, want 1: the client must not ask again within the minute", n)
	}
	clock.Add(61 * time.Second)
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
}

func TestExpiredTokenAnswerRenewsOnceAndRetries(t *testing.T) {
	e := newEnv(t, kisfake.Options{TokenIssueInterval: -1}, nil)
	listing(t, e.fake, "005930", "삼성전자", "70000")
	ctx := testCtx(t)
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireTokens()
	if _, err := e.client.Quote(ctx, "005930"); err != nil {
		t.Fatalf("call after KIS expired the token: %v", err)
	}
	if n := e.fake.TokenIssues(); n != 2 {
		t.Errorf("token issues = %d, want 2", n)
	}
	if n := e.fake.RESTCalls("FHKST01010100"); n != 3 {
		t.Errorf("inquire-price calls = %d, want 3 (ok, refused, retried)", n)
	}
}

func TestQuoteFromFake(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	listing(t, e.fake, "005930", "삼성전자", "70000")
	if err := e.fake.Publish([]kisfake.Trade{
		{Code: "005930", Price: dec("70500"), Volume: 10},
		{Code: "005930", Price: dec("71000"), Volume: 5},
		{Code: "005930", Price: dec("69900"), Volume: 3},
	}); err != nil {
		t.Fatal(err)
	}
	q, err := e.client.Quote(testCtx(t), "005930")
	if err != nil {
		t.Fatal(err)
	}
	want := kis.Quote{
		Code: "005930", Price: dec("69900"), BasePrice: dec("70000"),
		UpperLimit: dec("91000"), LowerLimit: dec("49000"),
		Open: dec("70500"), High: dec("71000"), Low: dec("69900"),
		Volume: 18, Change: dec("-100"), ChangeRate: dec("-0.14"),
	}
	checkQuote(t, q, want)
}

func checkQuote(t *testing.T, got, want kis.Quote) {
	t.Helper()
	if got.Code != want.Code || got.Name != want.Name || got.Volume != want.Volume {
		t.Errorf("code/name/volume = %s/%q/%d, want %s/%q/%d", got.Code, got.Name, got.Volume, want.Code, want.Name, want.Volume)
	}
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"price", got.Price.String(), want.Price.String()},
		{"base", got.BasePrice.String(), want.BasePrice.String()},
		{"upper", got.UpperLimit.String(), want.UpperLimit.String()},
		{"lower", got.LowerLimit.String(), want.LowerLimit.String()},
		{"open", got.Open.String(), want.Open.String()},
		{"high", got.High.String(), want.High.String()},
		{"low", got.Low.String(), want.Low.String()},
		{"change", got.Change.String(), want.Change.String()},
		{"change rate", got.ChangeRate.String(), want.ChangeRate.String()},
	} {
		if f.got != f.want {
			t.Errorf("%s = %s, want %s", f.name, f.got, f.want)
		}
	}
}

// cannedKIS answers the token request and then every quotation call with
// body, as a recorded KIS answer would come.
func cannedKIS(t *testing.T, status int, body string) *kis.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.URL.Path == "/oauth2/tokenP" {
			_, _ = w.Write([]byte(`{"access_token":"eyJ0eXAi","access_token_token_expired":"2099-01-01 00:00:00","token_type":"Bearer","expires_in":86400}`))
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := kis.NewClient(kis.Config{AppKey: testKey, AppSecret: testSecret, RESTBase: srv.URL, RateLimitBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQuoteParsesKISAnswer(t *testing.T) {
	// Shaped like a real inquire-price answer, with the change given as a
	// magnitude and its direction only in prdy_vrss_sign, and a name.
	c := cannedKIS(t, http.StatusOK, `{"output":{"iscd_stat_cls_code":"55","marg_rate":"20.00","rprs_mrkt_kor_name":"KOSPI200",
		"hts_kor_isnm":"SK하이닉스","stck_prpr":"181500","prdy_vrss":"3500","prdy_vrss_sign":"5","prdy_ctrt":"1.89",
		"acml_tr_pbmn":"512345678900","acml_vol":"2834211","stck_oprc":"185000","stck_hgpr":"186000","stck_lwpr":"180500",
		"stck_mxpr":"240500","stck_llam":"129700","stck_sdpr":"185000","aspr_unit":"100"},
		"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다."}`)
	q, err := c.Quote(testCtx(t), "000660")
	if err != nil {
		t.Fatal(err)
	}
	checkQuote(t, q, kis.Quote{
		Code: "000660", Name: "SK하이닉스", Price: dec("181500"), BasePrice: dec("185000"),
		UpperLimit: dec("240500"), LowerLimit: dec("129700"),
		Open: dec("185000"), High: dec("186000"), Low: dec("180500"),
		Volume: 2834211, Change: dec("-3500"), ChangeRate: dec("-1.89"),
	})
}

func TestQuoteRefusesUnparsableNumber(t *testing.T) {
	c := cannedKIS(t, http.StatusOK, `{"output":{"stck_prpr":"181,500","stck_sdpr":"185000","stck_mxpr":"240500",
		"stck_llam":"129700","stck_oprc":"1","stck_hgpr":"1","stck_lwpr":"1","acml_vol":"1","prdy_vrss":"0",
		"prdy_vrss_sign":"3","prdy_ctrt":"0.00"},"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다."}`)
	_, err := c.Quote(testCtx(t), "000660")
	if err == nil || !strings.Contains(err.Error(), "stck_prpr") || !strings.Contains(err.Error(), "181,500") {
		t.Fatalf("err = %v, want one naming field stck_prpr and its value", err)
	}
}

func TestNonZeroRtCdIsAnError(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	_, err := e.client.Quote(testCtx(t), "999999") // not listed on the fake
	var apiErr *kis.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *kis.APIError", err)
	}
	if apiErr.RtCd != "7" || apiErr.MsgCd == "" || apiErr.Msg1 == "" {
		t.Errorf("APIError = %+v, want rt_cd 7 with msg_cd and msg1", apiErr)
	}
	for _, part := range []string{apiErr.MsgCd, apiErr.Msg1} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %q", err, part)
		}
	}
}

func TestErrorAnswerWithHTTP500IsDecoded(t *testing.T) {
	c := cannedKIS(t, http.StatusInternalServerError, `{"rt_cd":"1","msg_cd":"EGW00999","msg1":"some failure"}`)
	_, err := c.Quote(testCtx(t), "005930")
	var apiErr *kis.APIError
	if !errors.As(err, &apiErr) || apiErr.MsgCd != "EGW00999" || apiErr.Status != 500 {
		t.Fatalf("err = %v, want EGW00999 with HTTP 500", err)
	}
}

func TestRateLimitedCallBacksOffThenSucceeds(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	listing(t, e.fake, "005930", "삼성전자", "70000")
	e.fake.RateLimitNext(2)
	q, err := e.client.Quote(testCtx(t), "005930")
	if err != nil {
		t.Fatalf("quote after two EGW00201: %v", err)
	}
	if !q.Price.Equal(dec("70000")) {
		t.Errorf("price = %s", q.Price)
	}
	if n := e.fake.RESTCalls("FHKST01010100"); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
}

func TestRateLimitRetriesAreBounded(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, func(c *kis.Config) { c.RateLimitRetries = 3 })
	listing(t, e.fake, "005930", "삼성전자", "70000")
	e.fake.SetRateLimited(true)
	_, err := e.client.Quote(testCtx(t), "005930")
	if !kis.IsRateLimited(err) || !strings.Contains(err.Error(), "EGW00201") {
		t.Fatalf("err = %v, want EGW00201 after the retries", err)
	}
	if n := e.fake.RESTCalls("FHKST01010100"); n != 4 {
		t.Errorf("calls = %d, want 1 + 3 retries", n)
	}
}

func TestRateLimitBackoffHonoursContext(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, func(c *kis.Config) { c.RateLimitBackoff = time.Minute })
	listing(t, e.fake, "005930", "삼성전자", "70000")
	e.fake.SetRateLimited(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.client.Quote(ctx, "005930")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v; the backoff ignored the context", d)
	}
}

func TestDailyBarsPageOldestFirst(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	var bars []kisfake.Bar
	day := time.Date(2025, 1, 6, 0, 0, 0, 0, domain.Seoul)
	for len(bars) < 250 {
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			p := decimal.NewFromInt(50000 + 100*int64(len(bars)))
			bars = append(bars, kisfake.Bar{Date: day, Open: p, High: p.Add(dec("500")), Low: p.Sub(dec("500")), Close: p, Volume: int64(1000 + len(bars))})
		}
		day = day.AddDate(0, 0, 1)
	}
	listing(t, e.fake, "005930", "삼성전자", "70000", bars...)
	first, last := bars[0].Date, bars[len(bars)-1].Date

	got, err := e.client.DailyBars(testCtx(t), "005930", first.AddDate(0, 0, -10), last.AddDate(0, 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "삼성전자" || got.Code != "005930" {
		t.Errorf("code/name = %s/%q", got.Code, got.Name)
	}
	if len(got.Days) != len(bars) {
		t.Fatalf("got %d bars, want %d", len(got.Days), len(bars))
	}
	for i, b := range got.Days {
		w := bars[i]
		if !b.Date.Equal(w.Date) || !b.Close.Equal(w.Close) || !b.High.Equal(w.High) || !b.Low.Equal(w.Low) || b.Volume != w.Volume {
			t.Fatalf("bar %d = %+v, want %+v", i, b, w)
		}
	}
	if n := e.fake.RESTCalls("FHKST03010100"); n != 3 {
		t.Errorf("chart calls = %d, want 3 pages of at most 100", n)
	}

	// A range inside the history takes only what it names.
	got, err = e.client.DailyBars(testCtx(t), "005930", bars[10].Date, bars[19].Date)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Days) != 10 || !got.Days[0].Date.Equal(bars[10].Date) || !got.Days[9].Date.Equal(bars[19].Date) {
		t.Errorf("sub-range gave %d bars from %v", len(got.Days), got.Days)
	}
}

func TestNewClientDefaultsAndValidation(t *testing.T) {
	if _, err := kis.NewClient(kis.Config{AppKey: "k"}); err == nil {
		t.Error("missing secret accepted")
	}
	if _, err := kis.NewClient(kis.Config{AppKey: "k", AppSecret: "s", Env: "paper"}); err == nil {
		t.Error("unknown Env accepted")
	}
	if _, err := kis.NewClient(kis.Config{AppKey: "k", AppSecret: "s", WSURL: "http://x"}); err == nil {
		t.Error("http WebSocket URL accepted")
	}
	c, err := kis.NewClient(kis.Config{AppKey: "k", AppSecret: "s", Env: "mock"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSubscriptions() != kis.DefaultMaxSubscriptions {
		t.Errorf("MaxSubscriptions = %d", c.MaxSubscriptions())
	}
}
