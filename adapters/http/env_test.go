package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/auth"
	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite"
	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

// env is a handler over a real service and an in-memory SQLite store.
type env struct {
	t       testing.TB
	h       http.Handler
	svc     *service.Service
	store   *sqlite.Store
	checks  map[string]func(context.Context) error
	secret  string
	initial decimal.Decimal
}

type envOption func(*httpapi.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: sqlite.MemoryPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewJWT(testSecret, 15*time.Minute, 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	initial := decimal.NewFromInt(10_000_000)
	svc, err := service.New(service.Deps{
		Store: store, Clock: system.Clock{}, IDs: system.IDs{}, Tokens: tokens, Hasher: auth.Bcrypt{Cost: 4},
	}, service.Config{InitialCash: initial, Calendar: &domain.Calendar{Always: true}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: svc, store: store, secret: testSecret, initial: initial, checks: map[string]func(context.Context) error{
		"database": store.Ping,
	}}
	o := httpapi.Options{Service: svc, Registry: prometheus.NewRegistry(), Checks: e.checks, Version: "test"}
	for _, f := range opts {
		f(&o)
	}
	e.h = httpapi.NewHandler(o)
	e.seedStocks()
	return e
}

func (e *env) seedStocks() {
	e.t.Helper()
	active := true
	for _, s := range []service.StockInput{
		{Code: "005930", Name: "삼성전자", NameEn: "Samsung Electronics", Market: "KOSPI", Price: dec("70000"), PrevClose: dec("70000"), Active: &active},
		{Code: "000660", Name: "SK하이닉스", NameEn: "SK hynix", Market: "KOSPI", Price: dec("180000"), PrevClose: dec("180000"), Active: &active},
		{Code: "035720", Name: "카카오", NameEn: "Kakao", Market: "KOSPI", Price: dec("9980"), PrevClose: dec("9980"), Active: &active},
		{Code: "247540", Name: "에코프로비엠", NameEn: "EcoPro BM", Market: "KOSDAQ", Price: dec("250000"), PrevClose: dec("250000"), Active: &active},
	} {
		if _, err := e.svc.Market.Upsert(context.Background(), s); err != nil {
			e.t.Fatal(err)
		}
	}
}

func dec(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// do sends a request. body may be a string (sent as is) or a value
// (encoded as JSON).
func (e *env) do(method, path, token string, body any) resp {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	out := resp{Status: w.Code, Header: w.Header(), Raw: w.Body.Bytes()}
	if ct := w.Header().Get("Content-Type"); strings.Contains(ct, "json") && len(out.Raw) > 0 {
		if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, out.Raw)
		}
	}
	return out
}

// must sends a request and fails unless the status is want.
func (e *env) must(want int, method, path, token string, body any) resp {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// signup creates a user and returns its access token.
func (e *env) signup(email string) string {
	e.t.Helper()
	r := e.must(http.StatusCreated, "POST", "/api/v1/auth/signup", "", map[string]any{
		"email": email, "password": "correct-horse", "nickname": strings.Split(email, "@")[0],
	})
	return str(r.Body, "data.access_token")
}

// admin creates an admin and returns its access token.
func (e *env) admin() string {
	e.t.Helper()
	in := service.SignupInput{Email: "admin@example.com", Password: "correct-horse", Nickname: "admin"}
	if _, err := e.svc.Users.Create(context.Background(), in, domain.RoleAdmin); err != nil {
		e.t.Fatal(err)
	}
	r := e.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]any{"email": in.Email, "password": in.Password})
	return str(r.Body, "data.access_token")
}

// get walks a dotted path (data.user.id, data.0.code) through decoded JSON.
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path string) string {
	s, _ := get(v, path).(string)
	return s
}

func num(v any, path string) float64 {
	f, _ := get(v, path).(float64)
	return f
}
