package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// benchResult is what `stocking bench` measured.
type benchResult struct {
	Clients    int           `json:"clients"`
	Users      int           `json:"users"`
	Duration   time.Duration `json:"duration_ns"`
	Filled     int           `json:"filled"`
	Failed     int           `json:"failed"`
	PerSecond  float64       `json:"filled_per_second"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	FailReason string        `json:"first_failure,omitempty"`
}

// runBench drives market orders over HTTP against a running server: it
// signs up users, funds them, then C clients alternate market buys and
// sells of one share for T seconds, each client trading for its own users
// so that the load is many traders rather than one hot account.
func runBench(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	base := fs.String("url", "http://localhost:"+env(getenv).get("PORT", "5100"), "server base URL (default: this machine on PORT)")
	users := fs.Int("users", 64, "traders to sign up")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	dur := fs.Duration("duration", 20*time.Second, "how long to drive orders")
	warmup := fs.Duration("warmup", 2*time.Second, "orders sent before measuring starts")
	codes := fs.String("stocks", "005930,000660,035420,035720,005380", "listings to trade")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	adminToken := fs.String("admin-token", getenv("STOCKING_BENCH_ADMIN_TOKEN"),
		"an admin's access token: funds each trader through the uncapped admin deposit; without it traders get what the daily free-deposit limit allows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users < 1 || *clients < 1 {
		return errors.New("bench: -users and -clients must be positive")
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, IdleConnTimeout: time.Minute,
	}}
	b := &bencher{hc: hc, base: strings.TrimRight(*base, "/")}
	stocks := strings.Split(*codes, ",")

	fmt.Fprintf(out, "signing up and funding %d traders at %s ...\n", *users, b.base)
	tokens := make([]string, *users)
	run := fmt.Sprintf("%x", rand.Uint32())
	var wg sync.WaitGroup
	errs := make(chan error, *users)
	sem := make(chan struct{}, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var auth struct {
				Data struct {
					AccessToken string `json:"access_token"`
					User        struct {
						ID string `json:"id"`
					} `json:"user"`
				} `json:"data"`
			}
			body := map[string]any{"email": fmt.Sprintf("bench-%s-%d@bench.stocking.dev", run, i), "password": "bench-password", "nickname": fmt.Sprintf("bench%d", i)}
			if _, err := b.call(ctx, "POST", "/api/v1/auth/signup", "", body, &auth, 201); err != nil {
				errs <- err
				return
			}
			tokens[i] = auth.Data.AccessToken
			if err := b.fund(ctx, tokens[i], auth.Data.User.ID, *adminToken); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("bench setup: %w", err)
	}

	fmt.Fprintf(out, "driving market orders with %d clients for %s (after %s warm-up) ...\n", *clients, *dur, *warmup)
	start := time.Now()
	measureFrom := start.Add(*warmup)
	deadline := measureFrom.Add(*dur)
	type clientStats struct {
		lat    []time.Duration
		failed int
		first  string
	}
	stats := make([]clientStats, *clients)
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			st := &stats[c]
			mine := max(1, *users / *clients)
			order := func(u int, code, side string) {
				var resp struct {
					Data struct {
						Status string `json:"status"`
					} `json:"data"`
				}
				t0 := time.Now()
				_, err := b.call(ctx, "POST", "/api/v1/orders", tokens[u], map[string]any{"stock_code": code, "side": side, "type": "MARKET", "quantity": 1}, &resp, 201)
				lat := time.Since(t0)
				if t0.Before(measureFrom) {
					return
				}
				if err != nil || resp.Data.Status != "FILLED" {
					st.failed++
					if st.first == "" {
						st.first = fmt.Sprint(err, resp.Data.Status)
					}
					return
				}
				st.lat = append(st.lat, lat)
			}
			// Each client trades for its own slice of users: a buy of one
			// share, then its sale, so holdings stay small.
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				u := (c + (n%mine)**clients) % *users
				code := stocks[r.IntN(len(stocks))]
				order(u, code, "BUY")
				order(u, code, "SELL")
			}
		}()
	}
	wg.Wait()
	res := benchResult{Clients: *clients, Users: *users, Duration: *dur}
	var all []time.Duration
	for _, s := range stats {
		all = append(all, s.lat...)
		res.Failed += s.failed
		if res.FailReason == "" {
			res.FailReason = s.first
		}
	}
	slices.Sort(all)
	res.Filled = len(all)
	res.PerSecond = float64(res.Filled) / dur.Seconds()
	if n := len(all); n > 0 {
		pct := func(p float64) time.Duration { return all[min(n-1, int(float64(n)*p))] }
		res.P50, res.P95, res.P99, res.Max = pct(0.50), pct(0.95), pct(0.99), all[n-1]
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(res)
	}
	fmt.Fprintf(out, "filled %d market orders in %s: %.0f orders/s; latency p50 %s, p95 %s, p99 %s, max %s; %d failed\n",
		res.Filled, *dur, res.PerSecond, res.P50.Round(10*time.Microsecond), res.P95.Round(10*time.Microsecond),
		res.P99.Round(10*time.Microsecond), res.Max.Round(10*time.Microsecond), res.Failed)
	if res.FailReason != "" {
		fmt.Fprintln(out, "first failure:", res.FailReason)
	}
	return nil
}

type bencher struct {
	hc   *http.Client
	base string
}

// call sends one JSON request and decodes the response into v when the
// status is the wanted one.
func (b *bencher) call(ctx context.Context, method, path, token string, body, v any, want int) (int, error) {
	return b.callAny(ctx, method, path, token, body, v, []int{want})
}

// callAny is call with several wanted statuses.
func (b *bencher) callAny(ctx context.Context, method, path, token string, body, v any, want []int) (int, error) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if !slices.Contains(want, resp.StatusCode) {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if v != nil {
		return resp.StatusCode, json.Unmarshal(data, v)
	}
	return resp.StatusCode, nil
}

// fund gives a bench trader cash to trade with. With an admin token it
// grants a trillion won through the admin deposit, which the daily limit
// on free deposits does not bound; without one it deposits what today's
// limit still allows (a 422 just means nothing is left).
func (b *bencher) fund(ctx context.Context, token, accountID, adminToken string) error {
	if adminToken != "" {
		_, err := b.call(ctx, "POST", "/api/v1/admin/accounts/"+accountID+"/deposit", adminToken, map[string]any{"amount": "1000000000000"}, nil, 200)
		return err
	}
	code, err := b.call(ctx, "POST", "/api/v1/balance/deposit", token, map[string]any{"amount": "10000000"}, nil, 200)
	if code == http.StatusUnprocessableEntity {
		return nil
	}
	return err
}
