// Package postgres is the PostgreSQL implementation of ports.Store, on the
// store core of package sqlstore. It uses pgx through a pgxpool, the
// sqlc-generated queries in internal/pgdb and the goose migrations embedded
// by package schema.
//
// Transactions run at READ COMMITTED and serialize on row locks: each use
// case locks the account first (SELECT ... FOR UPDATE), then the holding,
// then orders, so two transactions never wait on each other in a cycle;
// a deadlock or serialization failure that happens anyway is retried by
// the core. Inside a transaction, writes whose only answer is an error are
// pipelined with the next statement that needs an answer, which keeps a
// market order to four round trips (pipe.go).
package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	schema "github.com/stocking-kr/stocking/sql"
)

// retry is how WithinTx runs a transaction again that lost a race
// (deadlock, serialization failure, lock timeout).
var retry = sqlstore.Retry{Attempts: 10, Base: 2 * time.Millisecond, Max: 250 * time.Millisecond}

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
	// StatementTimeout bounds each transaction attempt and each read, and
	// connecting unless the URL sets connect_timeout; zero means
	// sqlstore.DefaultStatementTimeout.
	StatementTimeout time.Duration
	// Ungrouped runs every transaction on its own. By default the
	// transactions that name a key (ports.WithTxKey) share their commit
	// with the concurrent ones in their lane (group.go).
	Ungrouped bool
	// Lanes is the number of group lanes; zero means DefaultLanes.
	Lanes int
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
	*sqlstore.Store
	d *driver
}

// driver is the connection pool.
type driver struct {
	pool *pgxpool.Pool
	db   *sql.DB // the pool as database/sql, for goose
	q    sqldb.Queries
	// lanes group the keyed transactions; nil when grouping is off.
	lanes *lanes
}

var errs = sqlstore.Errors{Engine: "postgres", Classify: classify}

// Open connects to the database. It changes no schema (call Migrate),
// apart from creating Config.Schema when that is set.
func Open(ctx context.Context, cfg Config) (*Store, error) {
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
	if _, set := pc.ConnConfig.RuntimeParams["jit"]; !set {
		// The server compiles a query to machine code when its estimated
		// cost is high, which only the whole-table statements are (the
		// end-of-day snapshot, the leaderboard refresh): compiling one took
		// 1.2 s of a 2.3 s refresh of 100,000 accounts, to save less than
		// it cost. Requests' statements never reach the threshold. A
		// jit=on in DATABASE_URI turns it back on.
		pc.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		// A server that accepts the connection and then says nothing (a
		// stalled proxy, a frozen host) must not hold a connection
		// attempt forever.
		pc.ConnConfig.ConnectTimeout = cmp.Or(cfg.StatementTimeout, sqlstore.DefaultStatementTimeout)
	}
	pc.AfterConnect = registerTypes
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d := &driver{pool: pool, q: pgdb.New(poolDBTX{pool}).Shared()}
	if !cfg.Ungrouped {
		d.lanes = newLanes(d, cmp.Or(cfg.Lanes, DefaultLanes()))
	}
	migrations, err := d.open(ctx, cfg)
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Store{Store: sqlstore.New(d, sqlstore.Config{
		Errors: errs, Logger: cfg.Logger, StatementTimeout: cfg.StatementTimeout, Retry: retry, Migrations: migrations,
	}), d: d}, nil
}

func (d *driver) open(ctx context.Context, cfg Config) (*goose.Provider, error) {
	if err := d.pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if cfg.Schema != "" {
		if _, err := d.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.Schema}.Sanitize()); err != nil {
			return nil, fmt.Errorf("postgres: create schema %s: %w", cfg.Schema, err)
		}
	}
	d.db = stdlib.OpenDBFromPool(d.pool)
	// The session lock keeps two processes from migrating one schema at
	// once. Its id is derived from the schema, so stores in different
	// schemas of one database migrate side by side.
	h := fnv.New64a()
	h.Write([]byte("stocking-migrations:" + cfg.Schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	p, err := sqlstore.Migrations(goose.DialectPostgres, d.db, schema.Postgres, "postgres/migrations", goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
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

// Queries returns the pool's statements, each on any connection.
func (d *driver) Queries() sqldb.Queries { return d.q }

// Attempt runs body in a transaction on one pooled connection: a
// transaction of its own, or a member of its lane's group (group.go).
func (d *driver) Attempt(ctx context.Context, body func(ctx context.Context, c sqlstore.TxConn) error) (err error) {
	if grouped, err := d.grouped(ctx, body); grouped {
		return err
	}
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return errs.Wrap("acquire a connection", err)
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
	err = body(ctx, p)
	done = true
	if err != nil {
		// A write that failed while body went on decides the outcome
		// when it is the retryable kind: body's own error may be a
		// consequence of it.
		if p.err != nil && errs.Class(p.err) == sqlstore.Race {
			return p.err
		}
		return err
	}
	return p.commit(ctx)
}

// Reset closes the idle connections (and the others as they come back):
// after one broke, the rest of a pool that outlived a restart of the
// server would fail one by one.
func (d *driver) Reset() { d.pool.Reset() }

// Version returns the server's version.
func (d *driver) Version(ctx context.Context) (string, error) {
	var v string
	err := d.pool.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v, err
}

// Prepare does nothing: pgx prepares each statement on first use.
func (d *driver) Prepare(context.Context) error { return nil }

// Close waits for borrowed connections to come back and closes them all.
func (d *driver) Close() error {
	var err error
	if d.db != nil {
		err = d.db.Close()
	}
	d.pool.Close()
	return err
}

// classify sorts PostgreSQL's errors by SQLSTATE. A server's answer is
// never a lost connection, except the codes that say the server is going
// away or refuses new sessions; pgx reports a connection that could not
// be made, or was already closed, by its own errors.
func classify(err error) sqlstore.Class {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return sqlstore.Duplicate
		case pe.Code == "23503": // foreign_key_violation
			return sqlstore.MissingParent
		case pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
			// serialization_failure, deadlock_detected, lock_not_available
			return sqlstore.Race
		case strings.HasPrefix(pe.Code, "08"), // connection exceptions
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // admin or crash shutdown, cannot connect now
			pe.Code == "53300": // too_many_connections
			return sqlstore.Unavailable
		}
		return sqlstore.Other
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) {
		return sqlstore.Unavailable
	}
	return sqlstore.Other
}
