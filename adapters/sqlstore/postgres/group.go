package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stocking-kr/stocking/adapters/sqlstore"
	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/leader"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Group commit.
//
// A market order is a short transaction, and on a busy server much of its
// cost is not its statements but the transaction around them: BEGIN, the
// COMMIT record and its WAL flush, and the round trip that carries COMMIT.
// So concurrent transactions that name whose rows they lock
// (ports.WithTxKey: the service names the user for order placement) share
// one server transaction and one COMMIT.
//
// Such transactions go to one of a few lanes: the lane of the other
// transactions of their key while there are any, else the least busy. A lane
// runs one group at a time on one pooled connection: the caller that finds
// the lane idle leads, runs its own function in a new transaction, then
// the functions of the callers that queued on the lane meanwhile, one
// after another in that transaction, and commits once for all of them.
// Every function runs inside a SAVEPOINT of its own; the SAVEPOINT and its
// RELEASE travel in the pipeline with the function's statements (pipe.go),
// as do a function's last writes with the next function's first read, so
// a grouped market order costs three round trips and a share of a COMMIT
// instead of four and a COMMIT.
//
// Isolation is that of a transaction of its own, with one addition: a
// function sees the writes of the functions before it in its group, as if
// they had committed just before it began. Its locks are its group's, held
// until the group commits. The transactions of one key run in one lane
// while any of them runs, so they never wait on each other across groups;
// the rows an order locks are its account and its holding, which belong to
// its user alone, and it only reads the listing. A function that waits for
// a lock anyway (a fill or a cancel holding the account, outside any lane)
// stalls its lane, so lanes wait at most laneLockTimeout for a lock: past
// it the function fails as having lost a race, and runs again on its own.
//
// A function that fails (an error, a panic, a write the server refused
// even after the function returned) is rolled back to its savepoint and
// changes nothing; the others commit. Its caller learns of the failure only
// after the group's commit, since the failure may rest on what the group
// wrote (funds an earlier member spent). Every caller learns success only
// once COMMIT has answered. When the group itself fails (its connection
// lost, its deadline passed, COMMIT refused), nothing of it was saved and
// each member's caller gets the error; WithinTx then runs each member
// again on its own connection (sqlstore.Again), never in a group, as it
// does when a transaction of its own lost its connection. A COMMIT whose
// answer was lost leaves every member's outcome unknown
// (sqlstore.ErrCommitUnknown), as for a transaction of its own.
const (
	// maxGroup bounds the functions in one group. Each function that
	// writes takes a subtransaction id, and PostgreSQL keeps up to 64 of
	// them per transaction where other sessions' snapshots find them
	// cheaply.
	maxGroup = 32
	// maxGroupTime stops a group from taking more functions once it has
	// run this long, which bounds the latency its first caller sees.
	maxGroupTime = 10 * time.Millisecond
	// laneLockTimeout bounds a grouped function's wait for a row lock.
	laneLockTimeout = "200ms"
)

// DefaultLanes is the number of group lanes when Config.Lanes is zero: one
// per core, at least two. Fewer lanes make larger groups, which cost the
// server less per transaction, but run fewer transactions at once. On two
// cores, with 16 clients placing market orders over HTTP
// (scripts/bench-postgres-cpu.sh), the backends spent about 1,100 µs of CPU
// per order without grouping, about 1,000 on 8 lanes, 700-800 on 4 and
// 600-700 on 2; and scripts/bench-postgres.sh, 2 and 4 lanes in turns, gave
// 1,348 and 1,428 orders/s on 2 against 1,308 and 1,289 on 4.
func DefaultLanes() int { return max(2, runtime.GOMAXPROCS(0)) }

// errGroupGoexit answers the members of a group in which a function ended
// its goroutine instead of returning.
var errGroupGoexit = errors.New("postgres: a transaction function in the same group exited its goroutine; nothing was saved")

// lanes are the driver's group lanes.
type lanes struct {
	all []*lane
	// mu guards keys: the lane of each key with transactions queued or
	// running, and how many.
	mu   sync.Mutex
	keys map[string]*keyLane
	// maxTime is maxGroupTime (tests lengthen it).
	maxTime time.Duration
	// groups counts the groups committed.
	groups atomic.Int64
}

func newLanes(d *driver, n int) *lanes {
	ls := &lanes{all: make([]*lane, n), keys: map[string]*keyLane{}, maxTime: maxGroupTime}
	for i := range ls.all {
		ls.all[i] = &lane{d: d, ls: ls}
	}
	return ls
}

// keyLane is the lane a key's transactions run in while any of them is
// queued or running.
type keyLane struct {
	l *lane
	n int
}

// enter returns the lane for a transaction of key: the lane of the key's
// other transactions while there are any, so that one key's transactions
// never run in two lanes at once, else the least busy lane.
func (ls *lanes) enter(key string) *lane {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	k := ls.keys[key]
	if k == nil {
		k = &keyLane{l: ls.idlest()}
		ls.keys[key] = k
	}
	k.n++
	return k.l
}

// leave records that a transaction of key has its answer.
func (ls *lanes) leave(key string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if k := ls.keys[key]; k != nil {
		if k.n--; k.n == 0 {
			delete(ls.keys, key)
		}
	}
}

// idlest returns the lane with the fewest transactions running or
// queued; ls.mu is held.
func (ls *lanes) idlest() *lane {
	best, load := ls.all[0], -1
	for _, l := range ls.all {
		n := l.q.Load()
		if load < 0 || n < load {
			best, load = l, n
		}
		if n == 0 {
			break
		}
	}
	return best
}

// lane runs one group at a time: the caller that finds it idle leads a
// group of its own transaction and those queued meanwhile (leader).
type lane struct {
	d  *driver
	ls *lanes
	q  leader.Queue[work, outcome]
}

// member is one transaction attempt in a lane.
type member = leader.Call[work, outcome]

// work is a member's function and, while its group runs, its outcome.
type work struct {
	body func(ctx context.Context, c sqlstore.TxConn) error
	res  outcome
}

// outcome is a member's result: its error, or its panic, raised again on
// its caller's goroutine.
type outcome = leader.Outcome

// attempt runs body in the lane: as the leader of a new group when the
// lane is idle, else queued for the running group, waiting for its outcome
// (sent after that group's commit) or for the lane to be handed to it.
func (l *lane) attempt(ctx context.Context, body func(ctx context.Context, c sqlstore.TxConn) error) error {
	res, err := l.q.Do(leader.NewCall[work, outcome](ctx, work{body: body}), l.runGroup)
	if err != nil {
		return err
	}
	return res.Unwrap()
}

// groupTx is the state of one group's transaction, which its pipe
// consults.
type groupTx struct {
	// ctx bounds every statement of the group: the leader's deadline,
	// without any caller's cancellation.
	ctx context.Context
	// members ran in this order; member is the number of the one that
	// runs now, and -1 while the group commits.
	members []*member
	member  int
	// broken is a failure that leaves the transaction's state unknown:
	// the group can only roll back.
	broken error
	// dropped is how many checked statements undoEarlier took out of
	// the round trip it rebuilt.
	dropped int
}

// runGroup runs first and then the members queued meanwhile (up to
// maxGroup and maxGroupTime) in one transaction, commits once, answers
// every member but first, and returns first's outcome.
func (l *lane) runGroup(first *member) outcome {
	if err := first.Ctx.Err(); err != nil {
		// A caller handed the lane after its context ended.
		return outcome{Err: err}
	}
	ctx, cancel := sqlstore.Uncancelled(first.Ctx)
	defer cancel()
	c, err := l.d.pool.Acquire(ctx)
	if err != nil {
		return outcome{Err: errs.Wrap("acquire a connection", err)}
	}
	g := &groupTx{ctx: ctx}
	p := newPipe(c.Conn())
	p.g = g
	// Should a function end its goroutine, nothing below runs but this:
	// roll back, and answer everyone the group holds.
	finished := false
	defer func() {
		if !finished {
			p.rollback(ctx)
			c.Release()
			for _, m := range g.members[1:] {
				m.Answer(outcome{Err: errGroupGoexit})
			}
		}
	}()
	// BEGIN goes ahead of the first statement queued.
	p.queue("set local lock_timeout = '"+laneLockTimeout+"'", nil, queued{op: "set lock timeout", control: true})
	g.run(p, first)
	start := time.Now()
	for g.broken == nil && len(g.members) < maxGroup && time.Since(start) < l.ls.maxTime {
		m := l.q.Take()
		if m == nil {
			break
		}
		if err := m.Ctx.Err(); err != nil {
			m.Answer(outcome{Err: err})
			continue
		}
		g.run(p, m)
	}
	groupErr := g.commit(p)
	if groupErr == nil {
		l.ls.groups.Add(1)
	}
	finished = true
	c.Release()
	unknown := errors.Is(groupErr, sqlstore.ErrCommitUnknown)
	for i, m := range g.members {
		res := m.Work.res
		// When the group failed, the members that failed on their own
		// may have failed against writes that are now undone: they run
		// again with the others. Only when COMMIT's answer was lost do
		// they keep their failure, since what they did was rolled back
		// to their savepoint either way.
		if groupErr != nil && !res.Panicked && (!unknown || !res.Failed()) {
			res = outcome{Err: groupErr}
		}
		if i == 0 {
			first.Work.res = res
		} else {
			m.Answer(res)
		}
	}
	return first.Work.res
}

// run runs one member's function inside a savepoint of its own, and
// queues the savepoint's release when the function succeeded, or its
// rollback when it failed.
func (g *groupTx) run(p *pipe, m *member) {
	n := len(g.members)
	g.members = append(g.members, m)
	g.member = n
	p.err = nil
	mark, sends := p.pending(), p.sends
	p.queue("savepoint m", nil, queued{op: "savepoint", control: true})
	m.Work.res = call(m, p)
	if m.Work.res.Panicked {
		m.Work.res.Err = nil
	} else if p.err != nil && (m.Work.res.Err == nil || errs.Class(p.err) == sqlstore.Race) {
		// A write that failed while the function went on decides its
		// outcome, as in Attempt.
		m.Work.res.Err = p.err
	}
	if g.check(p); g.broken != nil {
		return
	}
	if !m.Work.res.Failed() && slices.ContainsFunc(p.meta, func(q queued) bool { return q.member == n && q.mustChange }) {
		// A write that must find its row decides whether the function
		// succeeded, and a savepoint once released cannot be rolled
		// back to: its answer comes first.
		br, err := p.send(g.ctx, p.pending())
		if err == nil {
			err = p.watch(br.Close())
			p.reset()
		}
		m.Work.res.Err = err
		if g.check(p); g.broken != nil {
			return
		}
	}
	switch {
	case !m.Work.res.Failed():
		p.queue("release savepoint m", nil, queued{op: "release savepoint", control: true})
	case p.sends == sends:
		// Nothing of it reached the server: it simply leaves the queue.
		clear(p.batch.QueuedQueries[mark:])
		p.batch.QueuedQueries = p.batch.QueuedQueries[:mark]
		p.meta = p.meta[:mark]
	case p.conn.PgConn().TxStatus() == 'E':
		// The server refused one of its statements and ignores
		// everything but the undoing of its savepoint now.
		g.undo(p)
	default:
		p.queue("rollback to savepoint m", nil, queued{op: "rollback to savepoint", control: true})
		p.queue("release savepoint m", nil, queued{op: "release savepoint", control: true})
	}
}

// undo rolls the savepoint of the member whose statement the server
// refused back at once, in a round trip of its own: until then the server
// refuses every statement, and even the preparing of one, but this.
func (g *groupTx) undo(p *pipe) {
	p.sends++
	if _, err := p.conn.PgConn().Exec(g.ctx, "rollback to savepoint m; release savepoint m").ReadAll(); err != nil {
		g.broken = errs.Wrap("rollback to savepoint", err)
	}
}

// check marks the group broken when its connection is closed, in the
// middle of a statement, or no longer in the transaction.
func (g *groupTx) check(p *pipe) {
	if g.broken != nil {
		return
	}
	pc := p.conn.PgConn()
	switch {
	case pc.IsClosed():
		g.broken = errs.Wrap("group", pgconn.ErrConnClosed)
	case pc.IsBusy():
		g.broken = errors.New("postgres: a transaction function left a statement unfinished")
	case p.sent && pc.TxStatus() != 'T' && pc.TxStatus() != 'E':
		g.broken = fmt.Errorf("postgres: the group's transaction ended unexpectedly (status %c)", pc.TxStatus())
	}
}

// undoEarlier handles the failure of statement i of a round trip when it
// is a write of a member whose function had returned: the server aborted
// that member's savepoint and skipped the rest of the round trip. The
// member is told it failed, its savepoint is rolled back, and the
// statements after its own go again. It
// reports false for any other failure, and marks the group broken when
// the failure is not the running member's own.
func (g *groupTx) undoEarlier(p *pipe, i int, err error) bool {
	q := p.meta[i]
	if q.member == g.member && !q.control {
		return false
	}
	var pe *pgconn.PgError
	if q.control || q.member < 0 || !errors.As(err, &pe) {
		g.broken = errs.Wrap(q.op, err)
		return false
	}
	failed := g.members[q.member]
	if !failed.Work.res.Failed() {
		failed.Work.res.Err = errs.Wrap(q.op, err)
	}
	if g.undo(p); g.broken != nil {
		return false
	}
	j := i + 1
	for j < len(p.meta) && p.meta[j].member == q.member {
		j++
	}
	var b pgx.Batch
	meta := make([]queued, 0, len(p.meta)-j)
	for k := j; k < len(p.meta); k++ {
		b.Queue(p.batch.QueuedQueries[k].SQL, p.batch.QueuedQueries[k].Arguments...)
		meta = append(meta, p.meta[k])
	}
	p.batch, p.meta = b, meta
	g.dropped = j
	return true
}

// commit commits the group, or rolls it back when it is broken or none of
// its functions succeeded. It returns the error of the group as a whole:
// nil when every member may take its own outcome.
func (g *groupTx) commit(p *pipe) error {
	g.member = -1
	p.err = nil
	if g.broken == nil && !slices.ContainsFunc(g.members, func(m *member) bool { return !m.Work.res.Failed() }) {
		p.rollback(g.ctx)
		return nil
	}
	if g.broken != nil {
		p.rollback(g.ctx)
		return fmt.Errorf("postgres: the group of transactions this one ran in failed, and nothing of it was saved: %w: %w", domain.ErrUnavailable, g.broken)
	}
	tag, err := p.now.Exec(g.ctx, "commit")
	if g.broken != nil {
		p.rollback(g.ctx)
		return fmt.Errorf("postgres: the group of transactions this one ran in failed, and nothing of it was saved: %w: %w", domain.ErrUnavailable, g.broken)
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			p.rollback(g.ctx)
			return errs.Wrap("commit", err)
		}
		return errs.CommitError(err, pgconn.SafeToRetry(err))
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("postgres: commit: the transaction was rolled back (%s)", tag.String())
	}
	return nil
}

// call runs a member's function on the pipe, turning a panic into an
// outcome.
func call(m *member, p *pipe) outcome {
	return leader.Catch(m.Work.body, m.Ctx, sqlstore.TxConn(p))
}

// grouped runs a transaction attempt in a lane and reports true, unless
// grouping is off, the attempt names no key, or it runs again.
func (d *driver) grouped(ctx context.Context, body func(ctx context.Context, c sqlstore.TxConn) error) (bool, error) {
	if d.lanes == nil || sqlstore.Again(ctx) {
		return false, nil
	}
	key := ports.TxKey(ctx)
	if key == "" {
		return false, nil
	}
	defer d.lanes.leave(key)
	return true, d.lanes.enter(key).attempt(ctx, body)
}
