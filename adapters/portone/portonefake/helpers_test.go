package portonefake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
)

// Two webhook secrets in PortOne's format; the first is the reference's
// worked example.
const (
	secretA = "whsec_cG9ydG9uZS1mYWtlLXdlYmhvb2stc2VjcmV0LTAwMDE="
	secretB = "whsec_dGhlLW5ldy1zZWNyZXQtYWZ0ZXItcm90YXRpb24tMDE="
)

// env is a fake listening on a real port and the real client pointed at it.
type env struct {
	fake   *portonefake.Server
	client *portone.Client
	base   string
}

func start(t *testing.T, cfg portonefake.Config) *env {
	t.Helper()
	f, err := portonefake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fc := f.Config()
	secrets := cfg.WebhookSecrets
	if len(secrets) == 0 {
		secrets = []string{secretA}
	}
	c, err := portone.New(portone.Config{
		BaseURL:        base,
		APISecret:      fc.APISecret,
		StoreID:        fc.StoreID,
		ChannelKey:     fc.ChannelKey,
		WebhookSecrets: secrets,
		Now:            cfg.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: f, client: c, base: base}
}

// clock is a settable time source shared by the fake and a receiver.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one webhook POST as the receiver saw it.
type received struct {
	Header http.Header
	Body   []byte
}

// receiver is a webhook endpoint whose replies a test scripts.
type receiver struct {
	mu    sync.Mutex
	got   []received
	reply func(n int, r received) int // n counts from 1
	srv   *httptest.Server
}

func newReceiver(t *testing.T, reply func(n int, r received) int) *receiver {
	t.Helper()
	rc := &receiver{reply: reply}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := received{Header: r.Header.Clone(), Body: b}
		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.reply != nil {
			status = rc.reply(n, rec)
		}
		w.WriteHeader(status)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor blocks until cond holds, re-checking on every change of the fake.
func waitFor(t *testing.T, f *portonefake.Server, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ch := f.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func idle(t *testing.T, f *portonefake.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.WaitIdle(ctx); err != nil {
		t.Fatalf("webhooks still pending: %v", err)
	}
}

// call sends a raw request to the fake and decodes a JSON reply.
func call(t *testing.T, method, url, auth string, header map[string]string, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: reply is not a JSON object: %s", method, url, raw)
		}
	}
	return resp.StatusCode, out
}

func auth(e *env) string { return "PortOne " + e.fake.Config().APISecret }
