// Command stocking runs StocKing, the virtual KRX trading backend: the API,
// the workflow worker, the market feed, and the tools around them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `stocking — a virtual stock trading backend for KRX listings

Usage: stocking <command> [flags]

Commands:
  dev                   everything in one process on the embedded default:
                        SQLite file, migrations, seed data, API on :5100,
                        simulated market feed (MARKET_HOURS=always)
  serve                 the API (and the outbox relay when TEMPORAL_ADDRESS is set)
  worker                the Temporal worker and outbox relay (TEMPORAL_ADDRESS)
  feed [--replay FILE]  the market feed: simulated, or a CSV replay
  temporal [--db FILE]  the embedded Temporal server and UI alone, for
                        several processes on one machine (TEMPORAL_ADDRESS)
  db migrate|seed|status
  db import-listings|import-bars|import-dividends FILE.csv
                        import a CSV file, all rows or none (see README)
  audit                 check every ledger and reservation invariant;
                        exits 1 when any is violated
  openapi               print the OpenAPI document
  user create EMAIL --password P [--nickname N] [--admin]
  user promote EMAIL    make a user an admin
  bench [flags]         load-test a running server with market orders
  drill load|check      the load and the verdict of scripts/drill-multiprocess.sh
  bench-stream [flags]  measure the event stream: memory per idle stream and
                        how fast a trade reaches 10,000 streams
  bench-workflows       measure the order lifecycle on an in-process
                        Temporal server: fills, workflow closes, idle ticks
  bench-feed [flags]    measure trades from the fake KIS to recorded prices
                        and matching, and the end-of-day snapshot
  bench-rankings        measure snapshots, the leaderboard refresh of
                        100,000 accounts and the leaderboard and equity reads
  healthcheck [URL]     exit 0 when the API answers /healthz (for container probes)
  fake-kis --listen ADDR
                        a stand-in for the KIS Open API (REST and WebSocket)
                        that publishes the trades POSTed to /__trades
  version

Every command reads its configuration from the environment (see README).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that stops early (stocking openapi | head) closes the pipe:
	// the write then fails with EPIPE, which ends the command quietly,
	// instead of the signal killing the process.
	signal.Ignore(syscall.SIGPIPE)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(int(ex))
		}
		if errors.Is(err, syscall.EPIPE) {
			return
		}
		fmt.Fprintln(os.Stderr, "stocking:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a code and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "dev":
		return runServer(ctx, getenv, true, Options{Migrate: true, Seed: true, Feed: true, API: true, EmbedTemporal: true, Worker: true, Relay: true, FakePortOne: true}, out)
	case "serve":
		return runServer(ctx, getenv, false, Options{API: true, Relay: true}, out)
	case "worker":
		return runWorker(ctx, getenv)
	case "feed":
		return runFeed(ctx, getenv, args)
	case "temporal":
		return runTemporal(ctx, getenv, args, out)
	case "db":
		return runDB(ctx, getenv, args, out)
	case "audit":
		return runAudit(ctx, getenv, out)
	case "openapi":
		return runOpenAPI(getenv, out)
	case "user":
		return runUser(ctx, getenv, args, out)
	case "bench":
		return runBench(ctx, args, out, getenv)
	case "drill":
		return runDrill(ctx, args, out, getenv)
	case "tcpproxy":
		return runTCPProxy(ctx, args, out)
	case "bench-stream":
		return runBenchStream(ctx, args, out, getenv)
	case "bench-workflows":
		return runBenchWorkflows(ctx, args, getenv, out)
	case "bench-feed":
		return runBenchFeed(ctx, args, getenv, out)
	case "bench-rankings":
		return runBenchRankings(ctx, args, getenv, out)
	case "version":
		fmt.Fprintln(out, "stocking", version)
		return nil
	case "healthcheck":
		return runHealthcheck(ctx, getenv, args, out)
	case "fake-kis":
		return runFakeKIS(ctx, args, out)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func runServer(ctx context.Context, getenv func(string) string, dev bool, opts Options, out io.Writer) error {
	cfg, err := LoadConfig(getenv, dev)
	if err != nil {
		return err
	}
	if opts.EmbedTemporal && cfg.TemporalAddress == "" {
		// Fail before touching the database.
		if !embeddedTemporalAvailable {
			_, _, _, err := startEmbeddedTemporal(ctx, "", "", "", "", nil)
			return err
		}
		for _, p := range []struct{ env, addr string }{{"TEMPORAL_EMBED_ADDRESS", cfg.TemporalEmbedAddr}, {"TEMPORAL_UI_ADDRESS", cfg.TemporalUIAddr}} {
			ln, err := net.Listen("tcp", p.addr)
			if err != nil {
				return fmt.Errorf("the embedded Temporal server cannot listen on %s (%s): %w; another `stocking dev` or Temporal may be running there: stop it, or set %s to a free address (or TEMPORAL_ADDRESS to use a running server)", p.addr, p.env, err, p.env)
			}
			ln.Close()
		}
	}
	m := NewMain(cfg, opts)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	m.Logger.Info("StocKing is up", "api", m.URL()+"/api/v1", "docs", m.URL()+"/docs",
		"database", redact(cfg.DatabaseURI), "market_hours", cfg.MarketHours, "temporal", m.TemporalAddress)
	if dev {
		fmt.Fprintf(out, "\n  StocKing API   %s/api/v1\n  Swagger UI     %s/docs\n", m.URL(), m.URL())
		if m.TemporalUI != "" {
			fmt.Fprintf(out, "  Temporal UI    %s   (frontend %s)\n", m.TemporalUI, m.TemporalAddress)
		}
		if u := m.PortOneCheckoutURL(); u != "" {
			fmt.Fprintf(out, "  PortOne (fake) %s?paymentId=...&amount=...&orderName=...\n", u)
		}
		fmt.Fprintln(out)
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return nil
}

func runWorker(ctx context.Context, getenv func(string) string) error {
	cfg, err := LoadConfig(getenv, false)
	if err != nil {
		return err
	}
	if cfg.TemporalAddress == "" || cfg.TemporalAddress == "off" {
		return errors.New("worker: set TEMPORAL_ADDRESS to the Temporal frontend (host:7233)")
	}
	m := NewMain(cfg, Options{Worker: true, Relay: true})
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	m.Logger.Info("worker running", "temporal", m.TemporalAddress, "namespace", cfg.TemporalNamespace, "task_queue", cfg.TemporalTaskQueue)
	<-ctx.Done()
	m.Logger.Info("worker stopping; waiting for running activities")
	return nil
}

// openOnly opens the store and service for a one-shot command.
func openOnly(ctx context.Context, getenv func(string) string, opts Options) (*Main, error) {
	cfg, err := LoadConfig(getenv, false)
	if err != nil {
		return nil, err
	}
	m := NewMain(cfg, opts)
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func runFeed(ctx context.Context, getenv func(string) string, args []string) error {
	fs := flag.NewFlagSet("feed", flag.ContinueOnError)
	replay := fs.String("replay", "", "CSV file (time,stock_code,price[,volume,bid,ask]) to replay instead of MARKET_DATA")
	speed := fs.Float64("speed", 1, "replay speed factor (0 = as fast as possible)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	tuneFeedGC(getenv)
	m, err := openOnly(ctx, getenv, Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	f, err := m.marketFeed(*replay, *speed)
	if err != nil {
		return err
	}
	// Any number of feed processes may run on one database: the holder
	// of the lease drives the listings, the others stand by.
	return m.Service.Market.RunLeased(ctx, feedLease, feedOwner(), m.Config.FeedLeaseTTL, func(ctx context.Context) error {
		return f.Run(ctx, m.Service.Market)
	})
}

func runDB(ctx context.Context, getenv func(string) string, args []string, out io.Writer) error {
	if len(args) == 2 && strings.HasPrefix(args[0], "import-") {
		switch args[0] {
		case "import-listings", "import-bars", "import-dividends":
			m, err := openOnly(ctx, getenv, Options{})
			if err != nil {
				return err
			}
			defer m.Close()
			return runImport(ctx, m, args[0], args[1], out)
		}
	}
	if len(args) != 1 {
		return errors.New("usage: stocking db migrate|seed|status|import-listings FILE.csv|import-bars FILE.csv|import-dividends FILE.csv")
	}
	switch args[0] {
	case "migrate":
		m, err := openOnly(ctx, getenv, Options{Migrate: true})
		if err != nil {
			return err
		}
		defer m.Close()
		fmt.Fprintln(out, "migrations applied")
		return nil
	case "seed":
		m, err := openOnly(ctx, getenv, Options{})
		if err != nil {
			return err
		}
		defer m.Close()
		n, err := seed(ctx, m.Service)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "added %d listings\n", n)
		return nil
	case "status":
		m, err := openOnly(ctx, getenv, Options{AnySchema: true})
		if err != nil {
			return err
		}
		defer m.Close()
		info, err := m.Store.Info(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "engine:  %s\nversion: %s\nmigrations:\n", info.Engine, info.Version)
		pending := 0
		for _, mg := range info.Migrations {
			state := "pending"
			if mg.Applied {
				state = "applied " + mg.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(out, "  %05d %-40s %s\n", mg.Version, mg.Name, state)
		}
		if pending > 0 {
			fmt.Fprintf(out, "%d pending: run `stocking db migrate`\n", pending)
		}
		return nil
	}
	return fmt.Errorf("unknown db command %q: use migrate, seed or status", args[0])
}

func runAudit(ctx context.Context, getenv func(string) string, out io.Writer) error {
	m, err := openOnly(ctx, getenv, Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	rep, err := m.Service.Audit.Run(ctx)
	if err != nil {
		return err
	}
	for _, v := range rep.Violations {
		fmt.Fprintln(out, "VIOLATION", v)
	}
	n := len(rep.Violations)
	fmt.Fprintf(out, "audited %d accounts: %d violations\n", rep.Accounts, n)
	if m.Reconciler != nil {
		// Every open order and payment must have a running workflow, and
		// no final order one.
		wf, err := m.Reconciler.Check(ctx, false)
		if err != nil {
			return fmt.Errorf("checking workflows: %w", err)
		}
		for _, s := range wf.Strays {
			fmt.Fprintln(out, "VIOLATION workflow:", s)
		}
		n += len(wf.Strays)
		fmt.Fprintf(out, "checked the workflows of %d open orders, payments and contests and the orders of %d running workflows: %d disagree\n", wf.Checked, wf.Running, len(wf.Strays))
	}
	if n > 0 {
		return exitError(1)
	}
	return nil
}

func runOpenAPI(getenv func(string) string, out io.Writer) error {
	doc, err := httpapi.OpenAPI(httpapi.Options{Version: version})
	if err != nil {
		return err
	}
	_, err = out.Write(append(doc, '\n'))
	return err
}

const userUsage = "usage: stocking user create EMAIL --password P [--nickname N] [--admin] | stocking user promote EMAIL"

func runUser(ctx context.Context, getenv func(string) string, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(out, userUsage)
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	var pw, nick string
	var admin bool
	if sub == "create" {
		fs.StringVar(&pw, "password", "", "password (8 to 72 bytes)")
		fs.StringVar(&nick, "nickname", "", "nickname (defaults to the e-mail's local part)")
		fs.BoolVar(&admin, "admin", false, "make the user an admin")
	}
	// Flags may come before or after the e-mail.
	var pos []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("%w\n%s", err, userUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return fmt.Errorf("user %s takes one e-mail address, got %d arguments\n%s", sub, len(pos), userUsage)
	}
	email := pos[0]
	switch sub {
	case "create", "promote":
	default:
		return fmt.Errorf("unknown user command %q: use create or promote", sub)
	}
	m, err := openOnly(ctx, getenv, Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	if sub == "promote" {
		u, err := m.Service.Users.Promote(ctx, email)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is now an admin\n", u.Email)
		return nil
	}
	if nick == "" {
		nick, _, _ = strings.Cut(email, "@")
	}
	role := domain.RoleUser
	if admin {
		role = domain.RoleAdmin
	}
	u, err := m.Service.Users.Create(ctx, service.SignupInput{Email: email, Password: pw, Nickname: nick}, role)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s (%s) with id %s\n", u.Email, u.Role, u.ID)
	return nil
}

// runHealthcheck probes a running API's /healthz, for container health
// checks in images that have no curl.
func runHealthcheck(ctx context.Context, getenv func(string) string, args []string, out io.Writer) error {
	url := "http://127.0.0.1:" + env(getenv).get("PORT", "5100") + "/healthz"
	if len(args) > 0 {
		if strings.HasPrefix(args[0], "-") {
			fmt.Fprintln(out, "usage: stocking healthcheck [URL]   (default http://127.0.0.1:$PORT/healthz); exits 0 when it answers 200")
			return nil
		}
		url = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// runFakeKIS serves the KIS stand-in until interrupted, for local runs
// with MARKET_DATA=kis and for the drills.
func runFakeKIS(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fake-kis", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "127.0.0.1:9443", "address to serve REST and WebSocket on")
	key := fs.String("app-key", "", "the only app key accepted (default: any)")
	secret := fs.String("app-secret", "", "the only app secret accepted (default: any)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	srv := kisfake.New(kisfake.Options{AppKey: *key, AppSecret: *secret, Logger: newLogger("info", "text")})
	defer srv.Close()
	return srv.ListenAndServe(ctx, *listen, func(a net.Addr) {
		fmt.Fprintf(out, "fake KIS on %s\n  KIS_API_BASE=http://%s KIS_WS_URL=ws://%s/tryitout\n  publish: curl -X POST http://%s/__trades -d '[{\"code\":\"005930\",\"price\":\"70000\",\"volume\":10,\"bid\":\"69900\",\"ask\":\"70000\"}]'\n", a, a, a, a)
	})
}
