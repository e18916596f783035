// Package postgres is the PostgreSQL implementation of ports.Store. It
// uses pgx through a pgxpool, the sqlc-generated queries in internal/pgdb
// and the goose migrations embedded by package schema.
//
// Transactions run at READ COMMITTED and serialize on row locks: each use
// case locks the account first (SELECT ... FOR UPDATE), then the holding,
// then orders, so two transactions never wait on each other in a cycle;
// a deadlock or serialization failure that happens anyway is retried
// inside WithinTx. Inside a transaction, writes whose only answer is an
// error are pipelined with the next statement that needs an answer, which
// keeps a market order to four round trips (pipe.go).
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	schema "github.com/stocking-kr/stocking/sql"
)

// txAttempts bounds how often WithinTx runs a transaction that lost a
// race (deadlock, serialization failure, lock timeout).
const txAttempts = 10

// Retry backoff: full jitter over an exponentially growing window, so
// that transactions which collided once do not collide again in step.
const (
	retryBase = 2 * time.Millisecond
	retryMax  = 250 * time.Millisecond
)

// Config says which database to open.
type Config struct {
	// URL is a PostgreSQL connection URL or keyword/value string, e.g.
	// postgres://user:pass@host:5432/db?sslmode=disable. pgx's pool_*
	// parameters are honoured.
	URL string
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// MaxConns caps the connection pool. Zero keeps the URL's
	// pool_max_conns, or DefaultMaxConns.
	MaxConns int
	// Schema, when set, is created if missing and made the connections'
	// search_path, so that the store's tables live there. Tests give
	// every store its own schema in one database.
	Schema string
}

// DefaultMaxConns is the pool size when neither Config.MaxConns nor the
// URL sets one. A transaction spends most of its time waiting (on the
// network, on a row lock, on its commit's WAL flush) rather than on a CPU,
// and commits that wait together share a flush, so the pool is several
// times the cores: with 16 connections instead of 8, 16 concurrent
// clients placed about 5% more market orders per second on two cores.
func DefaultMaxConns() int { return max(16, 4*runtime.GOMAXPROCS(0)) }

// Store is a PostgreSQL database behind ports.Store.
type Store struct {
	// reader answers Reader calls outside transactions, each on any
	// pooled connection.
	reader

	log        *slog.Logger
	pool       *pgxpool.Pool
	db         *sql.DB // the pool as database/sql, for goose
	migrations *goose.Provider
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database. It changes no schema (call Migrate),
// apart from creating Config.Schema when that is set.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(cfg.MaxConns)
	} else if !strings.Contains(cfg.URL, "pool_max_conns") {
		pc.MaxConns = int32(DefaultMaxConns())
	}
	if cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	pc.AfterConnect = registerTypes
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{log: log, pool: pool, reader: reader{q: pgdb.New(poolDBTX{pool})}}
	if err := s.open(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, cfg Config) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	if cfg.Schema != "" {
		if _, err := s.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create schema %s: %w", cfg.Schema, err)
		}
	}
	s.db = stdlib.OpenDBFromPool(s.pool)
	migrations, err := fs.Sub(schema.Postgres, "postgres/migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	// The session lock keeps two processes from migrating one schema at
	// once. Its id is derived from the schema, so stores in different
	// schemas of one database migrate side by side.
	h := fnv.New64a()
	h.Write([]byte("stocking-migrations:" + cfg.Schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	s.migrations, err = goose.NewProvider(goose.DialectPostgres, s.db, migrations,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	return nil
}

// registerTypes prepares each new connection's type map. Money travels
// in NUMERIC's binary form straight to and from shopspring/decimal
// (codec.go); through decimal's database/sql methods instead, every value
// would be a string each way, a large share of a market order's client
// CPU and allocations. Timestamps come back in UTC, the zone the whole
// application keeps times in.
func registerTypes(_ context.Context, conn *pgx.Conn) error {
	registerDecimal(conn.TypeMap())
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return nil
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	results, err := s.migrations.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.log.Info("migration applied", "engine", "postgres",
				"version", r.Source.Version, "name", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Info reports the engine, the server's version and each migration's
// state.
func (s *Store) Info(ctx context.Context) (ports.StoreInfo, error) {
	info := ports.StoreInfo{Engine: "postgres"}
	if err := s.pool.QueryRow(ctx, "SHOW server_version").Scan(&info.Version); err != nil {
		return info, fmt.Errorf("postgres: version: %w", err)
	}
	status, err := s.migrations.Status(ctx)
	if err != nil {
		return info, fmt.Errorf("postgres: migration status: %w", err)
	}
	for _, m := range status {
		info.Migrations = append(info.Migrations, ports.Migration{
			Version:   m.Source.Version,
			Name:      filepath.Base(m.Source.Path),
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt,
		})
	}
	return info, nil
}

// Ping checks that a connection to the server works.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close waits for borrowed connections to come back and closes them all.
func (s *Store) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	s.pool.Close()
	return err
}

// WithinTx runs fn in a transaction and commits when it returns nil. A
// transaction that loses a race (deadlock, serialization failure, lock
// timeout) is rolled back and run again after a short random pause, up to
// txAttempts times; callers see only the final outcome. A panic in fn
// rolls back and goes on to the caller.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, fn)
		if err == nil || !retryable(err) || attempt == txAttempts {
			return err
		}
		window := min(retryMax, retryBase<<(attempt-1))
		pause := rand.N(window) + time.Microsecond
		s.log.Debug("postgres transaction lost a race; retrying", "attempt", attempt, "pause", pause, "err", err)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, ctx.Err())
		case <-timer.C:
		}
	}
}

// attempt runs fn once in its own transaction.
func (s *Store) attempt(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) (err error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire a connection: %w", err)
	}
	p := newPipe(c.Conn())
	done := false
	defer func() {
		if !done || err != nil {
			p.rollback(ctx)
		}
		// A connection left inside a transaction or mid-statement is
		// closed by the pool rather than reused.
		c.Release()
	}()
	err = fn(ctx, newTx(p))
	done = true
	if err != nil {
		// A write that failed while fn went on decides the outcome when
		// it is the retryable kind: fn's own error may be a consequence
		// of it.
		if p.err != nil && retryable(p.err) {
			return p.err
		}
		return err
	}
	return p.commit(ctx)
}

// DueOutbox returns messages due at now, the earliest due first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]ports.OutboxMessage, error) {
	rows, err := s.q.DueOutbox(ctx, pgdb.DueOutboxParams{Now: now.UTC(), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("due outbox", err)
	}
	out := make([]ports.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = outboxMessage(r)
	}
	return out, nil
}

// DeleteOutbox removes delivered messages; unknown ids are ignored.
func (s *Store) DeleteOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap("delete outbox", s.q.DeleteOutbox(ctx, ids))
}

// DeferOutbox counts a failed attempt and schedules the next one. It
// returns domain.ErrNotFound when the message is gone.
func (s *Store) DeferOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	n, err := s.q.DeferOutbox(ctx, pgdb.DeferOutboxParams{ID: id, NextTry: next.UTC(), LastError: lastError})
	if err != nil {
		return wrap("defer outbox", err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// OutboxSize counts undelivered messages.
func (s *Store) OutboxSize(ctx context.Context) (int64, error) {
	n, err := s.q.OutboxSize(ctx)
	return n, wrap("outbox size", err)
}
