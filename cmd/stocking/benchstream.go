package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// bench-stream measures the event stream: it runs an API server in this
// process, and a client in a child process (each side then has its own
// file-descriptor limit) that opens N streams quoting one listing. Once
// they are open, the server process reports its memory per idle stream;
// then the client sends admin price ticks one at a time and records, for
// each, how long each stream took to receive the quote.

type benchStreamResult struct {
	Streams        int           `json:"streams"`
	Trades         int           `json:"trades"`
	OpenTime       time.Duration `json:"open_ns"`
	Delivered      int           `json:"delivered"`
	Missed         int           `json:"missed"`
	P50            time.Duration `json:"p50_ns"`
	P99            time.Duration `json:"p99_ns"`
	Max            time.Duration `json:"max_ns"`
	Within250ms    float64       `json:"within_250ms"`
	BytesPerStream int64         `json:"bytes_per_stream,omitempty"`
	Goroutines     int           `json:"goroutines_per_stream,omitempty"`
}

func runBenchStream(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench-stream", flag.ContinueOnError)
	streams := fs.Int("streams", 10000, "concurrent streams")
	trades := fs.Int("trades", 20, "price ticks to time")
	users := fs.Int("users", 100, "users the streams belong to")
	client := fs.Bool("client", false, "internal: run as the client process")
	base := fs.String("url", "", "internal: the server's base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *client {
		return benchStreamClient(ctx, *base, *streams, *trades, os.Stdin, out)
	}
	if *streams < 1 || *users < 1 || *trades < 1 {
		return errors.New("bench-stream: -streams, -users and -trades must be positive")
	}
	dir, err := os.MkdirTemp("", "stocking-bench-stream")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := map[string]string{
		"DATABASE_URI": "sqlite:///" + filepath.Join(dir, "bench.db"), "PORT": "0", "LISTEN_HOST": "127.0.0.1",
		"FEED_INTERVAL": "0s", "MARKET_HOURS": "always", "AUTH_RATE_LIMIT": "off", "AUTH_RATE_LIMIT_EMAIL": "off",
		"ACCESS_LOG": "off", "LOG_LEVEL": "error", "BCRYPT_COST": "4", "TEMPORAL_ADDRESS": "",
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] }, true)
	if err != nil {
		return err
	}
	m := NewMain(cfg, Options{Migrate: true, Seed: true, API: true})
	if err := m.Run(ctx); err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Service.Users.Create(ctx, service.SignupInput{Email: "bench-admin@example.com", Password: "admin-password", Nickname: "admin"}, domain.RoleAdmin); err != nil {
		return err
	}
	login := func(email, pw string) (string, error) {
		res, err := m.Service.Users.Login(ctx, email, pw)
		return res.Tokens.AccessToken, err
	}
	adminToken, err := login("bench-admin@example.com", "admin-password")
	if err != nil {
		return err
	}
	tokens := make([]string, *users)
	for i := range tokens {
		in := service.SignupInput{Email: fmt.Sprintf("streamer%d@example.com", i), Password: "correct-horse", Nickname: "s"}
		res, err := m.Service.Users.Signup(ctx, in)
		if err != nil {
			return err
		}
		tokens[i] = res.Tokens.AccessToken
	}
	fmt.Fprintf(out, "server at %s; starting a client process for %d streams of %d users ...\n", m.URL(), *streams, *users)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "bench-stream", "-client", "-url", m.URL(), "-streams", fmt.Sprint(*streams), "-trades", fmt.Sprint(*trades))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	// The client reads the tokens first.
	_ = json.NewEncoder(stdin).Encode(map[string]any{"admin": adminToken, "tokens": tokens})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goBefore := runtime.NumGoroutine()
	var res benchStreamResult
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "OPEN"):
			time.Sleep(time.Second)
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
			res.BytesPerStream = used / int64(*streams)
			res.Goroutines = (runtime.NumGoroutine() - goBefore) / *streams
			fmt.Fprintf(out, "%s; server memory per idle stream: %d bytes (heap+stacks), %d goroutines\n", line, res.BytesPerStream, res.Goroutines)
			fmt.Fprintln(stdin, "GO")
		case strings.HasPrefix(line, "{"):
			var r benchStreamResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return err
			}
			r.BytesPerStream, r.Goroutines = res.BytesPerStream, res.Goroutines
			res = r
		default:
			fmt.Fprintln(out, line)
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	fmt.Fprintf(out, "streams %d, trades %d: delivered %d, missed %d; latency p50 %v, p99 %v, max %v; %.2f%% within 250 ms\n",
		res.Streams, res.Trades, res.Delivered, res.Missed, res.P50.Round(time.Millisecond/10), res.P99.Round(time.Millisecond/10),
		res.Max.Round(time.Millisecond/10), 100*res.Within250ms)
	return nil
}

func benchStreamClient(ctx context.Context, base string, n, trades int, in io.Reader, out io.Writer) error {
	rd := bufio.NewReader(in)
	var creds struct {
		Admin  string   `json:"admin"`
		Tokens []string `json:"tokens"`
	}
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return err
	}
	if err := json.Unmarshal(line, &creds); err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	prices := []string{"70100", "70000"}
	var (
		current atomic.Int64 // index of the trade in flight, -1 before
		sentAt  atomic.Int64 // its UnixNano
		mu      sync.Mutex
		lat     = make([][]time.Duration, trades)
		got     = make([]atomic.Int64, trades)
		opened  sync.WaitGroup
	)
	current.Store(-1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	sem := make(chan struct{}, 200)
	var openErr atomic.Value
	for i := range n {
		opened.Add(1)
		sem <- struct{}{}
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stream?codes=005930", nil)
			req.Header.Set("Authorization", "Bearer "+creds.Tokens[i%len(creds.Tokens)])
			resp, err := hc.Do(req)
			<-sem
			if err != nil || resp.StatusCode != 200 {
				if err == nil {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				openErr.Store(err)
				opened.Done()
				return
			}
			opened.Done()
			defer resp.Body.Close()
			br := bufio.NewReaderSize(resp.Body, 4096)
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if !bytes.HasPrefix(l, []byte("data: ")) {
					continue
				}
				k := current.Load()
				if k < 0 || !bytes.Contains(l, []byte(`"price":"`+prices[k%2]+`"`)) {
					continue
				}
				d := time.Duration(time.Now().UnixNano() - sentAt.Load())
				mu.Lock()
				lat[k] = append(lat[k], d)
				mu.Unlock()
				got[k].Add(1)
			}
		}()
	}
	opened.Wait()
	if err, _ := openErr.Load().(error); err != nil {
		return fmt.Errorf("opening streams: %w", err)
	}
	openTime := time.Since(start)
	fmt.Fprintf(out, "OPEN %d streams in %v\n", n, openTime.Round(time.Millisecond))
	if _, err := rd.ReadString('\n'); err != nil {
		return err
	}
	for k := range trades {
		sentAt.Store(time.Now().UnixNano())
		current.Store(int64(k))
		body := strings.NewReader(`{"price":"` + prices[k%2] + `"}`)
		req, _ := http.NewRequestWithContext(ctx, "PUT", base+"/api/v1/admin/stocks/005930/price", body)
		req.Header.Set("Authorization", "Bearer "+creds.Admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("tick: status %d", resp.StatusCode)
		}
		deadline := time.Now().Add(5 * time.Second)
		for got[k].Load() < int64(n) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
	}
	current.Store(-1)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res := benchStreamResult{Streams: n, Trades: trades, OpenTime: openTime, Delivered: len(all), Missed: n*trades - len(all)}
	if len(all) > 0 {
		res.P50 = all[len(all)/2]
		res.P99 = all[len(all)*99/100]
		res.Max = all[len(all)-1]
		within := 0
		for _, d := range all {
			if d <= 250*time.Millisecond {
				within++
			}
		}
		res.Within250ms = float64(within) / float64(n*trades)
	}
	return json.NewEncoder(out).Encode(res)
}
