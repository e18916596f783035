package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/adapters/sqlstore/postgres/internal/pgdb"
	"github.com/stocking-kr/stocking/domain"
)

// A transaction's writes that answer nothing but an error (inserts,
// saves, upserts) do not go to the server one by one. They are queued on
// the transaction's pipe and sent, pipelined in one network round trip,
// together with whatever needs an answer next: the next read, a
// conditional update whose row count decides a race, or COMMIT. BEGIN
// rides along with the first of them. A market order (lock the account,
// read the listing, lock the holding, then five writes and COMMIT) thus
// costs four round trips instead of ten.
//
// Queued writes always reach the server before any later statement of
// the same transaction, so the transaction reads its own writes. What
// changes is when a write's failure is reported: by the call that sends
// it (a later read, UpdateOrder, or WithinTx's commit) instead of the call
// that queued it. The first failure poisons the transaction: every later
// call returns it and WithinTx rolls back, exactly as when the write
// itself had failed, since PostgreSQL aborts a transaction at its first
// error anyway. The one failure the server does not see is an update that
// matched no row; COMMIT therefore never travels with such a write still
// unanswered.

// pipe is one transaction attempt: the core's TxConn, and the connection
// as the generated queries see it (their DBTX). It has two faces: now
// sends what is queued plus the statement at hand and answers it; later
// only queues.
type pipe struct {
	conn *pgx.Conn
	// begun is set once BEGIN is queued or sent; sent once anything
	// reached the server, so that there is something to roll back.
	begun, sent bool
	// sends counts the round trips.
	sends int
	// batch holds the queued statements, BEGIN first when it has not
	// been sent yet; meta describes each of them.
	batch pgx.Batch
	meta  []queued
	// err is the transaction's first failure. Once set, nothing more is
	// sent and WithinTx rolls back.
	err error
	// op and mustChange describe the next write that later queues; tx
	// sets them just before calling the generated query.
	op         string
	mustChange bool

	// g is the group the pipe's transaction carries, or nil for a
	// transaction of its own (group.go).
	g *groupTx

	now   nowDBTX
	later laterDBTX
	// nowQ and laterQ are the queries on each face.
	nowQ, laterQ sqldb.Queries
	// noteQ and answerQ are Batch's: the first queues a read and answers
	// nothing, the second answers it from answers.
	noteQ, answerQ sqldb.Queries
	answers        pgx.BatchResults
}

// queued is what the pipe checks in the answer to one queued statement.
type queued struct {
	op string
	// mustChange turns an answer of zero rows into domain.ErrNotFound,
	// the store's answer for saving a row that does not exist.
	mustChange bool
	// member is the number of the group member that queued it (0 when
	// the transaction is not grouped), and control marks the group's own
	// statements (BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO, COMMIT).
	member  int
	control bool
}

func newPipe(conn *pgx.Conn) *pipe {
	p := &pipe{conn: conn}
	p.now.p, p.later.p = p, p
	p.nowQ, p.laterQ = pgdb.New(p.now).Shared(), pgdb.New(p.later).Shared()
	p.noteQ, p.answerQ = pgdb.New(noteDBTX{p}).Shared(), pgdb.New(answerDBTX{p}).Shared()
	return p
}

// Batch sends the reads in one round trip, behind whatever is queued:
// each is run once on queries that queue its statement, then, once the
// round trip is sent, again on queries that read its answer.
func (p *pipe) Batch(ctx context.Context, reads ...func(context.Context, sqldb.Queries)) error {
	ctx = p.statementCtx(ctx)
	if p.err != nil {
		return p.err
	}
	for _, read := range reads {
		read(ctx, p.noteQ)
	}
	br, err := p.send(ctx, p.pending()-len(reads))
	if err != nil {
		return err
	}
	p.answers = br
	for _, read := range reads {
		read(ctx, p.answerQ)
	}
	p.answers = nil
	err = p.watch(br.Close())
	p.reset()
	return err
}

// Start queues a write that answers only an error or must find its row;
// a read and a counted write go at once, with the queued writes ahead of
// them.
func (p *pipe) Start(ctx context.Context, op string, kind sqlstore.Kind) (context.Context, sqldb.Queries, error) {
	ctx = p.statementCtx(ctx)
	if kind == sqlstore.Read || kind == sqlstore.Counted {
		return ctx, p.nowQ, nil
	}
	p.op, p.mustChange = op, kind == sqlstore.MustChange
	return ctx, p.laterQ, nil
}

// statementCtx is the context the transaction's statements run under: a
// group member's run under the group's deadline and not its caller's
// cancellation, which would break the connection the whole group runs on.
func (p *pipe) statementCtx(ctx context.Context) context.Context {
	if p.g != nil {
		return p.g.ctx
	}
	return ctx
}

// Finish passes the answer on; a queued write's comes later.
func (p *pipe) Finish(_ sqlstore.Kind, n int64, err error) (int64, error) { return n, err }

// queue adds a statement to the next round trip, after BEGIN when the
// transaction has not begun.
func (p *pipe) queue(sql string, args []any, q queued) {
	if !p.begun {
		p.batch.Queue("begin")
		p.meta = append(p.meta, queued{op: "begin", control: true})
		p.begun = true
	}
	if p.g != nil {
		q.member = p.g.member
	}
	p.batch.Queue(sql, args...)
	p.meta = append(p.meta, q)
}

// fail records the transaction's first failure and returns it.
func (p *pipe) fail(err error) error {
	if p.err == nil {
		p.err = err
	}
	return p.err
}

// pending is the number of statements queued for the next round trip.
func (p *pipe) pending() int { return len(p.batch.QueuedQueries) }

// send sends every queued statement and checks the answers to the first
// checked of them; the rest (the one the caller wants answered) stay
// unread in the returned results. On a failure it closes the results and
// poisons the transaction.
//
// In a group, the first statements of a round trip may be the writes of
// a member whose function has returned. When one of them fails, the
// server has aborted that member's savepoint and skipped the rest of the
// round trip: the member is told it failed, its savepoint is rolled back,
// and the statements after its own go again.
func (p *pipe) send(ctx context.Context, checked int) (pgx.BatchResults, error) {
	for {
		p.sends++
		br := p.conn.SendBatch(ctx, &p.batch)
		p.sent = true
		again := false
		for i := range checked {
			tag, err := br.Exec()
			if err == nil && p.meta[i].mustChange && tag.RowsAffected() == 0 {
				err = domain.ErrNotFound
			}
			if err == nil {
				continue
			}
			br.Close()
			if p.g != nil && p.g.undoEarlier(p, i, err) {
				checked -= p.g.dropped
				again = true
				break
			}
			err = errs.Wrap(p.meta[i].op, err)
			p.reset()
			return nil, p.fail(err)
		}
		if !again {
			return br, nil
		}
	}
}

// reset empties the queue once its answers are read. The slices keep
// their capacity for the next round trip.
func (p *pipe) reset() {
	clear(p.batch.QueuedQueries)
	p.batch.QueuedQueries = p.batch.QueuedQueries[:0]
	p.meta = p.meta[:0]
}

// watch records a server error in the transaction: PostgreSQL has
// aborted it, so it can only roll back.
func (p *pipe) watch(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		p.fail(err)
	}
	return err
}

// commit sends what is queued and COMMIT in one round trip, unless a
// queued write must find its row: its answer decides whether to commit,
// so it goes first. The caller's cancellation does not reach the commit
// (only the deadline does), so that a client that gives up never makes
// the outcome unknown.
func (p *pipe) commit(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if !p.begun {
		// Nothing was read or written.
		return nil
	}
	ctx, cancel := sqlstore.Uncancelled(ctx)
	defer cancel()
	if slices.ContainsFunc(p.meta, func(q queued) bool { return q.mustChange }) {
		br, err := p.send(ctx, p.pending())
		if err == nil {
			err = p.watch(br.Close())
			p.reset()
		}
		if err != nil {
			return err
		}
	}
	tag, err := p.now.Exec(ctx, "commit")
	if err != nil {
		// A queued write that failed on the server stopped the round
		// trip before COMMIT; a connection that failed may have
		// delivered it.
		p.err = errs.CommitError(err, pgconn.SafeToRetry(err))
		return p.err
	}
	// PostgreSQL answers COMMIT of a transaction that an earlier error
	// aborted with ROLLBACK; that must not pass for success.
	if tag.String() != "COMMIT" {
		return p.fail(fmt.Errorf("postgres: commit: the transaction was rolled back (%s)", tag.String()))
	}
	return nil
}

// rollback ends the transaction after a failure. The caller's
// cancellation may be what failed, so rollback runs without it, within
// the attempt's deadline; a connection that cannot roll back is closed,
// and the pool drops it.
func (p *pipe) rollback(ctx context.Context) {
	p.reset()
	if !p.sent {
		return
	}
	pc := p.conn.PgConn()
	if pc.IsClosed() || (!pc.IsBusy() && pc.TxStatus() == 'I') {
		return
	}
	ctx, cancel := sqlstore.Uncancelled(ctx)
	defer cancel()
	if _, err := p.conn.Exec(ctx, "rollback"); err != nil {
		p.conn.Close(ctx)
	}
}

// nowDBTX runs a statement at once, sending the queued writes ahead of it
// in the same round trip.
type nowDBTX struct{ p *pipe }

func (d nowDBTX) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	p := d.p
	if p.err != nil {
		return pgconn.CommandTag{}, p.err
	}
	p.queue(sql, args, queued{})
	br, err := p.send(ctx, p.pending()-1)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	p.reset()
	return tag, p.watch(err)
}

func (d nowDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	p := d.p
	if p.err != nil {
		return nil, p.err
	}
	if p.begun && p.pending() == 0 {
		p.sends++
		rows, err := p.conn.Query(ctx, sql, planned(sql, args)...)
		if err != nil {
			return nil, p.watch(err)
		}
		return &pipeRows{Rows: rows, p: p}, nil
	}
	p.queue(sql, args, queued{})
	br, err := p.send(ctx, p.pending()-1)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		p.reset()
		return nil, p.watch(err)
	}
	return &pipeRows{Rows: rows, p: p, br: br}, nil
}

func (d nowDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := d.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return (*pipeRow)(rows.(*pipeRows))
}

// planned prepends the execution mode that plans a query for its
// parameters on every call when the query is one of pgdb.CustomPlanned.
// (Pipelined reads cannot choose: pgx runs a whole batch in one mode.
// Reads of that kind inside transactions are rare and short.)
func planned(sql string, args []any) []any {
	if !pgdb.CustomPlanned[sql] {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// poolDBTX runs the Store's reads outside transactions on any pooled
// connection, each query with the plan mode planned chooses.
type poolDBTX struct{ pool *pgxpool.Pool }

func (d poolDBTX) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return d.pool.Exec(ctx, sql, args...)
}

func (d poolDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return d.pool.Query(ctx, sql, planned(sql, args)...)
}

func (d poolDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.pool.QueryRow(ctx, sql, planned(sql, args)...)
}

// pipeRows are the rows of a transaction's read. Closing them reads the
// rest of the round trip they came in, and a server error seen in them
// poisons the transaction.
type pipeRows struct {
	pgx.Rows
	p  *pipe
	br pgx.BatchResults
}

func (r *pipeRows) Close() {
	r.Rows.Close()
	r.done()
}

func (r *pipeRows) Err() error {
	return r.p.watch(r.Rows.Err())
}

// done finishes the round trip the rows came in.
func (r *pipeRows) done() {
	if r.br == nil {
		return
	}
	err := r.br.Close()
	r.br = nil
	r.p.reset()
	r.p.watch(err)
}

// pipeRow is pipeRows read as a single row, as pgx.Conn.QueryRow does:
// no row is pgx.ErrNoRows, and Scan closes the rows.
type pipeRow pipeRows

func (r *pipeRow) Scan(dest ...any) error {
	rows := (*pipeRows)(r)
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return rows.p.watch(err)
	}
	rows.Close()
	return rows.Err()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errNoted is what a read noted for Batch answers the first time.
var errNoted = errors.New("postgres: read queued for a batch")

// errBatchWrite answers a write run through Batch, which takes reads only.
var errBatchWrite = errors.New("postgres: a batch holds reads only")

// noteDBTX queues a read for Batch.
type noteDBTX struct{ p *pipe }

func (d noteDBTX) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errBatchWrite
}

func (d noteDBTX) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	d.p.queue(sql, args, queued{})
	return nil, errNoted
}

func (d noteDBTX) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	d.p.queue(sql, args, queued{})
	return errRow{errNoted}
}

// answerDBTX answers Batch's reads in turn from its round trip; a server
// error in one poisons the transaction.
type answerDBTX struct{ p *pipe }

func (d answerDBTX) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errBatchWrite
}

func (d answerDBTX) Query(context.Context, string, ...any) (pgx.Rows, error) {
	rows, err := d.p.answers.Query()
	return rows, d.p.watch(err)
}

func (d answerDBTX) QueryRow(context.Context, string, ...any) pgx.Row {
	return watchedRow{d.p.answers.QueryRow(), d.p}
}

type watchedRow struct {
	pgx.Row
	p *pipe
}

func (r watchedRow) Scan(dest ...any) error { return r.p.watch(r.Row.Scan(dest...)) }

// laterDBTX queues a statement for the next round trip and answers at
// once with an empty result; only statements whose answer is an error or
// a row count to check go through it.
type laterDBTX struct{ p *pipe }

func (d laterDBTX) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	p := d.p
	if p.err != nil {
		return pgconn.CommandTag{}, p.err
	}
	p.queue(sql, args, queued{op: p.op, mustChange: p.mustChange})
	return pgconn.CommandTag{}, nil
}

func (d laterDBTX) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return d.p.now.Query(ctx, sql, args...)
}

func (d laterDBTX) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.p.now.QueryRow(ctx, sql, args...)
}
