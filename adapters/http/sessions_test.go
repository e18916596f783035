package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
)

func login(e *env, email, password string) (access, refresh string) {
	e.t.Helper()
	r := e.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	return str(r.Body, "data.access_token"), str(r.Body, "data.refresh_token")
}

func TestRefreshTokensRotateAndReuseRevokesTheFamily(t *testing.T) {
	e := newEnv(t)
	e.signup("rotate@example.com")
	_, first := login(e, "rotate@example.com", "correct-horse")

	r := e.must(http.StatusOK, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first})
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("refresh Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
	second, access := str(r.Body, "data.refresh_token"), str(r.Body, "data.access_token")
	if second == first || second == "" {
		t.Fatalf("the refresh token did not rotate: %s", r.Raw)
	}
	// A second login is another session, untouched by what follows.
	otherAccess, otherRefresh := login(e, "rotate@example.com", "correct-horse")

	// The first token again: copied, so refused, and its family revoked.
	p := e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first})
	assertProblem(t, p, 401, "unauthorized", "already used")
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": second}),
		401, "unauthorized", "session was ended")
	assertProblem(t, e.must(http.StatusUnauthorized, "GET", "/api/v1/balance", access, nil), 401, "unauthorized", "session was ended")

	e.must(http.StatusOK, "GET", "/api/v1/balance", otherAccess, nil)
	e.must(http.StatusOK, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": otherRefresh})
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.signup("leave@example.com")
	access, refresh := login(e, "leave@example.com", "correct-horse")
	e.must(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": refresh})
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh}),
		401, "unauthorized", "session was ended")
	assertProblem(t, e.must(http.StatusUnauthorized, "GET", "/api/v1/users/me", access, nil), 401, "unauthorized", "session was ended")
	// Twice is fine; garbage is not.
	e.must(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": refresh})
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": "garbage"}),
		401, "unauthorized", "malformed")
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": access}),
		401, "unauthorized", "access token was sent where a refresh token is required")
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	e.signup("pw@example.com")
	mine, myRefresh := login(e, "pw@example.com", "correct-horse")
	theirs, theirRefresh := login(e, "pw@example.com", "correct-horse")

	assertProblem(t, e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/password", mine,
		map[string]any{"current_password": "wrong-horse", "new_password": "battery-staple"}), 422, "invalid", "body.current_password: is not the account's password")
	assertProblem(t, e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/password", mine,
		map[string]any{"current_password": "correct-horse", "new_password": "short"}), 422, "invalid", "body.new_password: must be at least 8 characters")
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/password", "",
		map[string]any{"current_password": "correct-horse", "new_password": "battery-staple"}), 401, "unauthorized", "")
	e.must(http.StatusOK, "GET", "/api/v1/users/me", theirs, nil)

	e.must(http.StatusNoContent, "POST", "/api/v1/auth/password", mine, map[string]any{"current_password": "correct-horse", "new_password": "battery-staple"})
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": theirRefresh}),
		401, "unauthorized", "session was ended")
	e.must(http.StatusOK, "GET", "/api/v1/users/me", mine, nil)
	e.must(http.StatusOK, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": myRefresh})
	assertProblem(t, e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]any{"email": "pw@example.com", "password": "correct-horse"}),
		401, "unauthorized", "incorrect")
	login(e, "pw@example.com", "battery-staple")
}

func TestLoginAndSignupAreRateLimited(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) {
		o.AuthLimits = &httpapi.AuthLimits{
			PerAddress: httpapi.RateLimit{N: 4, Per: time.Minute},
			PerEmail:   httpapi.RateLimit{N: 2, Per: time.Minute},
		}
	})
	e.signup("limited@example.com")
	wrong := map[string]any{"email": "limited@example.com", "password": "wrong-horse"}
	e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", wrong)
	e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", wrong)
	p := e.must(http.StatusTooManyRequests, "POST", "/api/v1/auth/login", "", map[string]any{"email": " Limited@Example.com", "password": "correct-horse"})
	assertProblem(t, p, 429, "rate_limited", "too many login attempts for this e-mail address; try again in")
	if ra := p.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Another e-mail from the same address still gets in, until the
	// address's own limit is spent.
	e.must(http.StatusUnauthorized, "POST", "/api/v1/auth/login", "", map[string]any{"email": "other@example.com", "password": "x-horse-x"})
	p = e.must(http.StatusTooManyRequests, "POST", "/api/v1/auth/login", "", map[string]any{"email": "third@example.com", "password": "x-horse-x"})
	assertProblem(t, p, 429, "rate_limited", "too many login attempts from your address")

	// Signup counts apart from login, by address too.
	for i := range 3 {
		e.must(http.StatusCreated, "POST", "/api/v1/auth/signup", "", map[string]any{"email": strings.Repeat("n", i+1) + "@example.com", "password": "correct-horse", "nickname": "n"})
	}
	assertProblem(t, e.must(http.StatusTooManyRequests, "POST", "/api/v1/auth/signup", "", map[string]any{"email": "late@example.com", "password": "correct-horse", "nickname": "n"}),
		429, "rate_limited", "too many signup attempts from your address")
}

func TestRequestIDSecurityHeadersAndAccessLog(t *testing.T) {
	var buf bytes.Buffer
	e := newEnv(t, func(o *httpapi.Options) { o.AccessLog = slog.New(slog.NewJSONHandler(&buf, nil)) })
	tok := e.signup("logged@example.com")
	if !strings.Contains(buf.String(), `"path":"/api/v1/auth/signup"`) {
		t.Fatalf("no access line for the signup: %s", buf.String())
	}
	buf.Reset()

	send := func(id string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w
	}
	w := send("trace-0190c0de.7000:abc_1")
	if got := w.Header().Get("X-Request-ID"); got != "trace-0190c0de.7000:abc_1" {
		t.Errorf("a sane request id is echoed: %q", got)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 129), "new\nline"} {
		if got := send(bad).Header().Get("X-Request-ID"); got == bad || len(got) < 16 {
			t.Errorf("request id %q answered %q", bad, got)
		}
	}
	if got := send("").Header().Get("X-Request-ID"); len(got) < 16 {
		t.Errorf("no request id made: %q", got)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(buf.String(), "\n", 2)[0]), &line); err != nil {
		t.Fatalf("access line is not JSON: %v\n%s", err, buf.String())
	}
	if line["request_id"] != "trace-0190c0de.7000:abc_1" || line["route"] != "/api/v1/balance" || line["status"] != 200.0 || line["method"] != "GET" {
		t.Errorf("access line: %v", line)
	}
	if n := strings.Count(buf.String(), "\n"); n != 5 {
		t.Errorf("%d access lines for 5 requests", n)
	}

	for _, path := range []string{"/api/v1/stocks", "/healthz", "/nowhere", "/app/", "/docs"} {
		r := e.do("GET", path, "", nil)
		h := r.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Request-ID") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	if csp := e.do("GET", "/app/", "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("the app's CSP: %q", csp)
	}
	r := e.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]any{"email": "logged@example.com", "password": "correct-horse"})
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
}
