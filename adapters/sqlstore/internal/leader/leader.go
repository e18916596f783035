// Package leader runs callers' work in batches on one runner (a
// connection, a lane) without a goroutine of its own. The caller that
// finds the runner idle becomes the leader: it runs a batch that starts
// with its own work and takes in the work queued meanwhile (Take),
// answers each caller it took (Answer), then hands the runner to the
// next caller still queued, or leaves it idle. The other callers wait for
// their answer or for the runner.
package leader

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrClosed answers work submitted to a closed queue.
var ErrClosed = errors.New("leader: the queue is closed")

// Queue is one runner and the calls waiting for it. The zero value is
// an idle queue.
type Queue[W, R any] struct {
	mu     sync.Mutex
	busy   bool
	closed bool
	calls  []*Call[W, R]
}

// Call is one caller's work W and, once answered, its result R.
type Call[W, R any] struct {
	Ctx  context.Context
	Work W
	done chan answer[R]
}

type answer[R any] struct {
	res R
	// lead hands the runner to the call's caller.
	lead bool
}

// NewCall returns a call of work on behalf of ctx. Its answer has room
// to wait, so that no leader ever waits for a caller to read it.
func NewCall[W, R any](ctx context.Context, work W) *Call[W, R] {
	return &Call[W, R]{Ctx: ctx, Work: work, done: make(chan answer[R], 1)}
}

// Answer sends a call taken from the queue its result.
func (c *Call[W, R]) Answer(res R) { c.done <- answer[R]{res: res} }

// Do runs c and returns its result: by lead(c) on the caller's goroutine
// when the runner is idle or is handed to it, or as answered by the
// leader of a batch that took it. It returns an error only when nothing
// of c ran: c's context ended before a leader took it (that context's
// error) or the queue is closed (ErrClosed).
//
// The runner is handed on after lead returns or ends its goroutine
// (runtime.Goexit, a test's t.FailNow): it is never left to a goroutine
// that is gone.
func (q *Queue[W, R]) Do(c *Call[W, R], lead func(first *Call[W, R]) R) (R, error) {
	var zero R
	if err := c.Ctx.Err(); err != nil {
		return zero, err
	}
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return zero, ErrClosed
	case !q.busy:
		q.busy = true
		q.mu.Unlock()
	default:
		q.calls = append(q.calls, c)
		q.mu.Unlock()
		a, err := q.wait(c)
		if err != nil || !a.lead {
			return a.res, err
		}
	}
	defer q.handOver()
	return lead(c), nil
}

// wait waits for a queued call's answer or for the runner. When the
// call's context ends before a leader took it, it leaves the queue with
// the context's error. Once taken, its answer comes when its leader
// sends it.
func (q *Queue[W, R]) wait(c *Call[W, R]) (answer[R], error) {
	select {
	case a := <-c.done:
		return a, nil
	case <-c.Ctx.Done():
	}
	q.mu.Lock()
	i := slices.Index(q.calls, c)
	if i >= 0 {
		q.calls = slices.Delete(q.calls, i, i+1)
	}
	q.mu.Unlock()
	if i >= 0 {
		return answer[R]{}, c.Ctx.Err()
	}
	return <-c.done, nil
}

// handOver gives the runner to the first queued call, or marks it idle.
func (q *Queue[W, R]) handOver() {
	q.mu.Lock()
	next := q.pop()
	q.busy = next != nil
	q.mu.Unlock()
	if next != nil {
		next.done <- answer[R]{lead: true}
	}
}

// Take removes the next queued call for the leader's batch, or returns
// nil when none waits. The leader must answer it.
func (q *Queue[W, R]) Take() *Call[W, R] {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pop()
}

// pop removes the next queued call, if any; mu is held.
func (q *Queue[W, R]) pop() *Call[W, R] {
	if len(q.calls) == 0 {
		return nil
	}
	c := q.calls[0]
	q.calls[0] = nil
	q.calls = q.calls[1:]
	return c
}

// Load is the number of calls queued, plus one while a leader runs.
func (q *Queue[W, R]) Load() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.calls)
	if q.busy {
		n++
	}
	return n
}

// Close refuses new calls; the calls already queued still run. It
// reports false when the queue was closed already.
func (q *Queue[W, R]) Close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	return true
}

// Busy reports whether a leader runs.
func (q *Queue[W, R]) Busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.busy
}

// Outcome is what a call's work came to: its error, or the panic it
// raised, carried back to its caller's goroutine (Unwrap) instead of
// taking down the leader that ran it.
type Outcome struct {
	Err      error
	Panicked bool
	PanicVal any
}

// Failed reports whether the work failed or panicked.
func (o Outcome) Failed() bool { return o.Err != nil || o.Panicked }

// Unwrap raises the carried panic or returns the error.
func (o Outcome) Unwrap() error {
	if o.Panicked {
		panic(o.PanicVal)
	}
	return o.Err
}

// Catch runs work(a, b) and returns its error, or its panic, as an
// Outcome.
func Catch[A, B any](work func(A, B) error, a A, b B) (o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = Outcome{Panicked: true, PanicVal: v}
		}
	}()
	return Outcome{Err: work(a, b)}
}
