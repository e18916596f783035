package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/mysql/internal/mydb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Attempt runs body in a transaction on one connection of the transaction
// pool, whose sessions run with autocommit off: the first statement opens
// the transaction, and the last request carries COMMIT.
func (s *pools) Attempt(ctx context.Context, body func(ctx context.Context, c sqlstore.TxConn) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	pool := s.wdb
	if _, bulk := ports.BulkTimeout(ctx); bulk {
		pool = s.bulk
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return errs.Wrap("connect", err)
	}
	defer conn.Close()
	p := &pipe{conn: conn, ctx: context.WithoutCancel(ctx)}
	p.deadline, _ = ctx.Deadline()
	p.q = mydb.New(p).Shared()
	finished := false
	defer func() {
		// body panicked: undo, and let the panic go on.
		if !finished {
			p.rollback()
		}
	}()
	err = body(ctx, p)
	finished = true
	if err == nil || p.err != nil {
		// The server ended the transaction, or a queued write failed:
		// whatever body made of that, the attempt is void; and past its
		// deadline it commits nothing.
		if rerr := p.ready(); rerr != nil {
			err = rerr
		}
	}
	if err != nil {
		p.rollback()
		return err
	}
	if err := p.commit(); err != nil {
		// A failed queued write stops the request before COMMIT; the
		// driver answers ErrBadConn only when it sent nothing.
		p.rollback()
		return errs.CommitError(err, errors.Is(err, driver.ErrBadConn))
	}
	return nil
}

// pipe is one transaction attempt: the core's TxConn, and the DBTX its
// queries run on. It batches: writes whose only answer is an error
// (inserts, upserts, saves of rows this transaction has locked) are queued
// and sent with the next statement that needs an answer, as one
// multi-statement request, so that a market order's five writes and its
// COMMIT cost one network round trip.
//
// The connection runs with autocommit off (see Open), so the first
// statement opens the transaction implicitly and no START TRANSACTION
// round trip is needed; COMMIT or ROLLBACK always ends it before the
// connection goes back to the pool, and a connection whose state is in
// doubt is closed instead.
//
// A queued write's error surfaces with the request that carries it. Such
// an error marks the transaction broken (err), so that nothing queued
// after it can be committed.
//
// Statements run with ctx, the attempt's context without its cancellation
// and deadline: the driver answers a cancelled statement by closing the
// connection, which during COMMIT would leave the outcome unknown, and a
// context that can end has database/sql and the driver watch every
// statement from other goroutines, a third of a market order's CPU. The
// deadline is checked before each statement instead, and the transaction
// pool's socket timeouts bound one once sent (see Open).
type pipe struct {
	conn     *sql.Conn
	ctx      context.Context
	deadline time.Time
	q        sqldb.Queries
	// err is the first error that broke the transaction: one the server
	// answered by ending it (after a deadlock InnoDB has rolled it back,
	// and a later statement would start a new one), or a queued write's.
	// Once it is set every statement is refused, and Attempt rolls back
	// (and the core retries, when err is a race) even if body swallowed
	// the error.
	err error
	// queued holds the statements to send ahead of the next answered one,
	// each ending with ";\n"; args their arguments in order.
	queued strings.Builder
	args   []any
	n      int
	// queueNext makes the next ExecContext queue its statement; Write
	// sets it just before a write whose answer it does not need.
	queueNext bool
	// open is set once a statement has reached the server, which opened
	// the transaction that must now be ended.
	open bool
}

// ready refuses a statement in a transaction that is broken or out of
// time.
func (p *pipe) ready() error {
	if p.err != nil {
		return errs.Wrap("write", p.err)
	}
	if !p.deadline.IsZero() && !time.Now().Before(p.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Start refuses a statement in a broken or late transaction, sends the
// queued writes ahead of a read so that it sees them, and queues a blind
// write; the others go at once, since a multi-statement request answers
// only its last statement's row count.
func (p *pipe) Start(_ context.Context, _ string, kind sqlstore.Kind) (context.Context, sqldb.Queries, error) {
	err := p.ready()
	if err == nil && kind == sqlstore.Read {
		err = p.flush()
	}
	p.queueNext = err == nil && kind == sqlstore.Blind
	return p.ctx, p.q, err
}

// Finish marks the transaction broken when the server ended it.
func (p *pipe) Finish(kind sqlstore.Kind, n int64, err error) (int64, error) {
	if err != nil {
		if p.err == nil && errs.Class(err) == sqlstore.Race {
			p.err = err
		}
		return 0, err
	}
	if kind == sqlstore.MustChange && n == 0 {
		// The connection counts found rows, so an update that writes
		// the values already stored still counts.
		return 0, domain.ErrNotFound
	}
	return n, nil
}

func (p *pipe) queue(query string, args []any) {
	p.queued.WriteString(query)
	p.queued.WriteString(";\n")
	p.args = append(p.args, args...)
	p.n++
}

// take returns query preceded by what is queued, with their arguments,
// and empties the queue.
func (p *pipe) take(query string, args []any) (string, []any) {
	if p.n == 0 {
		return query, args
	}
	p.queued.WriteString(query)
	q, a := p.queued.String(), append(p.args, args...)
	p.queued.Reset()
	p.args, p.n = nil, 0
	return q, a
}

// ExecContext queues the statement when asked to, and otherwise sends it
// behind what is queued, in one request; the result is the last
// statement's.
func (p *pipe) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if p.queueNext {
		p.queueNext = false
		p.queue(query, args)
		return queuedResult{}, nil
	}
	batched := p.n > 0
	query, args = p.take(query, args)
	p.open = true
	res, err := p.conn.ExecContext(p.ctx, query, args...)
	if err != nil && batched && p.err == nil {
		// A queued write may be the one that failed.
		p.err = err
	}
	return res, err
}

// QueryContext runs a read. Read flushes queued writes first, so there
// are none here.
func (p *pipe) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	p.open = true
	return p.conn.QueryContext(p.ctx, query, args...)
}

// QueryRowContext runs a read of one row, like QueryContext.
func (p *pipe) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	p.open = true
	return p.conn.QueryRowContext(p.ctx, query, args...)
}

// PrepareContext is never used: the queries are not prepared here.
func (p *pipe) PrepareContext(_ context.Context, query string) (*sql.Stmt, error) {
	return p.conn.PrepareContext(p.ctx, query)
}

// flush sends the queued writes on their own.
func (p *pipe) flush() error {
	if p.n == 0 {
		return nil
	}
	query, args := p.take("", nil)
	p.open = true
	if _, err := p.conn.ExecContext(p.ctx, strings.TrimSuffix(query, ";\n"), args...); err != nil {
		if p.err == nil {
			p.err = err
		}
		return err
	}
	return nil
}

// commit sends the queued writes and COMMIT in one request.
func (p *pipe) commit() error {
	if p.n == 0 && !p.open {
		return nil
	}
	_, err := p.ExecContext(p.ctx, "COMMIT")
	return err
}

// rollback ends the transaction without keeping anything. When the
// connection cannot confirm it, the connection is closed rather than
// handed to the next caller with a transaction possibly still open.
func (p *pipe) rollback() {
	p.take("", nil)
	if !p.open {
		return
	}
	if _, err := p.conn.ExecContext(p.ctx, "ROLLBACK"); err != nil {
		p.discard()
	}
}

// discard closes the connection instead of returning it to the pool.
func (p *pipe) discard() {
	_ = p.conn.Raw(func(any) error { return driver.ErrBadConn })
}

// queuedResult answers a queued write: it will change its row (the
// statements queued are inserts and saves of rows the transaction has
// locked), or fail the transaction.
type queuedResult struct{}

func (queuedResult) LastInsertId() (int64, error) { return 0, nil }
func (queuedResult) RowsAffected() (int64, error) { return 1, nil }
