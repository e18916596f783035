package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/leader"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/domain"
)

// Group commit.
//
// SQLite has one writer at a time, and most of a short transaction's cost
// is its commit: every page it changed is written to the WAL. So
// transactions that queue up behind the writer share a commit. The caller
// that finds the writer idle becomes the leader: it runs its own function
// in a new transaction, then the functions of the callers that queued
// meanwhile, one after another in the same transaction, and commits once
// for all of them. The pages they share (the right edge of the orders,
// executions and ledger trees, a popular holding) are then written once
// per batch instead of once per order. An idle store runs each transaction
// on its caller's goroutine, with no hand-off at all.
//
// Every caller learns its outcome only after the commit, so nothing it is
// told succeeded can be lost, and transactions stay strictly serial: each
// sees everything committed or batched before it.
const (
	// maxBatch bounds the transactions in one commit.
	maxBatch = 64
	// maxBatchTime stops a batch from taking more callers once it has run
	// this long, which bounds the latency the first caller sees.
	maxBatchTime = 5 * time.Millisecond
)

// errClosed answers transactions submitted to a closed store.
var errClosed = errors.New("sqlite: store is closed")

// errGoexit answers the transactions of a batch in which a function ended
// its goroutine instead of returning.
var errGoexit = errors.New("sqlite: a transaction function in the same batch exited its goroutine; nothing was saved")

// txRequest is one transaction attempt: its function, run on the write
// connection in a batch (see leader).
type txRequest = leader.Call[txBody, txResult]

type txBody = func(ctx context.Context, c sqlstore.TxConn) error

// txResult is a transaction's outcome: its error, or its panic, raised
// again on the caller's goroutine.
type txResult = leader.Outcome

// Attempt runs body in a transaction on the write connection: as the
// leader when the writer is idle, and otherwise queued, waiting for its
// outcome (sent after the commit) or for the writer to be handed to it.
// body may run on another caller's goroutine and must use its
// transaction, never the Store: in memory mode the Store has one
// connection and would wait for itself. Statements inside body are not
// interrupted, by ctx nor by its deadline: SQLite answers an interrupted
// write by rolling back the whole transaction, which may carry other
// callers' work. The deadline bounds the wait for the writer instead.
func (d *driver) Attempt(ctx context.Context, body func(ctx context.Context, c sqlstore.TxConn) error) error {
	res, err := d.writer.Do(leader.NewCall[txBody, txResult](ctx, body), d.runBatch)
	if errors.Is(err, leader.ErrClosed) {
		return errClosed
	}
	if err != nil {
		return err
	}
	return res.Unwrap()
}

// runBatch runs first in a new transaction, then the requests queued
// meanwhile (up to maxBatch and maxBatchTime), commits once, answers every
// request but first, and returns first's outcome.
//
// A function that fails without having changed anything (the usual case:
// a check such as insufficient funds fails before the writes) drops out of
// the batch, but its answer waits for the commit: its failure may rest on
// what the batch wrote (a duplicate client_order_id, funds another member
// spent), and a caller told before the commit could look for that state and
// not find it yet. One that fails after changing rows cannot be undone alone
// without savepoints, whose page copies cost more than batching saves;
// then the batch is rolled back and its requests run again, one
// transaction each.
func (d *driver) runBatch(first *txRequest) txResult {
	if err := first.Ctx.Err(); err != nil {
		// A caller handed the writer after its context ended.
		return txResult{Err: err}
	}
	w, err := d.begin()
	if err != nil {
		return txResult{Err: err}
	}
	// If a function ends its goroutine (runtime.Goexit), nothing below
	// runs but this: roll back and answer everyone the batch holds.
	var batch []*txRequest
	var held []heldAnswer // failed without writing; answered after the commit
	var current *txRequest
	finished := false
	defer func() {
		if finished {
			return
		}
		d.rollback(w)
		for _, r := range append(batch, current) {
			if r != nil {
				r.Answer(txResult{Err: errGoexit})
			}
		}
		for _, h := range held {
			h.req.Answer(txResult{Err: errGoexit})
		}
	}()
	self, _ := call(first, w.q)
	if self.Failed() {
		d.rollback(w)
		finished = true
		return self
	}
	start := time.Now()
	for len(batch) < maxBatch-1 && time.Since(start) < maxBatchTime {
		req := d.writer.Take()
		if req == nil {
			break
		}
		if err := req.Ctx.Err(); err != nil {
			req.Answer(txResult{Err: err})
			continue
		}
		current = req
		res, wrote := call(req, w.q)
		current = nil
		switch {
		case !res.Failed():
			batch = append(batch, req)
		case !wrote:
			held = append(held, heldAnswer{req, res})
		default:
			d.rollback(w)
			finished = true
			// The held requests decided against writes that are now
			// undone: they run again too.
			rest := append(batch, req)
			for _, h := range held {
				rest = append(rest, h.req)
			}
			return d.replay(first, rest)
		}
	}
	finished = true
	if err := d.commit(w); err != nil {
		if len(batch) > 0 {
			d.log.Warn("sqlite batch commit failed", "transactions", len(batch)+1, "err", err)
		}
		// The functions succeeded but nothing of them was saved; WithinTx
		// runs them again when err is retryable.
		for _, req := range batch {
			req.Answer(txResult{Err: err})
		}
		for _, h := range held {
			h.req.Answer(txResult{Err: err})
		}
		return txResult{Err: err}
	}
	for _, req := range batch {
		req.Answer(txResult{})
	}
	for _, h := range held {
		h.req.Answer(h.res)
	}
	return self
}

// heldAnswer is a failed request's result, kept until its batch commits.
type heldAnswer struct {
	req *txRequest
	res txResult
}

// replay runs first, then each of rest, in a transaction of its own,
// answering rest as it goes, and returns first's outcome. Should a
// function exit its goroutine, the requests not yet answered get
// errGoexit.
func (d *driver) replay(first *txRequest, rest []*txRequest) txResult {
	next := 0
	defer func() {
		for _, r := range rest[next:] {
			r.Answer(txResult{Err: errGoexit})
		}
	}()
	self := d.runAlone(first)
	for next < len(rest) {
		res := d.runAlone(rest[next])
		rest[next].Answer(res)
		next++
	}
	return self
}

// runAlone runs one request in a transaction of its own.
func (d *driver) runAlone(req *txRequest) txResult {
	if err := req.Ctx.Err(); err != nil {
		return txResult{Err: err}
	}
	w, err := d.begin()
	if err != nil {
		return txResult{Err: err}
	}
	returned := false
	defer func() {
		if !returned { // fn exited its goroutine
			d.rollback(w)
		}
	}()
	res, _ := call(req, w.q)
	returned = true
	if res.Failed() {
		d.rollback(w)
		return res
	}
	res.Err = d.commit(w)
	return res
}

// writeTx is the SQLite transaction of one batch and the queries that run
// in it.
type writeTx struct {
	q  *sqlitedb.Queries
	tx *sql.Tx // memory mode only
}

// begin opens a write transaction. Its statements run without the
// callers' cancellation (see Attempt); BEGIN IMMEDIATE waits at most
// busy_timeout for another process.
func (d *driver) begin() (writeTx, error) {
	bg := context.Background()
	if d.wconn == nil {
		tx, err := d.wdb.BeginTx(bg, nil)
		if err != nil {
			return writeTx{}, fmt.Errorf("sqlite: begin: %w", err)
		}
		return writeTx{q: d.wq.Load().WithTx(tx), tx: tx}, nil
	}
	if _, err := d.beginStmt.ExecContext(bg); err != nil {
		return writeTx{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	return writeTx{q: d.wq.Load()}, nil
}

// commit commits, and on failure makes sure no transaction stays open: a
// COMMIT that fails with SQLITE_BUSY leaves it open.
func (d *driver) commit(w writeTx) error {
	var err error
	if w.tx != nil {
		err = w.tx.Commit()
	} else if _, err = d.commitStmt.ExecContext(context.Background()); err != nil {
		d.rollback(w)
	}
	if err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// rollback ends the transaction. Its error is of no use: the one thing
// that makes ROLLBACK fail is that SQLite already rolled back by itself.
func (d *driver) rollback(w writeTx) {
	if w.tx != nil {
		w.tx.Rollback()
		return
	}
	d.rbStmt.ExecContext(context.Background())
}

// call runs a request's body over q, turning a panic into a result, and
// says whether the body may have changed rows.
func call(req *txRequest, q *sqlitedb.Queries) (res txResult, wrote bool) {
	c := &txConn{q: q.Shared()}
	res = leader.Catch(req.Work, req.Ctx, sqlstore.TxConn(c))
	return res, c.wrote
}

// txConn is what one body sees: the write connection's IMMEDIATE
// transaction, which it may share with bodies queued before or after it
// (never beside it). It holds SQLite's write lock and is the only writer,
// so locking reads are plain reads. Statements run without the caller's
// cancellation (see Attempt), which also spares the driver a watcher
// goroutine per statement.
type txConn struct {
	q sqldb.Queries
	// wrote is set once the transaction may have changed a row; the
	// writer uses it to tell a failed body it can simply drop from one
	// whose changes it must undo (see runBatch).
	wrote bool
}

// Start runs every statement at once, without the caller's cancellation.
func (c *txConn) Start(ctx context.Context, _ string, _ sqlstore.Kind) (context.Context, sqldb.Queries, error) {
	return context.WithoutCancel(ctx), c.q, nil
}

// Finish marks the transaction as written unless the write failed at the
// statement level: SQLite backs out a statement that breaks a constraint
// and keeps the rest of the transaction, and an update that matched no
// row changed nothing.
func (c *txConn) Finish(kind sqlstore.Kind, n int64, err error) (int64, error) {
	switch {
	case kind == sqlstore.Read:
		return 0, err
	case err != nil:
		if cl := classify(err); cl != sqlstore.Duplicate && cl != sqlstore.MissingParent {
			c.wrote = true
		}
		return 0, err
	case kind == sqlstore.MustChange && n == 0:
		return 0, domain.ErrNotFound
	}
	c.wrote = true
	return n, nil
}
