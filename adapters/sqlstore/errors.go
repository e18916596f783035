package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/stocking-kr/stocking/domain"
)

// Class is what a driver error means to the store.
type Class int

// The classes an engine sorts its driver's errors into.
const (
	// Other is any error the store passes on as it is.
	Other Class = iota
	// Duplicate is a unique or primary key violation: domain.ErrDuplicate.
	Duplicate
	// MissingParent is a foreign key violation: domain.ErrNotFound.
	MissingParent
	// Race means the transaction lost a race with another one (deadlock,
	// serialization failure, lock timeout) and may simply run again.
	Race
	// Unavailable is an unreachable server or a lost connection:
	// domain.ErrUnavailable.
	Unavailable
)

// ErrCommitUnknown is in the chain of the error WithinTx returns when the
// connection was lost after COMMIT was sent: the transaction may or may not
// have been committed, so it is neither retried nor reported as undone.
var ErrCommitUnknown = errors.New("the connection was lost after COMMIT was sent, so the transaction may have been committed")

// Errors names an engine's errors and sorts them for the store.
type Errors struct {
	// Engine starts every message: sqlite, postgres or mysql.
	Engine string
	// Classify sorts the engine's own errors (server codes, its driver's
	// sentinels); the core checks what it calls Other for a lost
	// connection.
	Classify func(error) Class
}

// Class sorts err, whether it comes from a statement, from fn or from the
// store itself.
func (e Errors) Class(err error) Class {
	if err == nil {
		return Other
	}
	if errors.Is(err, domain.ErrUnavailable) {
		return Unavailable
	}
	if c := e.Classify(err); c != Other {
		return c
	}
	if lostConnection(err) {
		return Unavailable
	}
	return Other
}

// Wrap names the failed operation and turns a statement's error into the
// domain's (no rows is domain.ErrNotFound, a lost connection
// domain.ErrUnavailable around the cause, ...); other errors keep the
// driver's in the chain, for the retry of races. An error Wrap has seen
// already passes unchanged: a pipelined write's is named after the write.
func (e Errors) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var named *opError
	var de *domain.Error
	if errors.As(err, &named) || errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	switch e.Class(err) {
	case Duplicate:
		return domain.ErrDuplicate
	case MissingParent:
		return fmt.Errorf("%s: %s: a referenced user, stock or order does not exist: %w", e.Engine, op, domain.ErrNotFound)
	case Unavailable:
		return fmt.Errorf("%s: %s: %w: %w", e.Engine, op, domain.ErrUnavailable, err)
	}
	return &opError{engine: e.Engine, op: op, err: err}
}

// CommitError is the error of a commit's round trip; unsent says that the
// driver knows nothing reached the server. Otherwise a failed connection or
// a passed deadline may have let COMMIT through: ErrCommitUnknown. A
// server's answer (a queued write that failed) is wrapped as usual.
func (e Errors) CommitError(err error, unsent bool) error {
	if !unsent && (contextError(err) || e.Class(err) == Unavailable) {
		return fmt.Errorf("%s: commit: %w: %w: %w", e.Engine, domain.ErrUnavailable, ErrCommitUnknown, err)
	}
	return e.Wrap("commit", err)
}

// Uncancelled returns a context with ctx's values and deadline but not its
// cancellation, for statements whose interruption would leave the
// transaction's outcome unknown (a commit) or the connection unusable.
func Uncancelled(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, deadline)
	}
	return context.WithCancel(detached)
}

// opError is a driver error named after the operation that met it.
type opError struct {
	engine, op string
	err        error
}

func (e *opError) Error() string { return e.engine + ": " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// lostConnection reports whether err says that the connection failed.
// Context errors do not: whose deadline ran out is the caller's to tell.
func lostConnection(err error) bool {
	// A network operation that failed, a dial that timed out included: a
	// driver's own dial timeout reads as a deadline too, but it is the
	// server that did not answer. (When the caller's context or the
	// store's deadline ended, outcome says so before this matters.)
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	if contextError(err) {
		return false
	}
	for _, target := range []error{driver.ErrBadConn, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	// Refused, reset, unreachable, timed out: *net.OpError and the like.
	var netErr net.Error
	return errors.As(err, &netErr)
}

// contextError reports whether err comes from a context that ended.
func contextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
