package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stocking-kr/stocking/adapters/sqlstore/sqlite/internal/sqlitedb"
	"github.com/stocking-kr/stocking/ports"
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

// txRequest is one WithinTx call.
type txRequest struct {
	ctx context.Context
	fn  func(ctx context.Context, tx ports.Tx) error
	// done receives the outcome, or a result with lead set when this
	// caller is to lead the next batch.
	done chan txResult
}

// txResult is a transaction's outcome. A panic in fn is carried back to
// the caller's goroutine and raised there.
type txResult struct {
	err      error
	panicked bool
	panicVal any
	// wrote says the function may have changed rows before it failed.
	wrote bool
	// lead hands the writer to a queued caller.
	lead bool
}

func (r txResult) failed() bool { return r.err != nil || r.panicked }

// WithinTx runs fn in a transaction on the write connection. Transactions
// run one at a time, so Lock* methods need no row locks. A transaction
// that meets SQLITE_BUSY or SQLITE_LOCKED (another process holds the file)
// is run again after a short, jittered pause.
//
// fn may run on another caller's goroutine (see Group commit above) and
// must use tx, never the Store: in memory mode the Store has one
// connection and would wait for itself. Statements inside fn are not
// interrupted by ctx: SQLite answers an interrupted write by rolling back
// the whole transaction, which may carry other callers' work.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.submit(ctx, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}
		pause := time.Duration(attempt*attempt)*10*time.Millisecond +
			rand.N(10*time.Millisecond)
		s.log.Warn("sqlite transaction busy, retrying", "attempt", attempt, "pause", pause, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// submit runs fn as the leader when the writer is idle, and otherwise
// queues it and waits: for its outcome, which the leader sends after the
// commit whatever happens to ctx meanwhile, or for the writer to be handed
// to it.
func (s *Store) submit(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &txRequest{ctx: ctx, fn: fn}
	s.qmu.Lock()
	switch {
	case s.closed:
		s.qmu.Unlock()
		return errClosed
	case !s.busy:
		s.busy = true
		s.qmu.Unlock()
	default:
		req.done = make(chan txResult, 1)
		s.queue = append(s.queue, req)
		s.qmu.Unlock()
		res := <-req.done
		if !res.lead {
			return res.unwrap()
		}
	}
	res := s.lead(req)
	return res.unwrap()
}

// unwrap raises a carried panic or returns the error.
func (r txResult) unwrap() error {
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// lead runs one batch that starts with first, answers the others in it,
// and passes the writer on to the next queued caller (or leaves it idle).
// It returns first's outcome.
//
// The hand-over is deferred so that it also happens when a function ends
// its goroutine with runtime.Goexit (a test's t.FailNow inside fn): the
// writer must never be left to a goroutine that is gone.
func (s *Store) lead(first *txRequest) txResult {
	defer s.handOver()
	return s.runBatch(first)
}

// handOver gives the writer to the first queued caller, or marks it idle.
func (s *Store) handOver() {
	s.qmu.Lock()
	if len(s.queue) == 0 {
		s.busy = false
		s.qmu.Unlock()
		return
	}
	next := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	s.qmu.Unlock()
	next.done <- txResult{lead: true}
}

// take removes the next queued request, if any.
func (s *Store) take() *txRequest {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	req := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	return req
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
func (s *Store) runBatch(first *txRequest) txResult {
	if err := first.ctx.Err(); err != nil {
		// A caller handed the writer after its context ended.
		return txResult{err: err}
	}
	w, err := s.begin()
	if err != nil {
		return txResult{err: err}
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
		s.rollback(w)
		for _, r := range append(batch, current) {
			if r != nil {
				r.done <- txResult{err: errGoexit}
			}
		}
		for _, h := range held {
			h.req.done <- txResult{err: errGoexit}
		}
	}()
	self := call(first, w.q)
	if self.failed() {
		s.rollback(w)
		finished = true
		return self
	}
	start := time.Now()
	for len(batch) < maxBatch-1 && time.Since(start) < maxBatchTime {
		req := s.take()
		if req == nil {
			break
		}
		if err := req.ctx.Err(); err != nil {
			req.done <- txResult{err: err}
			continue
		}
		current = req
		res := call(req, w.q)
		current = nil
		switch {
		case !res.failed():
			batch = append(batch, req)
		case !res.wrote:
			held = append(held, heldAnswer{req, res})
		default:
			s.rollback(w)
			finished = true
			// The held requests decided against writes that are now
			// undone: they run again too.
			rest := append(batch, req)
			for _, h := range held {
				rest = append(rest, h.req)
			}
			return s.replay(first, rest)
		}
	}
	finished = true
	if err := s.commit(w); err != nil {
		if len(batch) > 0 {
			s.log.Warn("sqlite batch commit failed", "transactions", len(batch)+1, "err", err)
		}
		// The functions succeeded but nothing of them was saved; WithinTx
		// runs them again when err is retryable.
		for _, req := range batch {
			req.done <- txResult{err: err}
		}
		for _, h := range held {
			h.req.done <- txResult{err: err}
		}
		return txResult{err: err}
	}
	for _, req := range batch {
		req.done <- txResult{}
	}
	for _, h := range held {
		h.req.done <- h.res
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
func (s *Store) replay(first *txRequest, rest []*txRequest) txResult {
	next := 0
	defer func() {
		for _, r := range rest[next:] {
			r.done <- txResult{err: errGoexit}
		}
	}()
	self := s.runAlone(first)
	for next < len(rest) {
		res := s.runAlone(rest[next])
		rest[next].done <- res
		next++
	}
	return self
}

// runAlone runs one request in a transaction of its own.
func (s *Store) runAlone(req *txRequest) txResult {
	if err := req.ctx.Err(); err != nil {
		return txResult{err: err}
	}
	w, err := s.begin()
	if err != nil {
		return txResult{err: err}
	}
	returned := false
	defer func() {
		if !returned { // fn exited its goroutine
			s.rollback(w)
		}
	}()
	res := call(req, w.q)
	returned = true
	if res.failed() {
		s.rollback(w)
		return res
	}
	res.err = s.commit(w)
	return res
}

// writeTx is the SQLite transaction of one batch and the queries that run
// in it.
type writeTx struct {
	q  *sqlitedb.Queries
	tx *sql.Tx // memory mode only
}

// begin opens a write transaction. Its statements run without the
// callers' cancellation (see WithinTx); BEGIN IMMEDIATE waits at most
// busy_timeout for another process.
func (s *Store) begin() (writeTx, error) {
	bg := context.Background()
	if s.wconn == nil {
		tx, err := s.wdb.BeginTx(bg, nil)
		if err != nil {
			return writeTx{}, fmt.Errorf("sqlite: begin: %w", err)
		}
		return writeTx{q: s.wq.Load().WithTx(tx), tx: tx}, nil
	}
	if _, err := s.beginStmt.ExecContext(bg); err != nil {
		return writeTx{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	return writeTx{q: s.wq.Load()}, nil
}

// commit commits, and on failure makes sure no transaction stays open: a
// COMMIT that fails with SQLITE_BUSY leaves it open.
func (s *Store) commit(w writeTx) error {
	var err error
	if w.tx != nil {
		err = w.tx.Commit()
	} else if _, err = s.commitStmt.ExecContext(context.Background()); err != nil {
		s.rollback(w)
	}
	if err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// rollback ends the transaction. Its error is of no use: the one thing
// that makes ROLLBACK fail is that SQLite already rolled back by itself.
func (s *Store) rollback(w writeTx) {
	if w.tx != nil {
		w.tx.Rollback()
		return
	}
	s.rbStmt.ExecContext(context.Background())
}

// call runs a request's function on a fresh Tx over q, turning a panic
// into a result.
func call(req *txRequest, q *sqlitedb.Queries) (res txResult) {
	t := &tx{reader: reader{q: q, inTx: true}}
	defer func() {
		if v := recover(); v != nil {
			res = txResult{panicked: true, panicVal: v}
		}
		res.wrote = t.wrote
	}()
	return txResult{err: req.fn(req.ctx, t)}
}

// retryable reports whether err is SQLite's "the database is locked by
// someone else", which a fresh attempt may not meet.
func retryable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}
