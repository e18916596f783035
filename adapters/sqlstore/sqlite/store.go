// Package sqlite is the SQLite implementation of ports.Store, the embedded
// default database. It uses the pure-Go driver modernc.org/sqlite, the
// sqlc-generated queries in internal/sqlitedb and the goose migrations
// embedded by package schema.
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
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/ports"
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

// txAttempts bounds how often WithinTx runs a transaction that failed with
// SQLITE_BUSY or SQLITE_LOCKED.
const txAttempts = 4

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
}

// Store is a SQLite database behind ports.Store.
type Store struct {
	// reader answers Reader calls outside transactions from the read pool.
	reader

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
	wq, rq     atomic.Pointer[sqlitedb.Queries]
	migrations *goose.Provider
	prepareMu  sync.Mutex
	prepared   atomic.Bool
	// checkpointer keeps checkpoints out of commits (file mode only).
	checkpointer *checkpointer

	// The group-commit writer (see writer.go): busy while a leader runs
	// a batch, queue holds the callers waiting for it, closed refuses new
	// transactions.
	qmu    sync.Mutex
	busy   bool
	closed bool
	queue  []*txRequest
}

var _ ports.Store = (*Store)(nil)

// Open opens the database, creating the file when missing. It changes no
// schema (call Migrate), and prepares every query when the schema is
// already there.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log, memory: cfg.Path == MemoryPath}
	if err := s.open(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, cfg Config) error {
	if cfg.Path == "" {
		return errors.New("sqlite: Config.Path is empty (use a file path or \":memory:\")")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return fmt.Errorf("sqlite: path %q must not contain '?' or '#'", cfg.Path)
	}
	var err error
	if s.memory {
		// A plain :memory: database belongs to the connection that opened
		// it, so the pool must hold that one connection forever: a second
		// connection, or a reopened one, would see an empty database.
		s.wdb, err = openDB(ctx, MemoryPath, writerParams(false), 1)
		if err != nil {
			return err
		}
		s.rdb = s.wdb
		s.mdb = s.wdb
	} else {
		// The writer opens first so that the file exists and is in WAL
		// mode before any reader connects.
		s.wdb, err = openDB(ctx, cfg.Path, writerParams(true), 1)
		if err != nil {
			return err
		}
		n := cfg.ReadConns
		if n <= 0 {
			n = DefaultReadConns
		}
		s.rdb, err = openDB(ctx, cfg.Path, readerParams(), n)
		if err != nil {
			return err
		}
		if s.mdb, err = openDB(ctx, cfg.Path, commonParams(), 1); err != nil {
			return err
		}
		if s.wconn, err = s.wdb.Conn(ctx); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		for stmt, text := range map[**sql.Stmt]string{&s.beginStmt: "BEGIN IMMEDIATE", &s.commitStmt: "COMMIT", &s.rbStmt: "ROLLBACK"} {
			if *stmt, err = s.wconn.PrepareContext(ctx, text); err != nil {
				return fmt.Errorf("sqlite: prepare %s: %w", text, err)
			}
		}
		s.checkpointer = startCheckpointer(s.mdb, s.log)
	}

	s.wq.Store(sqlitedb.New(s.writeDBTX()))
	s.rq.Store(sqlitedb.New(s.rdb))
	s.reader = reader{live: &s.rq}
	// A database that is already migrated gets its statements prepared
	// now; a new one gets them from Migrate.
	s.prepare(ctx)

	migrations, err := fs.Sub(schema.SQLite, "sqlite/migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	s.migrations, err = goose.NewProvider(goose.DialectSQLite3, s.mdb, migrations,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
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

// prepare swaps in prepared statements when every table they need
// exists, and reports whether it did. Preparing saves SQLite from parsing
// and planning each statement again on every call, a large share of a
// short transaction's cost.
func (s *Store) prepare(ctx context.Context) bool {
	if s.prepared.Load() {
		return true
	}
	s.prepareMu.Lock()
	defer s.prepareMu.Unlock()
	if s.prepared.Load() {
		return true
	}
	wq, err := sqlitedb.Prepare(ctx, s.writeDBTX())
	if err != nil {
		s.log.Debug("sqlite statements not prepared yet", "err", err)
		return false
	}
	rq := wq
	if !s.memory {
		if rq, err = sqlitedb.Prepare(ctx, s.rdb); err != nil {
			wq.Close()
			s.log.Debug("sqlite statements not prepared yet", "err", err)
			return false
		}
	}
	s.wq.Store(wq)
	s.rq.Store(rq)
	s.prepared.Store(true)
	return true
}

// writeDBTX is what the write queries run on: the held connection in file
// mode, the one-connection pool in memory mode.
func (s *Store) writeDBTX() sqlitedb.DBTX {
	if s.wconn != nil {
		return s.wconn
	}
	return s.wdb
}

// Migrate applies every pending migration, then prepares the statements.
func (s *Store) Migrate(ctx context.Context) error {
	results, err := s.migrations.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.log.Info("migration applied", "engine", "sqlite",
				"version", r.Source.Version, "name", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if !s.prepare(ctx) {
		return errors.New("sqlite: migrate: statements do not prepare against the migrated schema")
	}
	return nil
}

// Info reports the engine, SQLite's version and each migration's state.
func (s *Store) Info(ctx context.Context) (ports.StoreInfo, error) {
	info := ports.StoreInfo{Engine: "sqlite"}
	if err := s.rdb.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&info.Version); err != nil {
		return info, fmt.Errorf("sqlite: version: %w", err)
	}
	status, err := s.migrations.Status(ctx)
	if err != nil {
		return info, fmt.Errorf("sqlite: migration status: %w", err)
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

// Ping checks the write connection and the read pool.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.wconn != nil {
		err = s.wconn.PingContext(ctx)
	} else {
		err = s.wdb.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close waits for running transactions, refuses new ones and releases the
// prepared statements and connections. An in-memory database is gone
// afterwards.
func (s *Store) Close() error {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return nil
	}
	s.closed = true
	s.qmu.Unlock()
	// Let a running batch, and the callers already queued behind it,
	// finish before the connections go.
	for {
		s.qmu.Lock()
		busy := s.busy
		s.qmu.Unlock()
		if !busy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var errs []error
	if s.checkpointer != nil {
		errs = append(errs, s.checkpointer.close())
	}
	if s.prepared.Load() {
		rq, wq := s.rq.Load(), s.wq.Load()
		if rq != wq {
			errs = append(errs, rq.Close())
		}
		errs = append(errs, wq.Close())
	}
	for _, stmt := range []*sql.Stmt{s.beginStmt, s.commitStmt, s.rbStmt} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.mdb != nil && s.mdb != s.wdb {
		errs = append(errs, s.mdb.Close())
	}
	if s.rdb != nil && s.rdb != s.wdb {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// DueOutbox returns messages due at now, the earliest due first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]ports.OutboxMessage, error) {
	rows, err := s.rq.Load().DueOutbox(ctx, sqlitedb.DueOutboxParams{Now: now.UTC(), Limit: lim(limit)})
	if err != nil {
		return nil, wrap("due outbox", err)
	}
	out := make([]ports.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = outboxMessage(r)
	}
	return out, nil
}

// DeleteOutbox removes delivered messages; unknown ids are ignored. Like
// every write it goes through the writer.
func (s *Store) DeleteOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.WithinTx(ctx, func(ctx context.Context, ptx ports.Tx) error {
		t := ptx.(*tx)
		return wrap("delete outbox", t.q.DeleteOutbox(t.c(ctx), ids))
	})
}

// DeferOutbox counts a failed attempt and schedules the next one. It
// returns domain.ErrNotFound when the message is gone.
func (s *Store) DeferOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	return s.WithinTx(ctx, func(ctx context.Context, ptx ports.Tx) error {
		t := ptx.(*tx)
		n, err := t.q.DeferOutbox(t.c(ctx), sqlitedb.DeferOutboxParams{NextTry: next.UTC(), LastError: lastError, ID: id})
		return changed("defer outbox", n, err)
	})
}

// OutboxSize counts undelivered messages.
func (s *Store) OutboxSize(ctx context.Context) (int64, error) {
	n, err := s.rq.Load().OutboxSize(ctx)
	return n, wrap("outbox size", err)
}
