package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/stocking-kr/stocking/adapters/auth"
	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	mysqlstore "github.com/stocking-kr/stocking/adapters/sqlstore/mysql"
	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite"
	"github.com/stocking-kr/stocking/adapters/system"
	temporaladapter "github.com/stocking-kr/stocking/adapters/temporal"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// migratingStore is a store that can bring its schema up to date.
type migratingStore interface {
	ports.Store
	Migrate(ctx context.Context) error
}

// openStore opens the database DATABASE_URI names.
// timeout bounds each statement or transaction attempt, connecting and
// waiting for a pooled connection; zero keeps the store's default. lanes
// is DB_GROUP_COMMIT's number of lanes on PostgreSQL (0: off, -1: the
// default).
func openStore(ctx context.Context, uri string, timeout time.Duration, lanes int, log *slog.Logger) (migratingStore, error) {
	t, err := parseDatabaseURI(uri)
	if err != nil {
		return nil, err
	}
	switch t.Engine {
	case engineSQLite:
		return sqlite.Open(ctx, sqlite.Config{Path: t.Path, Logger: log, StatementTimeout: timeout})
	case enginePostgres:
		return postgres.Open(ctx, postgres.Config{URL: t.URL.String(), Logger: log, StatementTimeout: timeout,
			Ungrouped: lanes == 0, Lanes: max(lanes, 0)})
	case engineMySQL:
		dsn, err := mysqlstore.DSNFromURL(t.URL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URI: %w", err)
		}
		return mysqlstore.Open(ctx, mysqlstore.Config{DSN: dsn, Logger: log, StatementTimeout: timeout})
	}
	return nil, fmt.Errorf("DATABASE_URI: the %s engine is not available in this build", t.Engine)
}

// Options choose what a Main runs besides the API.
type Options struct {
	// Migrate brings the schema up to date at start.
	Migrate bool
	// Seed adds the KRX listings when the database has none.
	Seed bool
	// Feed runs the simulated market feed in-process.
	Feed bool
	// API serves HTTP.
	API bool
	// EmbedTemporal runs a Temporal server and UI in-process when
	// TEMPORAL_ADDRESS is unset (`stocking dev`).
	EmbedTemporal bool
	// Worker runs the Temporal worker in-process.
	Worker bool
	// Relay delivers the outbox to Temporal from this process.
	Relay bool
	// FakePortOne runs a stand-in for PortOne on the API's server when
	// PORTONE_V2_API_SECRET is unset (`stocking dev`).
	FakePortOne bool
	// AnySchema opens a database whatever its migration state (`db
	// status`). Every other command without Migrate refuses a database
	// with pending migrations, and a SQLite file that does not exist yet,
	// instead of failing later on a missing table.
	AnySchema bool
}

// Main is one StocKing process: the store, the service and whatever the
// command runs (API, feed, sweeper). Tests start it on port 0.
type Main struct {
	Config   Config
	Options  Options
	Logger   *slog.Logger
	Registry *prometheus.Registry

	Store   migratingStore
	Service *service.Service

	// Temporal is set when workflows own the order and payment
	// lifecycles; nil when TEMPORAL_ADDRESS is off.
	Temporal        client.Client
	TemporalAddress string
	TemporalUI      string
	Relay           *service.Relay
	// Reconciler restarts the workflows of open rows whose run ended; the
	// worker runs it on a timer, the audit reports what it finds.
	Reconciler    *temporaladapter.Reconciler
	worker        worker.Worker
	stopEmbedded  func() error
	metricsCloser io.Closer

	// PortOneFake is the in-process stand-in for PortOne, when this
	// process runs one.
	PortOneFake *portonefake.Server

	ln     net.Listener
	server *http.Server
	// metricsLn and metricsServer serve /metrics apart from the API
	// (METRICS_ADDRESS), from the same registry.
	metricsLn     net.Listener
	metricsServer *http.Server
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	closed        bool
}

// NewMain returns a Main for the configuration.
func NewMain(cfg Config, opts Options) *Main {
	return &Main{Config: cfg, Options: opts, Logger: newLogger(cfg.LogLevel, cfg.LogFormat)}
}

func newLogger(level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	// During an outage every request and background pass meets the same
	// failure: the throttled handler writes each warning once per
	// interval with a count instead of once per occurrence.
	var h slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})
	if format == "json" {
		h = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})
	}
	return slog.New(system.NewThrottledHandler(h, 10*time.Second))
}

// Open connects the store and builds the service, without serving.
func (m *Main) Open(ctx context.Context) error {
	if !m.Options.Migrate && !m.Options.AnySchema {
		if t, err := parseDatabaseURI(m.Config.DatabaseURI); err == nil && t.Engine == engineSQLite && t.Path != ":memory:" {
			if _, err := os.Stat(t.Path); errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("there is no database at %s yet: run `stocking db migrate` (or `stocking dev`) to create it", t.Path)
			}
		}
	}
	st, err := openStore(ctx, m.Config.DatabaseURI, m.Config.DBTimeout, m.Config.GroupLanes, m.Logger)
	if err != nil {
		return err
	}
	m.Store = st
	if m.Options.Migrate {
		if err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	} else if !m.Options.AnySchema {
		if err := checkMigrated(ctx, st); err != nil {
			return err
		}
	}
	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := m.openTemporal(ctx); err != nil {
		return err
	}
	var engine *temporaladapter.Engine
	if m.Temporal != nil {
		engine = &temporaladapter.Engine{Client: m.Temporal}
	}
	cal, err := m.Config.Calendar()
	if err != nil {
		return err
	}
	clock := system.Clock{}
	tokens, err := auth.NewJWT(m.Config.JWTSecret, m.Config.AccessTTL, m.Config.RefreshTTL, clock.Now)
	if err != nil {
		return err
	}
	deps := service.Deps{
		Store: st, Clock: clock, IDs: system.IDs{}, Tokens: tokens,
		Hasher: auth.Bcrypt{Cost: m.Config.BcryptCost}, Logger: m.Logger,
	}
	if engine != nil {
		deps.Workflows = engine
	}
	if deps.Gateway, err = m.openPayments(); err != nil {
		return err
	}
	m.Service, err = service.New(deps, service.Config{
		InitialCash: m.Config.InitialCash, Fees: m.Config.Fees, Calendar: cal,
		OrderWorkflows: m.Temporal != nil, Payments: m.Config.PaymentConfig(),
		FreeDepositDailyLimit: m.Config.FreeDepositDailyLimit, RiskFreeRate: m.Config.RiskFreeRate,
		FillParticipation: m.Config.FillParticipation, MarketDepth: m.Config.MarketDepth,
	})
	if err != nil {
		return err
	}
	if m.Temporal != nil {
		m.Reconciler = &temporaladapter.Reconciler{
			Service: m.Service, Client: m.Temporal, TaskQueue: m.Config.TemporalTaskQueue,
			Logger: m.Logger, MinAge: m.Config.ReconcileMinAge,
		}
	}
	if m.Temporal != nil && m.Options.Relay {
		m.Relay = temporaladapter.NewRelay(st, m.Temporal, m.Config.TemporalTaskQueue, processName(), m.Logger)
		m.Service.SetOutboxKick(m.Relay.Kick)
		registerRelayMetrics(m.Registry, m.Relay)
	}
	if m.Options.Seed {
		n, err := seed(ctx, m.Service)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if n > 0 {
			m.Logger.Info("seeded KRX listings", "count", n)
		}
	}
	return nil
}

// checkMigrated refuses a database whose schema is behind this binary.
func checkMigrated(ctx context.Context, st migratingStore) error {
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, mg := range info.Migrations {
		if !mg.Applied {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("the database schema is not up to date (%d of %d migrations pending): run `stocking db migrate` first", pending, len(info.Migrations))
	}
	return nil
}

// Run opens everything and starts serving in the background. It returns
// once the listener is bound, so URL is valid afterwards.
func (m *Main) Run(ctx context.Context) error {
	if m.Options.API {
		// Bound first, so that what Open wires (the development PortOne
		// lives on this server) knows the address, port 0 included.
		ln, err := net.Listen("tcp", m.Config.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
		}
		m.ln = ln
	}
	if m.Config.MetricsAddress != "" {
		ln, err := net.Listen("tcp", m.Config.MetricsAddress)
		if err != nil {
			return fmt.Errorf("listen on METRICS_ADDRESS %s: %w", m.Config.MetricsAddress, err)
		}
		m.metricsLn = ln
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel

	if m.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", httpapi.MetricsHandler(m.Registry))
		// Go's profiles, for an operator chasing CPU or memory, on the
		// operators' address only (never the API's).
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		m.metricsServer = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		m.goRun("metrics", func(context.Context) error {
			if err := m.metricsServer.Serve(m.metricsLn); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, bg)
	}

	if m.Options.API {
		checks := map[string]func(context.Context) error{"database": m.Store.Ping}
		if m.Temporal != nil {
			checks["temporal"] = (&temporaladapter.Engine{Client: m.Temporal}).Ready
		}
		shutdown := make(chan struct{})
		var access *slog.Logger
		if m.Config.AccessLog {
			access = m.Logger
		}
		h := httpapi.NewHandler(httpapi.Options{
			Service: m.Service, Logger: m.Logger, Registry: m.Registry, Version: version, Checks: checks,
			AccessLog: access, ClientIPHeader: m.Config.ClientIPHeader, AuthLimits: &m.Config.AuthLimits,
			MetricsElsewhere:   m.Config.MetricsAddress != "",
			Shutdown:           shutdown,
			Mount:              m.mountPayments,
			CORSAllowedOrigins: m.Config.CORSAllowedOrigins,
			// The web app opens the fake PortOne's page by path, so that it
			// works under whatever host name the browser used.
			CheckoutURL: strings.TrimPrefix(m.PortOneCheckoutURL(), m.URL()),
		})
		// Every wait is bounded: a client that sends slowly, reads slowly
		// or idles on a kept-alive connection is cut off. The write
		// timeout is well above the longest request (a database deadline
		// plus a workflow update's), so it only ends stuck connections.
		m.server = &http.Server{
			Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		}
		m.server.RegisterOnShutdown(func() { close(shutdown) })
		m.goRun("http", func(context.Context) error {
			if err := m.server.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, bg)
	}
	if m.Options.Feed && (m.Config.FeedInterval > 0 || m.Config.MarketData != "simulated") {
		f, err := m.marketFeed("", 1)
		if err != nil {
			return err
		}
		// Of all the feed processes on one database, the lease holder
		// drives the listings; the others stand by to take over.
		owner := feedOwner()
		m.goRun("feed", func(ctx context.Context) error {
			return m.Service.Market.RunLeased(ctx, feedLease, owner, m.Config.FeedLeaseTTL, func(ctx context.Context) error {
				return f.Run(ctx, m.Service.Market)
			})
		}, bg)
	}
	if m.Temporal == nil && (m.Options.API || m.Options.Feed) {
		// Without workflows nothing else expires DAY orders.
		m.goRun("expiry", m.sweepExpired, bg)
	}
	if m.Relay != nil {
		m.goRun("outbox relay", m.Relay.Run, bg)
	}
	if m.Temporal != nil && m.Options.Worker {
		m.worker = temporaladapter.NewWorker(m.Temporal, m.Config.TemporalTaskQueue, m.Service, worker.Options{})
		if err := m.worker.Start(); err != nil {
			return fmt.Errorf("temporal worker: %w", err)
		}
		if m.Config.LeaderboardRefresh > 0 {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := temporaladapter.EnsureLeaderboardSchedule(sctx, m.Temporal, m.Config.TemporalTaskQueue, m.Config.LeaderboardRefresh)
			cancel()
			if err != nil {
				return fmt.Errorf("leaderboard schedule: %w", err)
			}
		}
		if err := temporaladapter.EnsureMarketDaySchedule(ctx, m.Temporal, m.Config.TemporalTaskQueue, m.Config.MarketHours == "always"); err != nil {
			return fmt.Errorf("temporal schedule market-day: %w", err)
		}
		if m.Config.ReconcileInterval > 0 {
			m.goRun("reconciler", func(ctx context.Context) error { return m.Reconciler.Run(ctx, m.Config.ReconcileInterval) }, bg)
		}
	}
	return nil
}

// openTemporal connects to TEMPORAL_ADDRESS, or starts the embedded server
// when this command embeds one and no address is set. TEMPORAL_ADDRESS=off
// runs without workflows.
func (m *Main) openTemporal(ctx context.Context) error {
	addr := m.Config.TemporalAddress
	if addr == "off" || (addr == "" && !m.Options.EmbedTemporal) {
		return nil
	}
	if addr == "" {
		dbPath := "stocking-temporal.db"
		if t, err := parseDatabaseURI(m.Config.DatabaseURI); err == nil && t.Engine == engineSQLite {
			dbPath = ""
			if t.Path != ":memory:" {
				dbPath = strings.TrimSuffix(t.Path, ".db") + "-temporal.db"
			}
		}
		front, ui, stop, err := startEmbeddedTemporal(ctx, m.Config.TemporalEmbedAddr, m.Config.TemporalUIAddr, m.Config.TemporalNamespace, dbPath, m.Logger)
		if err != nil {
			return fmt.Errorf("embedded Temporal: %w", err)
		}
		m.stopEmbedded, m.TemporalUI, addr = stop, ui, front
	}
	metrics, closer := temporaladapter.NewMetrics(m.Registry)
	m.metricsCloser = closer
	c, err := temporaladapter.Dial(temporaladapter.Options{HostPort: addr, Namespace: m.Config.TemporalNamespace, Logger: m.Logger, Metrics: metrics})
	if err != nil {
		return err
	}
	m.Temporal, m.TemporalAddress = c, addr
	return nil
}

// goRun runs a background part until the process stops; a failure is
// logged, since the parts are independent.
func (m *Main) goRun(name string, fn func(context.Context) error, ctx context.Context) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error("background task failed", "task", name, "err", err)
		}
	}()
}

// sweepExpired expires DAY orders whose close has passed. Without a
// workflow engine nothing else would.
func (m *Main) sweepExpired(ctx context.Context) error {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if n, err := m.Service.Orders.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Warn("expiring DAY orders", "err", err)
		} else if n > 0 {
			m.Logger.Info("expired DAY orders", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// URL is the API's base URL, for tests and log lines.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	addr := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("http://%s:%d", host, addr.Port)
}

// MetricsURL is the base URL of the metrics listener, "" when /metrics is
// served on the API's port.
func (m *Main) MetricsURL() string {
	if m.metricsLn == nil {
		return ""
	}
	return "http://" + m.metricsLn.Addr().String()
}

// Close stops serving, waits for background work and closes the store.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	if m.PortOneFake != nil {
		// First, so that no webhook retry is sent to a closing server.
		errs = append(errs, m.PortOneFake.Close())
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	} else if m.ln != nil {
		m.ln.Close() // bound, but Run failed before serving
	}
	if m.metricsServer != nil {
		errs = append(errs, m.metricsServer.Close())
	} else if m.metricsLn != nil {
		m.metricsLn.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.worker != nil {
		m.worker.Stop()
	}
	if m.Temporal != nil {
		m.Temporal.Close()
	}
	if m.metricsCloser != nil {
		errs = append(errs, m.metricsCloser.Close())
	}
	if m.stopEmbedded != nil {
		errs = append(errs, m.stopEmbedded())
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// processName names this process in the outbox messages it claims: host
// and process id.
func processName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// registerRelayMetrics exports the relay's counters. Summed over every
// process, deliveries divided by removed messages is how often a message
// was delivered (1 when no relay died or overran its lease).
func registerRelayMetrics(reg *prometheus.Registry, r *service.Relay) {
	counter := func(name, help string, v func(service.RelayStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(r.Stats())) })
	}
	reg.MustRegister(
		counter("stocking_outbox_claimed_total", "Outbox messages this process's relay claimed.", func(s service.RelayStats) int64 { return s.Claimed }),
		counter("stocking_outbox_deliveries_total", "Outbox messages this process's relay delivered to Temporal.", func(s service.RelayStats) int64 { return s.Delivered }),
		counter("stocking_outbox_delivery_failures_total", "Failed outbox deliveries (each is retried after a backoff).", func(s service.RelayStats) int64 { return s.Failed }),
		counter("stocking_outbox_removed_total", "Delivered outbox messages this process's relay removed; fewer than its deliveries when another relay delivered the same message.", func(s service.RelayStats) int64 { return s.Removed }),
	)
}
