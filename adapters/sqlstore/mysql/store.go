// Package mysql is the MySQL 8 / MariaDB implementation of ports.Store, on
// the store core of package sqlstore. It uses go-sql-driver/mysql, the
// sqlc-generated queries in internal/mydb and the goose migrations embedded
// by package schema.
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
// order, payment. READ COMMITTED takes no gap locks, so two users' first
// purchases never block each other on the gap where their new holdings
// will go (UUIDv7 ids put every new user at the same end of each index);
// the row locks alone serialize what must be serialized. Deadlocks and
// lock-wait timeouts are retried by the core, invisibly to callers.
package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	schema "github.com/stocking-kr/stocking/sql"
)

// DefaultMaxConns is the pool size when Config.MaxConns is not set.
const DefaultMaxConns = 16

// retry is how WithinTx runs a transaction again that deadlocked, timed
// out waiting for a lock or met a changed snapshot.
var retry = sqlstore.Retry{Attempts: 10, Base: 2 * time.Millisecond, Max: 200 * time.Millisecond}

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
	// StatementTimeout bounds each read, Open's checks, dialling (unless
	// the DSN says otherwise) and each statement of a transaction, which
	// starts none past it; zero means sqlstore.DefaultStatementTimeout.
	StatementTimeout time.Duration
}

// Store is a MySQL or MariaDB database behind ports.Store.
type Store struct {
	*sqlstore.Store
	d *pools
}

// pools are the two connection pools, the driver of the core.
type pools struct {
	log *slog.Logger
	// db serves reads outside transactions, migrations and the outbox
	// relay; wdb serves transactions (see pipe.go), and bulk the
	// transactions of bulk operations.
	db, wdb, bulk *sql.DB
	// q holds the queries: prepared statements once the schema exists,
	// plain ones before (the server refuses to prepare a statement on a
	// table that is not there yet), or always plain when the DSN has the
	// driver interpolate parameters.
	q           atomic.Pointer[mydb.Queries]
	usePrepared bool
	prepareMu   sync.Mutex
	prepared    atomic.Bool
	// readCommitted records whether connections run at READ COMMITTED;
	// a server that logs statements (binlog_format=STATEMENT) refuses
	// writes at that level, so the store keeps REPEATABLE READ there.
	readCommitted bool
}

var errs = sqlstore.Errors{Engine: "mysql", Classify: classify}

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
	// The driver reports each dropped connection on its own logger
	// (stderr by default); during an outage that is one line per pooled
	// connection, while the store already answers unavailable and the
	// HTTP layer logs that once per interval. Its lines go to the debug
	// level of the store's logger.
	dcfg.Logger = driverLog{log}
	timeout := cmp.Or(cfg.StatementTimeout, sqlstore.DefaultStatementTimeout)
	if dcfg.Timeout == 0 {
		dcfg.Timeout = timeout
	}
	base, err := gomysql.NewConnector(dcfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	// A server that accepts connections and then says nothing must not
	// hang Open.
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	readCommitted, err := probe(octx, base, log)
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
	tcfg := dcfg.Clone()
	tcfg.InterpolateParams = true
	tcfg.MultiStatements = true
	txInit := append(slices.Clip(init), "SET SESSION autocommit = 0")
	// A transaction's statements run without a context deadline (see
	// pipe), so the socket bounds each of them.
	wcfg := tcfg.Clone()
	wcfg.ReadTimeout = min(cmp.Or(wcfg.ReadTimeout, timeout), timeout)
	wcfg.WriteTimeout = min(cmp.Or(wcfg.WriteTimeout, timeout), timeout)
	wbase, err := gomysql.NewConnector(wcfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	// Bulk transactions (ports.WithBulkTimeout) run on a small pool of
	// their own whose sockets keep the DSN's bounds: their statements may
	// rightly run longer than a request's.
	bbase, err := gomysql.NewConnector(tcfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	s := &pools{
		log:           log,
		db:            sql.OpenDB(sessionConnector{Connector: base, init: init}),
		wdb:           sql.OpenDB(sessionConnector{Connector: wbase, init: txInit}),
		bulk:          sql.OpenDB(sessionConnector{Connector: bbase, init: txInit}),
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
		if err := db.PingContext(octx); err != nil {
			s.db.Close()
			s.wdb.Close()
			s.bulk.Close()
			return nil, fmt.Errorf("mysql: connect: %w", err)
		}
	}
	s.bulk.SetMaxOpenConns(2)
	s.bulk.SetMaxIdleConns(1)
	s.bulk.SetConnMaxIdleTime(time.Minute)
	s.q.Store(mydb.New(s.db))
	if err := s.Prepare(octx); err != nil {
		log.Debug("mysql statements not prepared yet", "err", err)
	}

	p, err := sqlstore.Migrations(goose.DialectMySQL, s.db, schema.MySQL, "mysql/migrations")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("mysql: migrations: %w", err)
	}
	return &Store{Store: sqlstore.New(s, sqlstore.Config{
		Errors: errs, Logger: log, StatementTimeout: cfg.StatementTimeout, Retry: retry, Migrations: p, NegatedBuyKeys: true,
	}), d: s}, nil
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

// Prepare swaps in prepared statements (unless the DSN has the driver
// interpolate parameters); it fails while a table they need is missing.
// A prepared statement runs in one round trip in the binary protocol and
// the server parses it once per connection.
func (s *pools) Prepare(ctx context.Context) error {
	s.prepareMu.Lock()
	defer s.prepareMu.Unlock()
	if !s.usePrepared || s.prepared.Load() {
		return nil
	}
	q, err := mydb.Prepare(ctx, s.db)
	if err != nil {
		return err
	}
	s.q.Store(q)
	s.prepared.Store(true)
	return nil
}

// Queries returns the read pool's statements.
func (s *pools) Queries() sqldb.Queries { return s.q.Load().Shared() }

// Reset does nothing: database/sql finds broken connections by itself
// (the driver checks a pooled connection's socket before reusing it).
func (s *pools) Reset() {}

// Version returns the server's version.
func (s *pools) Version(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v)
	return v, err
}

// Close releases the prepared statements and both pools. A connection
// still in use by a transaction closes when the transaction ends.
func (s *pools) Close() error {
	var errs []error
	if s.prepared.Load() {
		errs = append(errs, s.q.Load().Close())
	}
	errs = append(errs, s.bulk.Close(), s.wdb.Close(), s.db.Close())
	return errors.Join(errs...)
}

// classify sorts the server's errors by number, and the driver's "invalid
// connection" as a lost one.
func classify(err error) sqlstore.Class {
	var e *gomysql.MySQLError
	if errors.As(err, &e) {
		switch e.Number {
		case 1062: // ER_DUP_ENTRY
			return sqlstore.Duplicate
		case 1452: // ER_NO_REFERENCED_ROW_2: a foreign key's parent is missing
			return sqlstore.MissingParent
		case 1213, 1205, 1020:
			// A deadlock (InnoDB rolled the transaction back), a lock
			// wait that timed out, and MariaDB's "record has changed
			// since last read" under its snapshot checks: the
			// transaction must start over.
			return sqlstore.Race
		case 1040, 1053, 1927, 2006, 2013:
			// Too many connections, shutting down, connection killed;
			// gone away and lost connection, client errors that some
			// proxies return as the server's.
			return sqlstore.Unavailable
		}
		return sqlstore.Other
	}
	if errors.Is(err, gomysql.ErrInvalidConn) {
		return sqlstore.Unavailable
	}
	return sqlstore.Other
}

// driverLog passes the driver's messages to a slog.Logger at debug level.
type driverLog struct{ log *slog.Logger }

func (l driverLog) Print(v ...any) {
	l.log.Debug("mysql driver: " + strings.TrimSpace(fmt.Sprint(v...)))
}
