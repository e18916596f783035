// Package mysql is the MySQL 8 / MariaDB implementation of ports.Store.
// It uses go-sql-driver/mysql, the sqlc-generated queries in internal/mydb
// and the goose migrations embedded by package schema.
//
// Reads outside transactions use a pool of connections with prepared
// statements. Transactions use a second pool whose sessions run with
// autocommit off and batch writes with the next statement that needs an
// answer (see pipe.go), so a market order takes four round trips: lock
// the account, read the listing, lock the holding, and one request with
// every write and COMMIT.
//
// Transactions run at READ COMMITTED with explicit row locks (SELECT ...
// FOR UPDATE) taken in the order the service follows: account, holding,
// order, payment. READ COMMITTED takes
// no gap locks, so two users' first purchases never block each other on
// the gap where their new holdings will go (UUIDv7 ids put every new user
// at the same end of each index); the row locks alone serialize what must
// be serialized. Deadlocks and lock-wait timeouts are retried inside
// WithinTx with jittered backoff, invisibly to callers.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"

	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/ports"
	schema "github.com/stocking-kr/stocking/sql"
)

// DefaultMaxConns is the pool size when Config.MaxConns is not set.
const DefaultMaxConns = 16

// Config says which database to open.
type Config struct {
	// DSN is a go-sql-driver DSN (user:pass@tcp(host:3306)/db?...) or a
	// mysql:// URL, which DSNFromURL converts. Whatever it says, the store
	// enforces the settings it depends on (see DSNFromURL).
	DSN string
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// MaxConns bounds the connection pool (DefaultMaxConns when zero).
	MaxConns int
}

// Store is a MySQL or MariaDB database behind ports.Store.
type Store struct {
	// reader answers Reader calls outside transactions from the pool.
	reader

	log *slog.Logger
	// db serves reads outside transactions, migrations and the outbox
	// relay; wdb serves transactions (see pipe.go).
	db, wdb *sql.DB
	// q holds the queries: prepared statements once the schema exists,
	// plain ones before (the server refuses to prepare a statement on a
	// table that is not there yet), or always plain when the DSN has the
	// driver interpolate parameters.
	q           atomic.Pointer[mydb.Queries]
	usePrepared bool
	prepareMu   sync.Mutex
	prepared    atomic.Bool
	migrations  *goose.Provider
	// readCommitted records whether connections run at READ COMMITTED;
	// a server that logs statements (binlog_format=STATEMENT) refuses
	// writes at that level, so the store keeps REPEATABLE READ there.
	readCommitted bool
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database. It changes no schema (call Migrate), and
// prepares every query when the schema is already there.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dcfg, err := driverConfig(cfg.DSN)
	if err != nil {
		return nil, err
	}
	base, err := gomysql.NewConnector(dcfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	readCommitted, err := probe(ctx, base, log)
	if err != nil {
		return nil, err
	}
	init := []string{
		// UTC for the few things that depend on the session's zone (the
		// TIMESTAMP in goose's version table), and strict mode whatever
		// the server's default, so that a value a column cannot hold
		// fails instead of being silently cut (money above all).
		"SET SESSION time_zone = '+00:00', SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES')",
	}
	if readCommitted {
		init = append(init, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
	}
	// Transactions batch several statements in one request, which
	// needs the text protocol (parameters interpolated by the driver,
	// which escapes them for the utf8mb4 connection) and multi-statement
	// requests; their sessions run with autocommit off so that the first
	// statement opens the transaction without a round trip of its own.
	wcfg := dcfg.Clone()
	wcfg.InterpolateParams = true
	wcfg.MultiStatements = true
	wbase, err := gomysql.NewConnector(wcfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	s := &Store{
		log:           log,
		db:            sql.OpenDB(sessionConnector{Connector: base, init: init}),
		wdb:           sql.OpenDB(sessionConnector{Connector: wbase, init: append(init, "SET SESSION autocommit = 0")}),
		usePrepared:   !dcfg.InterpolateParams,
		readCommitted: readCommitted,
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = DefaultMaxConns
	}
	for _, db := range []*sql.DB{s.db, s.wdb} {
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		// Recycled now and then so that a server-side limit
		// (wait_timeout, a proxy's idle cut) never meets a connection
		// first; each new one prepares its statements again on first use.
		db.SetConnMaxLifetime(time.Hour)
		db.SetConnMaxIdleTime(10 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			s.db.Close()
			s.wdb.Close()
			return nil, fmt.Errorf("mysql: connect: %w", err)
		}
	}
	s.q.Store(mydb.New(s.db))
	s.reader = reader{live: &s.q}
	s.prepare(ctx)

	migrations, err := fs.Sub(schema.MySQL, "mysql/migrations")
	if err == nil {
		s.migrations, err = goose.NewProvider(goose.DialectMySQL, s.db, migrations,
			goose.WithDisableGlobalRegistry(true))
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("mysql: migrations: %w", err)
	}
	return s, nil
}

// probe checks that the server answers and decides the isolation level:
// READ COMMITTED unless the server logs statements, which refuses writes
// at that level.
func probe(ctx context.Context, c driver.Connector, log *slog.Logger) (bool, error) {
	db := sql.OpenDB(c)
	defer db.Close()
	var version, binlog string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return false, fmt.Errorf("mysql: connect: %w", err)
	}
	// A server without the variable (it is deprecated in MySQL 8) logs
	// rows, if anything.
	_ = db.QueryRowContext(ctx, "SELECT @@SESSION.binlog_format").Scan(&binlog)
	if strings.EqualFold(binlog, "STATEMENT") {
		log.Warn("mysql: binlog_format=STATEMENT refuses writes at READ COMMITTED; transactions run at REPEATABLE READ, where gap locks make deadlocks (retried) more frequent",
			"version", version)
		return false, nil
	}
	return true, nil
}

// sessionConnector runs session settings on every new connection, once,
// instead of on every transaction. The statements are spelled the same in
// MySQL and MariaDB (the variables behind them are not: MariaDB 10.11 has
// tx_isolation, MySQL 8 transaction_isolation).
type sessionConnector struct {
	driver.Connector
	init []string
}

// Connect opens a connection and applies the session settings.
func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("mysql: the driver connection cannot execute statements")
	}
	for _, q := range c.init {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("mysql: session setup %q: %w", q, err)
		}
	}
	return conn, nil
}

// prepare swaps in prepared statements when every table they need
// exists, and reports whether it did (or needs none). A prepared
// statement runs in one round trip in the binary protocol and the server
// parses it once per connection.
func (s *Store) prepare(ctx context.Context) bool {
	if !s.usePrepared || s.prepared.Load() {
		return true
	}
	s.prepareMu.Lock()
	defer s.prepareMu.Unlock()
	if s.prepared.Load() {
		return true
	}
	q, err := mydb.Prepare(ctx, s.db)
	if err != nil {
		s.log.Debug("mysql statements not prepared yet", "err", err)
		return false
	}
	s.q.Store(q)
	s.prepared.Store(true)
	return true
}

// Migrate applies every pending migration, then prepares the statements.
func (s *Store) Migrate(ctx context.Context) error {
	results, err := s.migrations.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.log.Info("migration applied", "engine", "mysql",
				"version", r.Source.Version, "name", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("mysql: migrate: %w", err)
	}
	if !s.prepare(ctx) {
		return errors.New("mysql: migrate: statements do not prepare against the migrated schema")
	}
	return nil
}

// Info reports the engine, the server's version and each migration's
// state.
func (s *Store) Info(ctx context.Context) (ports.StoreInfo, error) {
	info := ports.StoreInfo{Engine: "mysql"}
	if err := s.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&info.Version); err != nil {
		return info, fmt.Errorf("mysql: version: %w", err)
	}
	status, err := s.migrations.Status(ctx)
	if err != nil {
		return info, fmt.Errorf("mysql: migration status: %w", err)
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

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("mysql: ping: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both pools. A connection
// still in use by a transaction closes when the transaction ends.
func (s *Store) Close() error {
	var errs []error
	if s.prepared.Load() {
		errs = append(errs, s.q.Load().Close())
	}
	errs = append(errs, s.wdb.Close(), s.db.Close())
	return errors.Join(errs...)
}

// DueOutbox returns messages due at now, the earliest due first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]ports.OutboxMessage, error) {
	rows, err := s.q.Load().DueOutbox(ctx, mydb.DueOutboxParams{Now: now.UTC(), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("due outbox", err)
	}
	out := make([]ports.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = outboxMessage(r)
	}
	return out, nil
}

// DeleteOutbox removes delivered messages; unknown ids are ignored. One
// statement is atomic on its own, so it runs without a transaction of its
// own (and so in one round trip).
func (s *Store) DeleteOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.retry(ctx, func() error {
		return wrap("delete outbox", s.q.Load().DeleteOutbox(ctx, ids))
	})
}

// DeferOutbox counts a failed attempt and schedules the next one. It
// returns domain.ErrNotFound when the message is gone.
func (s *Store) DeferOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	return s.retry(ctx, func() error {
		n, err := s.q.Load().DeferOutbox(ctx, mydb.DeferOutboxParams{
			NextTry: next.UTC(), LastError: truncate(lastError, maxLastError), ID: id,
		})
		return changed("defer outbox", n, err)
	})
}

// OutboxSize counts undelivered messages.
func (s *Store) OutboxSize(ctx context.Context) (int64, error) {
	n, err := s.q.Load().OutboxSize(ctx)
	return n, wrap("outbox size", err)
}
