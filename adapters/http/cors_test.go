package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
)

// devOrigins are what `stocking dev` allows.
var devOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}

// raw sends a request with the given headers and returns the recorder.
func (e *env) raw(method, path string, header map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func corsHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = h.Get(k)
		}
	}
	return out
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.CORSAllowedOrigins = devOrigins })
	w := e.raw("OPTIONS", "/api/v1/orders", map[string]string{
		"Origin":                         "http://localhost:5173",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization,content-type,idempotency-key,last-event-id",
	})
	if w.Code != http.StatusNoContent {
		t.Fatalf("preflight: %d %s", w.Code, w.Body)
	}
	h := w.Header()
	if got := h.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
		t.Errorf("Allow-Origin %q", got)
	}
	if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
		t.Errorf("Allow-Methods %q", got)
	}
	allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
	for _, want := range []string{"authorization", "content-type", "idempotency-key", "last-event-id"} {
		if !strings.Contains(allowed, want) {
			t.Errorf("Allow-Headers %q lacks %s", allowed, want)
		}
	}
	if got := h.Get("Access-Control-Max-Age"); got != "600" {
		t.Errorf("Max-Age %q", got)
	}
	if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("credentials allowed (%q), but the API uses bearer tokens only", got)
	}

	// A method the API does not take, or a header it does not read, is
	// not approved.
	w = e.raw("OPTIONS", "/api/v1/orders", map[string]string{
		"Origin": "http://127.0.0.1:8080", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-secret",
	})
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("an unknown request header was approved for %q", got)
	}
}

func TestCORSDisallowedOrigin(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.CORSAllowedOrigins = devOrigins })
	for _, origin := range []string{"https://evil.example", "http://localhost.evil.example", "https://localhost:5173"} {
		w := e.raw("OPTIONS", "/api/v1/orders", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
		if h := corsHeaders(w.Header()); len(h) != 0 {
			t.Errorf("preflight from %s got CORS headers %v", origin, h)
		}
		w = e.raw("GET", "/api/v1/stocks", map[string]string{"Origin": origin})
		if w.Code != http.StatusOK {
			t.Errorf("GET from %s: %d", origin, w.Code)
		}
		if h := corsHeaders(w.Header()); len(h) != 0 {
			t.Errorf("GET from %s got CORS headers %v", origin, h)
		}
	}

	// Without CORS_ALLOWED_ORIGINS nobody is allowed, and nothing about
	// CORS is sent.
	plain := newEnv(t)
	w := plain.raw("OPTIONS", "/api/v1/orders", map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})
	if h := corsHeaders(w.Header()); len(h) != 0 || w.Header().Get("Vary") != "" {
		t.Errorf("CORS headers without configuration: %v, Vary %q", h, w.Header().Get("Vary"))
	}
}

func TestCORSActualRequest(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.CORSAllowedOrigins = []string{"https://app.example.com"} })
	w := e.raw("GET", "/api/v1/stocks", map[string]string{"Origin": "https://app.example.com"})
	if w.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", w.Code, w.Body)
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Errorf("Allow-Origin %q", got)
	}
	if got := w.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(got, "Retry-After") {
		t.Errorf("Expose-Headers %q", got)
	}
	if got := w.Header().Get("Vary"); !strings.Contains(got, "Origin") {
		t.Errorf("Vary %q: caches must keep answers per origin", got)
	}
	// A problem answer is readable by the page too, so it can show detail.
	w = e.raw("GET", "/api/v1/orders", map[string]string{"Origin": "https://app.example.com"})
	if w.Code != http.StatusUnauthorized || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("401 without CORS headers: %d %v", w.Code, corsHeaders(w.Header()))
	}
}

func TestValidateCORSOrigins(t *testing.T) {
	good := [][]string{nil, {"*"}, devOrigins, {"https://app.example.com", "https://*.example.com", "http://localhost:5173"}}
	for _, o := range good {
		if err := httpapi.ValidateCORSOrigins(o); err != nil {
			t.Errorf("%v: %v", o, err)
		}
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/", "https://app.example.com/path", "ftp://x.example", "http://*.*.example", "https://user@app.example.com"} {
		if err := httpapi.ValidateCORSOrigins([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
