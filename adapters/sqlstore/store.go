package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// DefaultStatementTimeout bounds each transaction attempt and each read
// when an engine's Config leaves its StatementTimeout at zero.
const DefaultStatementTimeout = 5 * time.Second

// Driver is an engine adapter's side of the store: its connections, and
// how it runs one transaction on them. The core (Store) does the rest.
type Driver interface {
	// Queries returns the statements for reads outside transactions.
	Queries() sqldb.Queries
	// Attempt runs body once in a new transaction on a connection of its
	// own, and commits when body returns nil; on an error, or a panic,
	// it rolls back (and lets the panic go on). It does not retry. A
	// commit whose answer was lost is reported with Errors.CommitError.
	Attempt(ctx context.Context, body func(ctx context.Context, c TxConn) error) error
	// Reset drops the idle connections after one was found broken: the
	// rest of a pool that outlived the server's restart is broken too.
	Reset()
	// Version returns the server's version, for `stocking db status`;
	// asking for it is also how Ping checks that the database answers.
	Version(ctx context.Context) (string, error)
	// Prepare is called once the migrations have run, for engines that
	// prepare their statements against the schema.
	Prepare(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// Retry is how WithinTx runs a transaction again after it lost a race.
type Retry struct {
	// Attempts bounds how often the transaction runs in all.
	Attempts int
	// Base is the first pause; each retry doubles it up to Max, drawn
	// from the window's upper half so that a deadlock's victims part.
	Base, Max time.Duration
}

func (r Retry) pause(attempt int) time.Duration {
	d := min(r.Max, r.Base<<min(attempt-1, 16))
	return d/2 + rand.N(d/2+1)
}

// Config is what an engine tells the core about itself.
type Config struct {
	// Errors names the engine and sorts its driver's errors.
	Errors Errors
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// StatementTimeout bounds each transaction attempt and each read
	// outside one; zero means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// Retry is how transactions that lost a race run again.
	Retry Retry
	// Migrations applies and reports the engine's schema.
	Migrations *goose.Provider
	// NegatedBuyKeys says that the engine files a resting buy under its
	// negated limit (MySQL: one ascending range per side, see its schema).
	NegatedBuyKeys bool
}

// Store implements ports.Store over a Driver. An engine's Store embeds
// it.
type Store struct {
	reader
	d    Driver
	cfg  Config
	errs Errors
}

var _ ports.Store = (*Store)(nil)

// New returns the store that runs on d.
func New(d Driver, cfg Config) *Store {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StatementTimeout <= 0 {
		cfg.StatementTimeout = DefaultStatementTimeout
	}
	cfg.Retry.Attempts = max(cfg.Retry.Attempts, 1)
	s := &Store{d: d, cfg: cfg, errs: cfg.Errors}
	s.reader = reader{s: s}
	return s
}

// priceKey is an order's key in the index of resting orders: its limit in
// whole won, negated for a buy where the engine says so.
func (s *Store) priceKey(side domain.Side, limit decimal.NullDecimal) sql.NullInt64 {
	if !limit.Valid {
		return sql.NullInt64{}
	}
	k := wholeWon(limit.Decimal)
	if s.cfg.NegatedBuyKeys && side == domain.Buy {
		k = -k
	}
	return sql.NullInt64{Int64: k, Valid: true}
}

// timeout is the bound of one read or transaction attempt under ctx: the
// statement timeout, or the longer one of a bulk operation
// (ports.WithBulkTimeout).
func (s *Store) timeout(ctx context.Context) time.Duration {
	if d, ok := ports.BulkTimeout(ctx); ok {
		return d
	}
	return s.cfg.StatementTimeout
}

// bounded runs op, which changes nothing, within the statement timeout,
// and once more on a fresh connection when its connection was broken.
func (s *Store) bounded(ctx context.Context, op func(ctx context.Context) error) error {
	bctx, cancel := context.WithTimeout(ctx, s.timeout(ctx))
	defer cancel()
	err := op(bctx)
	if s.reconnect(ctx, bctx, err) {
		s.d.Reset()
		err = op(bctx)
	}
	return s.outcome(ctx, bctx, err)
}

// reconnect reports whether an operation that failed with err may run
// again: its connection broke, not after COMMIT, and there is time left.
func (s *Store) reconnect(ctx, opCtx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && opCtx.Err() == nil &&
		s.errs.Class(err) == Unavailable && !errors.Is(err, ErrCommitUnknown)
}

// outcome is the error the caller sees for an operation run within opCtx,
// the statement deadline under the caller's ctx: the caller's own
// cancellation or deadline stays its own; the store's deadline or a lost
// connection is domain.ErrUnavailable.
func (s *Store) outcome(ctx, opCtx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrCommitUnknown):
		return err
	case ctx.Err() != nil && (contextError(err) || s.errs.Class(err) == Unavailable):
		return fmt.Errorf("%s: %w", s.errs.Engine, context.Cause(ctx))
	case opCtx.Err() != nil && (contextError(err) || s.errs.Class(err) == Unavailable):
		if errors.Is(err, domain.ErrUnavailable) {
			return fmt.Errorf("%s: no answer within %s: %w", s.errs.Engine, s.timeout(ctx), err)
		}
		return fmt.Errorf("%s: no answer within %s: %w: %w", s.errs.Engine, s.timeout(ctx), domain.ErrUnavailable, err)
	case s.errs.Class(err) == Unavailable && !errors.Is(err, domain.ErrUnavailable):
		return fmt.Errorf("%s: %w: %w", s.errs.Engine, domain.ErrUnavailable, err)
	}
	return err
}

// WithinTx runs fn in a transaction and commits when it returns nil. Each
// attempt has the statement timeout. One that lost a race (deadlock,
// serialization failure, lock timeout) runs again after a short random
// pause; one whose connection broke before COMMIT runs once more on a
// fresh connection within the same deadline. A panic in fn rolls back
// and goes on to the caller.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	return s.transact(ctx, func(ctx context.Context, t *tx) error { return fn(ctx, t) })
}

func (s *Store) transact(ctx context.Context, fn func(ctx context.Context, t *tx) error) error {
	body := func(ctx context.Context, c TxConn) error {
		t := &tx{conn: c, s: s}
		t.reader = reader{s: s, t: t}
		return fn(ctx, t)
	}
	for attempt := 1; ; attempt++ {
		if attempt == 2 {
			ctx = context.WithValue(ctx, againKey{}, true)
		}
		err := s.attempt(ctx, body)
		if err == nil || attempt >= s.cfg.Retry.Attempts || s.errs.Class(err) != Race {
			return err
		}
		pause := s.cfg.Retry.pause(attempt)
		s.cfg.Logger.Debug(s.errs.Engine+" transaction lost a race; retrying", "attempt", attempt, "pause", pause, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// attempt runs body once within the statement timeout, and once more when
// the connection broke before anything was committed.
func (s *Store) attempt(ctx context.Context, body func(ctx context.Context, c TxConn) error) error {
	actx, cancel := context.WithTimeout(ctx, s.timeout(ctx))
	defer cancel()
	err := s.d.Attempt(actx, body)
	if s.reconnect(ctx, actx, err) {
		s.cfg.Logger.Debug(s.errs.Engine+" connection lost; running the transaction again on a fresh one", "err", err)
		s.d.Reset()
		err = s.d.Attempt(context.WithValue(actx, againKey{}, true), body)
	}
	return s.outcome(ctx, actx, err)
}

// againKey marks the context of a transaction's second and later
// attempts.
type againKey struct{}

// Again reports whether ctx is the context of a transaction attempt that
// runs again: the first lost a race or its connection. An engine that
// groups transactions runs such an attempt on its own, so that whatever
// failed the group does not fail it twice.
func Again(ctx context.Context) bool {
	again, _ := ctx.Value(againKey{}).(bool)
	return again
}

// Ping checks that the database answers within the statement timeout.
func (s *Store) Ping(ctx context.Context) error {
	return s.bounded(ctx, func(ctx context.Context) error {
		_, err := s.d.Version(ctx)
		return s.errs.Wrap("ping", err)
	})
}

// Info reports the engine, the server's version and each migration's
// state.
func (s *Store) Info(ctx context.Context) (ports.StoreInfo, error) {
	info := ports.StoreInfo{Engine: s.errs.Engine}
	var status []*goose.MigrationStatus
	err := s.bounded(ctx, func(ctx context.Context) (err error) {
		if info.Version, err = s.d.Version(ctx); err != nil {
			return s.errs.Wrap("version", err)
		}
		status, err = s.cfg.Migrations.Status(ctx)
		return s.errs.Wrap("migration status", err)
	})
	for _, m := range status {
		info.Migrations = append(info.Migrations, ports.Migration{
			Version:   m.Source.Version,
			Name:      filepath.Base(m.Source.Path),
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt,
		})
	}
	return info, err
}

// Migrations returns the goose provider for an engine's migrations: the
// files in dir of fsys, applied through db.
func Migrations(dialect goose.Dialect, db *sql.DB, fsys fs.FS, dir string, opts ...goose.ProviderOption) (*goose.Provider, error) {
	files, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, db, files, append(opts, goose.WithDisableGlobalRegistry(true))...)
}

// Migrate applies every pending migration. It has no deadline: a
// migration takes as long as the schema change it makes.
func (s *Store) Migrate(ctx context.Context) error {
	results, err := s.cfg.Migrations.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			s.cfg.Logger.Info("migration applied", "engine", s.errs.Engine,
				"version", r.Source.Version, "name", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err == nil {
		err = s.d.Prepare(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", s.errs.Engine, err)
	}
	return nil
}

// Close releases the engine's connections.
func (s *Store) Close() error { return s.d.Close() }

// DueOutbox returns messages due at now, the earliest due first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, n int) ([]ports.OutboxMessage, error) {
	return list(s.reader, ctx, "due outbox", sqldb.Queries.DueOutbox,
		sqldb.DueOutboxParams{Now: now.UTC(), Limit: limit(n)}, outboxMessage)
}

// ClaimOutbox takes due messages for owner until the given time, in one
// transaction: the read locks the rows it returns and skips those another
// claim has locked (SQLite's single writer makes every claim exclusive),
// and the lease moves their next try past now.
func (s *Store) ClaimOutbox(ctx context.Context, now, until time.Time, owner string, n int) ([]ports.OutboxMessage, error) {
	var msgs []ports.OutboxMessage
	err := s.transact(ctx, func(ctx context.Context, t *tx) (err error) {
		msgs, err = list(t.reader, ctx, "claim outbox", sqldb.Queries.ClaimOutbox,
			sqldb.ClaimOutboxParams{Now: now.UTC(), Limit: limit(n)}, outboxMessage)
		if err != nil || len(msgs) == 0 {
			return err
		}
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		return blind(t, ctx, "lease outbox", sqldb.Queries.LeaseOutbox,
			sqldb.LeaseOutboxParams{LeasedUntil: until.UTC(), Owner: truncate(owner, maxOwner), Ids: ids})
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// DeleteOutbox removes delivered messages and counts those it found;
// unknown ids are ignored.
func (s *Store) DeleteOutbox(ctx context.Context, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	err := s.transact(ctx, func(ctx context.Context, t *tx) (err error) {
		n, err = exec(t, ctx, "delete outbox", Counted, sqldb.Queries.DeleteOutbox, ids)
		return err
	})
	return n, err
}

// DeferOutbox counts a failed attempt and schedules the next one. It
// returns domain.ErrNotFound when the message is gone.
func (s *Store) DeferOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	return s.transact(ctx, func(ctx context.Context, t *tx) error {
		_, err := exec(t, ctx, "defer outbox", MustChange, sqldb.Queries.DeferOutbox,
			sqldb.DeferOutboxParams{NextTry: next.UTC(), LastError: truncate(lastError, maxLastError), ID: id})
		return err
	})
}

// OutboxSize counts undelivered messages.
func (s *Store) OutboxSize(ctx context.Context) (int64, error) {
	return one(s.reader, ctx, "outbox size", noArgs(sqldb.Queries.OutboxSize), struct{}{})
}
