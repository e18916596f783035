package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stocking-kr/stocking/adapters/auth"
	"github.com/stocking-kr/stocking/adapters/feed"
	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite"
	"github.com/stocking-kr/stocking/adapters/system"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// migratingStore is a store that can bring its schema up to date.
type migratingStore interface {
	ports.Store
	Migrate(ctx context.Context) error
}

// openStore opens the database DATABASE_URI names.
func openStore(ctx context.Context, uri string, log *slog.Logger) (migratingStore, error) {
	t, err := parseDatabaseURI(uri)
	if err != nil {
		return nil, err
	}
	switch t.Engine {
	case engineSQLite:
		return sqlite.Open(ctx, sqlite.Config{Path: t.Path, Logger: log})
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

	ln     net.Listener
	server *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// NewMain returns a Main for the configuration.
func NewMain(cfg Config, opts Options) *Main {
	return &Main{Config: cfg, Options: opts, Logger: newLogger(cfg.LogLevel)}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// Open connects the store and builds the service, without serving.
func (m *Main) Open(ctx context.Context) error {
	st, err := openStore(ctx, m.Config.DatabaseURI, m.Logger)
	if err != nil {
		return err
	}
	m.Store = st
	if m.Options.Migrate {
		if err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
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
	m.Service, err = service.New(service.Deps{
		Store: st, Clock: clock, IDs: system.IDs{}, Tokens: tokens,
		Hasher: auth.Bcrypt{Cost: m.Config.BcryptCost}, Logger: m.Logger,
	}, service.Config{InitialCash: m.Config.InitialCash, Fees: m.Config.Fees, Calendar: cal})
	if err != nil {
		return err
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

// Run opens everything and starts serving in the background. It returns
// once the listener is bound, so URL is valid afterwards.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if m.Options.API {
		h := httpapi.NewHandler(httpapi.Options{
			Service: m.Service, Logger: m.Logger, Registry: m.Registry, Version: version,
			Checks: map[string]func(context.Context) error{"database": m.Store.Ping},
		})
		ln, err := net.Listen("tcp", m.Config.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
		}
		m.ln = ln
		m.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		m.goRun("http", func(context.Context) error {
			if err := m.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, bg)
	}
	if m.Options.Feed && m.Config.FeedInterval > 0 {
		f := &feed.Simulated{Interval: m.Config.FeedInterval, Logger: m.Logger}
		m.goRun("feed", func(ctx context.Context) error { return f.Run(ctx, m.Service) }, bg)
	}
	if m.Options.API || m.Options.Feed {
		m.goRun("expiry", m.sweepExpired, bg)
	}
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
		if n, err := m.Service.ExpireDue(ctx); err != nil && ctx.Err() == nil {
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

// Close stops serving, waits for background work and closes the store.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}
