// Package sqlite is the SQLite implementation of ports.Store, the embedded
// default database, on the store core of package sqlstore. It uses the
// pure-Go driver modernc.org/sqlite, the sqlc-generated queries in
// internal/sqlitedb and the goose migrations embedded by package schema.
//
// SQLite allows one writer at a time. Instead of letting several
// connections race for the write lock and spin on SQLITE_BUSY, the store
// keeps exactly one write connection whose transactions begin IMMEDIATE,
// and writers queue for it in Go (writer.go), where queued transactions
// share a commit. Reads outside transactions go to a separate pool of
// read-only connections, which WAL mode lets run beside the writer, and a
// maintenance connection runs migrations and WAL checkpoints
// (checkpoint.go). An in-memory store has one connection for everything.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/leader"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	schema "github.com/stocking-kr/stocking/sql"
)

// MemoryPath opens a private in-memory database.
const MemoryPath = ":memory:"

// DefaultReadConns is the size of the read pool when Config.ReadConns is
// not set.
const DefaultReadConns = 4

// busyTimeout is how long SQLite itself waits for a lock held by another
// process (a second `stocking` command on the same file) before it reports
// SQLITE_BUSY; within one process writers already queue in Go.
const busyTimeout = 5 * time.Second

// retry is how WithinTx runs a transaction again that met SQLITE_BUSY or
// SQLITE_LOCKED: another process held the file past busyTimeout.
var retry = sqlstore.Retry{Attempts: 4, Base: 20 * time.Millisecond, Max: 100 * time.Millisecond}

// Config says which database to open.
type Config struct {
	// Path is the database file, created when missing, or ":memory:" for a
	// private in-memory database that lives as long as the Store.
	Path string
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// ReadConns is the number of read connections in file mode
	// (DefaultReadConns when zero). In-memory mode has one connection.
	ReadConns int
	// StatementTimeout bounds each read and each transaction's wait for
	// the writer (see Attempt in writer.go); zero means
	// sqlstore.DefaultStatementTimeout.
	StatementTimeout time.Duration
}

// Store is a SQLite database behind ports.Store.
type Store struct {
	*sqlstore.Store
	d *driver
}

// driver holds the connections and the group-commit writer.
type driver struct {
	log    *slog.Logger
	memory bool
	// wdb has exactly one connection; every write goes through it.
	wdb *sql.DB
	// wconn is that connection, held for the Store's life in file mode so
	// that transactions run on it with prepared BEGIN and COMMIT
	// statements instead of database/sql's Tx machinery (a goroutine per
	// transaction, a statement wrapper per call). It is nil in memory
	// mode, where reads share the one connection, so each batch takes it
	// as a database/sql Tx.
	wconn                         *sql.Conn
	beginStmt, commitStmt, rbStmt *sql.Stmt
	// rdb is the read pool; the same handle as wdb in memory mode.
	rdb *sql.DB
	// mdb runs migrations (and, in file mode, checkpoints): its own
	// connection in file mode, wdb in memory mode.
	mdb *sql.DB
	// wq and rq are the queries on the write connection and rdb: prepared
	// statements once the schema exists, plain ones before (a statement
	// cannot be prepared against a table that is not there yet).
	wq, rq    atomic.Pointer[sqlitedb.Queries]
	prepareMu sync.Mutex
	prepared  atomic.Bool
	// checkpointer keeps checkpoints out of commits (file mode only).
	checkpointer *checkpointer

	// writer is the group-commit writer (see writer.go): the write
	// connection's batches and the callers waiting for it.
	writer leader.Queue[txBody, txResult]
}

var errs = sqlstore.Errors{Engine: "sqlite", Classify: classify}

// Open opens the database, creating the file when missing. It changes no
// schema (call Migrate), and prepares every query when the schema is
// already there.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reservePageBuffers()
	d := &driver{log: log, memory: cfg.Path == MemoryPath}
	if err := d.open(ctx, cfg); err != nil {
		d.Close()
		return nil, err
	}
	migrations, err := sqlstore.Migrations(goose.DialectSQLite3, d.mdb, schema.SQLite, "sqlite/migrations")
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return &Store{Store: sqlstore.New(d, sqlstore.Config{
		Errors: errs, Logger: log, StatementTimeout: cfg.StatementTimeout, Retry: retry, Migrations: migrations,
	}), d: d}, nil
}

func (d *driver) open(ctx context.Context, cfg Config) error {
	if cfg.Path == "" {
		return errors.New("sqlite: Config.Path is empty (use a file path or \":memory:\")")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return fmt.Errorf("sqlite: path %q must not contain '?' or '#'", cfg.Path)
	}
	var err error
	if d.memory {
		// A plain :memory: database belongs to the connection that opened
		// it, so the pool must hold that one connection forever: a second
		// connection, or a reopened one, would see an empty database.
		if d.wdb, err = openDB(ctx, MemoryPath, writerParams(false), 1); err != nil {
			return err
		}
		d.rdb, d.mdb = d.wdb, d.wdb
	} else {
		// The writer opens first so that the file exists and is in WAL
		// mode before any reader connects.
		if d.wdb, err = openDB(ctx, cfg.Path, writerParams(true), 1); err != nil {
			return err
		}
		n := cfg.ReadConns
		if n <= 0 {
			n = DefaultReadConns
		}
		if d.rdb, err = openDB(ctx, cfg.Path, readerParams(), n); err != nil {
			return err
		}
		if d.mdb, err = openDB(ctx, cfg.Path, commonParams(), 1); err != nil {
			return err
		}
		if d.wconn, err = d.wdb.Conn(ctx); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		for stmt, text := range map[**sql.Stmt]string{&d.beginStmt: "BEGIN IMMEDIATE", &d.commitStmt: "COMMIT", &d.rbStmt: "ROLLBACK"} {
			if *stmt, err = d.wconn.PrepareContext(ctx, text); err != nil {
				return fmt.Errorf("sqlite: prepare %s: %w", text, err)
			}
		}
		d.checkpointer = startCheckpointer(d.mdb, d.log)
	}

	d.wq.Store(sqlitedb.New(d.writeDBTX()))
	d.rq.Store(sqlitedb.New(d.rdb))
	// A database that is already migrated gets its statements prepared
	// now; a new one gets them from Migrate.
	if err := d.Prepare(ctx); err != nil {
		d.log.Debug("sqlite statements not prepared yet", "err", err)
	}
	return nil
}

// commonParams are the connection settings of every connection: foreign
// keys enforced, times written as SQLite-style text in UTC (text that sorts
// in time order, so range conditions on times work in SQL).
func commonParams() []string {
	return []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=temp_store(memory)",
		"_time_format=sqlite",
		"_timezone=UTC",
	}
}

// writerParams configures the write connection. WAL lets readers run
// beside the writer; synchronous=NORMAL is durable against application
// crashes and loses at most the last transactions on power loss, the usual
// trade for WAL. Transactions begin IMMEDIATE so that a transaction takes
// the write lock before its first read and can never fail half way
// through to upgrade a read lock.
func writerParams(file bool) []string {
	p := commonParams()
	if file {
		p = append(p, "_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)",
			fmt.Sprintf("_pragma=wal_autocheckpoint(%d)", walAutoCheckpoint))
	}
	return append(p, "_txlock=immediate")
}

// readerParams configures the read pool, read-only so that a write that
// bypasses the single writer fails loudly instead of racing it.
func readerParams() []string {
	return append(commonParams(), "_pragma=query_only(1)")
}

func openDB(ctx context.Context, path string, params []string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+strings.Join(params, "&"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// Connections are cheap to keep and costly to reopen (every reopen
	// prepares statements again), and an in-memory database dies with its
	// connection.
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Prepare swaps in prepared statements; it fails while a table they need
// is missing. Preparing saves SQLite from parsing and planning each
// statement again on every call, a large share of a short transaction's
// cost.
func (d *driver) Prepare(ctx context.Context) error {
	d.prepareMu.Lock()
	defer d.prepareMu.Unlock()
	if d.prepared.Load() {
		return nil
	}
	wq, err := sqlitedb.Prepare(ctx, d.writeDBTX())
	if err != nil {
		return err
	}
	rq := wq
	if !d.memory {
		if rq, err = sqlitedb.Prepare(ctx, d.rdb); err != nil {
			wq.Close()
			return err
		}
	}
	d.wq.Store(wq)
	d.rq.Store(rq)
	d.prepared.Store(true)
	return nil
}

// writeDBTX is what the write queries run on: the held connection in file
// mode, the one-connection pool in memory mode.
func (d *driver) writeDBTX() sqlitedb.DBTX {
	if d.wconn != nil {
		return d.wconn
	}
	return d.wdb
}

// Queries returns the read pool's statements.
func (d *driver) Queries() sqldb.Queries { return d.rq.Load().Shared() }

// Reset does nothing: connections to a file do not break.
func (d *driver) Reset() {}

// Version returns SQLite's version.
func (d *driver) Version(ctx context.Context) (string, error) {
	var v string
	err := d.rdb.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v)
	return v, err
}

// Close waits for running transactions, refuses new ones and releases the
// prepared statements and connections. An in-memory database is gone
// afterwards.
func (d *driver) Close() error {
	if !d.writer.Close() {
		return nil
	}
	// Let a running batch, and the callers already queued behind it,
	// finish before the connections go.
	for d.writer.Busy() {
		time.Sleep(time.Millisecond)
	}
	var errs []error
	if d.checkpointer != nil {
		errs = append(errs, d.checkpointer.close())
	}
	if d.prepared.Load() {
		rq, wq := d.rq.Load(), d.wq.Load()
		if rq != wq {
			errs = append(errs, rq.Close())
		}
		errs = append(errs, wq.Close())
	}
	for _, stmt := range []*sql.Stmt{d.beginStmt, d.commitStmt, d.rbStmt} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if d.wconn != nil {
		errs = append(errs, d.wconn.Close())
	}
	// In memory mode the three are one.
	dbs := []*sql.DB{d.mdb, d.rdb, d.wdb}
	for i, db := range dbs {
		if db != nil && !slices.Contains(dbs[i+1:], db) {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// classify sorts SQLite's errors: a unique or primary key violation is a
// duplicate, a foreign key violation a missing parent, and "the database
// is locked by someone else" a race that a fresh attempt may not meet.
func classify(err error) sqlstore.Class {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.Other
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Duplicate
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.MissingParent
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return sqlstore.Race
	}
	return sqlstore.Other
}
