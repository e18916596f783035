package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
)

// pipe is the DBTX a transaction's queries run on. It batches: writes
// whose only answer is an error (inserts, upserts, saves of rows this
// transaction has locked) are queued and sent with the next statement
// that needs an answer, as one multi-statement request, so that a market
// order's five writes and its COMMIT cost one network round trip.
//
// The connection runs with autocommit off (see Open), so the first
// statement opens the transaction implicitly and no START TRANSACTION
// round trip is needed; COMMIT or ROLLBACK always ends it before the
// connection goes back to the pool, and a connection whose state is in
// doubt is closed instead.
//
// A queued write's error surfaces with the request that carries it. Such
// an error marks the transaction broken (txState.err), so that nothing
// queued after it can be committed.
//
// Statements run with ctx, the transaction's context without its
// cancellation: the driver answers a cancelled statement by closing the
// connection, which in the middle of COMMIT would leave the caller not
// knowing whether its order was booked. A statement is bounded instead by
// the server's lock-wait timeout and the connection's read timeout, and
// WithinTx checks the caller's context before each attempt. It also
// spares database/sql a watcher goroutine per read.
type pipe struct {
	conn *sql.Conn
	ctx  context.Context
	st   *txState
	// queued holds the statements to send ahead of the next answered one,
	// each ending with ";\n"; args their arguments in order.
	queued strings.Builder
	args   []any
	n      int
	// queueNext makes the next ExecContext queue its statement; the tx
	// sets it just before a write whose answer it does not need.
	queueNext bool
	// open is set once a statement has reached the server, which opened
	// the transaction that must now be ended.
	open bool
}

// pending is the number of statements waiting to be sent.
func (p *pipe) pending() int { return p.n }

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
	if err != nil && batched && p.st.err == nil {
		// A queued write may be the one that failed.
		p.st.err = err
	}
	return res, err
}

// QueryContext runs a read. The tx flushes queued writes before any read
// (see reader.ready), so there are none here.
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
		if p.st.err == nil {
			p.st.err = err
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
