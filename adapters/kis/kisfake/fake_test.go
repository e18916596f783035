package kisfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
)

type harness struct {
	fake *kisfake.Server
	srv  *httptest.Server
}

func start(t *testing.T, opts kisfake.Options) *harness {
	t.Helper()
	f := kisfake.New(opts)
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		f.Close()
		srv.Close()
	})
	return &harness{fake: f, srv: srv}
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post sends body as JSON and decodes the answer into out (when not nil).
func (h *harness) post(t *testing.T, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	resp, err := http.Post(h.srv.URL+path, "application/json", r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (h *harness) approvalKey(t *testing.T) string {
	t.Helper()
	var ans struct {
		Key string `json:"approval_key"`
	}
	if st := h.post(t, "/oauth2/Approval", map[string]string{"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"}, &ans); st != 200 || ans.Key == "" {
		t.Fatalf("approval: HTTP %d, key %q", st, ans.Key)
	}
	return ans.Key
}

// dial opens a raw WebSocket client, the way a KIS client would.
func (h *harness) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctxFor(t), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/tryitout", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func subscribe(t *testing.T, c *websocket.Conn, key, trType, code string) {
	t.Helper()
	msg := `{"header":{"approval_key":"` + key + `","custtype":"P","tr_type":"` + trType + `","content-type":"utf-8"},` +
		`"body":{"input":{"tr_id":"H0STCNT0","tr_key":"` + code + `"}}}`
	if err := c.Write(ctxFor(t), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	Header struct {
		TrID    string `json:"tr_id"`
		TrKey   string `json:"tr_key"`
		Encrypt string `json:"encrypt"`
	} `json:"header"`
	Body struct {
		RtCd   string            `json:"rt_cd"`
		MsgCd  string            `json:"msg_cd"`
		Msg1   string            `json:"msg1"`
		Output map[string]string `json:"output"`
	} `json:"body"`
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_, data, err := c.Read(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readAnswer(t *testing.T, c *websocket.Conn) answer {
	t.Helper()
	var a answer
	raw := read(t, c)
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	return a
}

func TestSubscriptionAnswersInKISShape(t *testing.T) {
	h := start(t, kisfake.Options{MaxSubscriptions: 2})
	key := h.approvalKey(t)
	c := h.dial(t)
	for _, step := range []struct {
		key, trType, code string
		rtCd, msgCd, msg1 string
	}{
		{"not-a-key", "1", "005930", "9", "OPSP0011", "invalid approval : NOT FOUND"},
		{key, "1", "005930", "0", "OPSP0000", "SUBSCRIBE SUCCESS"},
		{key, "1", "005930", "1", "OPSP0002", "ALREADY IN SUBSCRIBE"},
		{key, "1", "000660", "0", "OPSP0000", "SUBSCRIBE SUCCESS"},
		{key, "1", "035420", "1", "OPSP0008", "MAX SUBSCRIBE OVER"},
		{key, "2", "035420", "1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)"},
		{key, "2", "005930", "0", "OPSP0001", "UNSUBSCRIBE SUCCESS"},
	} {
		subscribe(t, c, step.key, step.trType, step.code)
		a := readAnswer(t, c)
		if a.Header.TrID != "H0STCNT0" || a.Header.TrKey != step.code || a.Header.Encrypt != "N" ||
			a.Body.RtCd != step.rtCd || a.Body.MsgCd != step.msgCd || a.Body.Msg1 != step.msg1 {
			t.Errorf("tr_type %s %s with key %q: answer %+v, want %s %s %s", step.trType, step.code, step.key, a, step.rtCd, step.msgCd, step.msg1)
		}
		if step.msgCd == "OPSP0000" && (a.Body.Output["iv"] == "" || a.Body.Output["key"] == "") {
			t.Errorf("SUBSCRIBE SUCCESS without output.iv/key: %+v", a.Body)
		}
	}
	if subs := h.fake.Subscriptions(); len(subs) != 1 || strings.Join(subs[0], ",") != "000660" {
		t.Errorf("subscriptions = %v", subs)
	}
}

func TestTradesReachSubscribersAsMultiRecordFrames(t *testing.T) {
	h := start(t, kisfake.Options{})
	key := h.approvalKey(t)
	c := h.dial(t)
	subscribe(t, c, key, "1", "005930")
	readAnswer(t, c)

	// Prices as strings and as numbers, quotes optional.
	body := `[{"code":"005930","price":"70000","volume":10},
	          {"code":"000660","price":181500,"volume":1},
	          {"code":"005930","price":70100,"volume":5,"bid":70000,"ask":"70100","bid_size":30,"ask_size":20}]`
	var ans map[string]int
	if st := h.post(t, "/__trades", body, &ans); st != 200 || ans["published"] != 3 {
		t.Fatalf("POST /__trades: HTTP %d %v", st, ans)
	}
	frame := read(t, c)
	parts := strings.SplitN(frame, "|", 4)
	if len(parts) != 4 || parts[0] != "0" || parts[1] != "H0STCNT0" || parts[2] != "002" {
		t.Fatalf("frame header = %q", parts[:min(3, len(parts))])
	}
	f := strings.Split(parts[3], "^")
	if len(f) != 2*46 {
		t.Fatalf("frame has %d fields, want 92", len(f))
	}
	r1, r2 := f[:46], f[46:]
	if r1[0] != "005930" || r1[2] != "70000" || r1[12] != "10" || r1[10] != "70000" || r1[11] != "69900" {
		t.Errorf("first record: code %s price %s volume %s ask %s bid %s", r1[0], r1[2], r1[12], r1[10], r1[11])
	}
	if r2[2] != "70100" || r2[12] != "5" || r2[10] != "70100" || r2[11] != "70000" || r2[36] != "20" || r2[37] != "30" {
		t.Errorf("second record: price %s volume %s ask %s bid %s sizes %s/%s", r2[2], r2[12], r2[10], r2[11], r2[36], r2[37])
	}
	if r2[13] != "15" || r2[7] != "70000" || r2[8] != "70100" || len(r2[1]) != 6 || len(r2[33]) != 8 {
		t.Errorf("second record: cumulative volume %s open %s high %s time %q date %q", r2[13], r2[7], r2[8], r2[1], r2[33])
	}
	if n := h.fake.Trades(); n != 3 {
		t.Errorf("trades recorded = %d", n)
	}
}

func TestTradesEndpointRefusesBadInput(t *testing.T) {
	h := start(t, kisfake.Options{})
	for _, body := range []string{
		`[{"code":"005930","price":"abc","volume":1}]`,
		`[{"code":"005930","price":"70000","volume":-1}]`,
		`[{"code":"5930","price":"70000","volume":1}]`,
		`[{"code":"005930","price":"70000","volume":1.5}]`,
		`[{"code":"005930","price":"70000","volume":1,"side":"buy"}]`,
		`{"code":"005930"}`,
	} {
		if st := h.post(t, "/__trades", body, nil); st != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", body, st)
		}
	}
	if n := h.fake.Trades(); n != 0 {
		t.Errorf("%d trades recorded from bad input", n)
	}
}

func TestSessionWithoutEchoIsDropped(t *testing.T) {
	h := start(t, kisfake.Options{PingInterval: 10 * time.Millisecond})
	c := h.dial(t)
	var sawPing bool
	for {
		_, data, err := c.Read(ctxFor(t))
		if err != nil {
			break // the fake closed the session
		}
		var m struct {
			Header struct {
				TrID     string `json:"tr_id"`
				Datetime string `json:"datetime"`
			} `json:"header"`
		}
		if json.Unmarshal(data, &m) == nil && m.Header.TrID == "PINGPONG" && len(m.Header.Datetime) == 14 {
			sawPing = true
		}
	}
	if !sawPing {
		t.Error("no PINGPONG before the drop")
	}
	if err := h.fake.Wait(ctxFor(t), func() bool { return h.fake.Sessions() == 0 }); err != nil {
		t.Fatalf("session still open: %v", err)
	}
}

func TestSessionThatEchoesIsKept(t *testing.T) {
	h := start(t, kisfake.Options{PingInterval: 100 * time.Millisecond})
	c := h.dial(t)
	for range 3 {
		msg := read(t, c)
		if !strings.Contains(msg, `"PINGPONG"`) {
			t.Fatalf("unexpected message %q", msg)
		}
		if err := c.Write(ctxFor(t), websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.fake.Wait(ctxFor(t), func() bool { return h.fake.Echoes() == 3 }); err != nil {
		t.Fatal(err)
	}
	if n := h.fake.Sessions(); n != 1 {
		t.Errorf("sessions = %d after echoing every PINGPONG", n)
	}
}

func TestTokenIssueIsRateLimited(t *testing.T) {
	h := start(t, kisfake.Options{AppKey: "k", AppSecret: "s"})
	req := map[string]string{"grant_type": "client_credentials", "appkey": "k", "appsecret": "s"}
	var tok struct {
		AccessToken string `json:"access_token"`
		Expired     string `json:"access_token_token_expired"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if st := h.post(t, "/oauth2/tokenP", req, &tok); st != 200 || tok.AccessToken == "" || tok.TokenType != "Bearer" ||
		tok.ExpiresIn != 86400 || len(tok.Expired) != len("2006-01-02 15:04:05") {
		t.Fatalf("first issue: HTTP %d %+v", st, tok)
	}
	var e struct {
		Code string `json:"error_code"`
		Desc string `json:"error_description"`
	}
	if st := h.post(t, "/oauth2/tokenP", req, &e); st != http.StatusForbidden || e.Code != "EGW00133" {
		t.Errorf("second issue within a minute: HTTP %d %+v, want 403 EGW00133", st, e)
	}
	if h.fake.TokenIssues() != 1 || h.fake.TokenRefusals() != 1 {
		t.Errorf("issues %d refusals %d", h.fake.TokenIssues(), h.fake.TokenRefusals())
	}
	// The approval key takes the secret as "secretkey", not "appsecret".
	if st := h.post(t, "/oauth2/Approval", req, &e); st != http.StatusForbidden || e.Code != "EGW00105" {
		t.Errorf("approval with appsecret: HTTP %d %+v, want 403 EGW00105", st, e)
	}
}

func TestControlEndpoints(t *testing.T) {
	h := start(t, kisfake.Options{})
	req, _ := http.NewRequest(http.MethodPut, h.srv.URL+"/__listings",
		strings.NewReader(`[{"code":"005930","name":"삼성전자","prev_close":"70000","bars":[{"date":"2026-02-27","open":"69000","high":"70500","low":"68800","close":"70000","volume":123}]}]`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT /__listings: HTTP %d", resp.StatusCode)
	}

	// Rate limiting, switched through its endpoint, answers a quotation
	// call with EGW00201 before anything else is checked.
	if st := h.post(t, "/__ratelimit", `{"on":true}`, nil); st != http.StatusNoContent {
		t.Fatalf("POST /__ratelimit: HTTP %d", st)
	}
	resp, err = http.Get(h.srv.URL + "/uapi/domestic-stock/v1/quotations/inquire-price?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
	if err != nil {
		t.Fatal(err)
	}
	var a struct{ RtCd, MsgCd string }
	var raw map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	a.RtCd, a.MsgCd = raw["rt_cd"], raw["msg_cd"]
	if resp.StatusCode != 500 || a.RtCd != "1" || a.MsgCd != "EGW00201" {
		t.Errorf("rate-limited call: HTTP %d %+v", resp.StatusCode, a)
	}
	h.post(t, "/__ratelimit", `{"on":false}`, nil)

	c := h.dial(t)
	if err := h.fake.Wait(ctxFor(t), func() bool { return h.fake.Sessions() == 1 }); err != nil {
		t.Fatal(err)
	}
	var sent map[string]int
	if h.post(t, "/__malformed", "", &sent); sent["sent"] != 1 {
		t.Errorf("malformed sent to %d sessions", sent["sent"])
	}
	if got := read(t, c); got != kisfake.MalformedFrame {
		t.Errorf("malformed frame = %q", got)
	}
	var dropped map[string]int
	if h.post(t, "/__drop", "", &dropped); dropped["dropped"] != 1 {
		t.Errorf("dropped %d sessions", dropped["dropped"])
	}
	if _, _, err := c.Read(ctxFor(t)); err == nil {
		t.Error("session still readable after /__drop")
	}

	resp, err = http.Get(h.srv.URL + "/__state")
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if state["connects"] != float64(1) || state["rest_calls"].(map[string]any)[""] != float64(1) {
		t.Errorf("state = %v", state)
	}
}

func TestListenAndServe(t *testing.T) {
	f := kisfake.New(kisfake.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- f.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + "/__state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /__state: HTTP %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
}
