package postgres

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/internal/tcpproxy"
	"github.com/stocking-kr/stocking/ports"
)

type txFunc = func(ctx context.Context, tx ports.Tx) error

// inOneGroup runs fns as transactions of one key, concurrently, on a
// store with one lane, and makes them one group: the first holds its lane until the others have
// queued on it, in the order given. It returns each one's error, and
// each one's panic.
func inOneGroup(t *testing.T, s *Store, key string, fns []txFunc) ([]error, []any) {
	t.Helper()
	s.d.lanes.maxTime = time.Minute
	l := s.d.lanes.all[0] // the store has one lane
	// queued is how many wait behind the leader (the load counts it).
	queued := func() int { return max(0, l.q.Load()-1) }
	// waitQueued waits until n transactions are queued on the lane, and
	// reports whether they were within the time given.
	// formed is set once the first stops waiting: the group has taken
	// the queue from then on.
	var formed atomic.Bool
	waitQueued := func(n int) bool {
		for deadline := time.Now().Add(10 * time.Second); queued() < n && !formed.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return false
			}
		}
		return true
	}
	ctx := ports.WithTxKey(t.Context(), key)
	errs := make([]error, len(fns))
	panics := make([]any, len(fns))
	var wg sync.WaitGroup
	run := func(i int, fn txFunc) {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.WithinTx(ctx, fn)
		})
	}
	started := make(chan struct{})
	var once sync.Once
	run(0, func(ctx context.Context, tx ports.Tx) error {
		once.Do(func() {
			close(started)
			waitQueued(len(fns) - 1)
			formed.Store(true)
		})
		return fns[0](ctx, tx)
	})
	<-started
	for i := 1; i < len(fns); i++ {
		run(i, fns[i])
		if !waitQueued(i) || (formed.Load() && i < len(fns)-1) {
			t.Fatalf("%d transactions queued on the lane, want %d", queued(), i)
		}
	}
	wg.Wait()
	return errs, panics
}

// addCash locks the account and adds n won to its cash.
func addCash(ctx context.Context, tx ports.Tx, id string, n int64) error {
	a, err := tx.LockAccount(ctx, id)
	if err != nil {
		return err
	}
	a.Cash = a.Cash.Add(decimal.NewFromInt(n))
	return tx.SaveAccount(ctx, a)
}

func cashOf(t *testing.T, s *Store, id string) decimal.Decimal {
	t.Helper()
	a, err := s.GetAccount(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Cash
}

// TestGroupMembersFailAlone runs one group in which some members fail in
// every way a member can: an error returned after writing, a write the
// server refuses after the function returned (answered with the next
// member's first statement, or with COMMIT), a panic. The failed members
// change nothing and learn their own failure; the others commit, in one
// COMMIT, and each sees the writes of the members before it.
func TestGroupMembersFailAlone(t *testing.T) {
	s := openTestWith(t, Config{URL: testURI(t), Lanes: 1})
	users := make([]domain.User, 7)
	for i := range users {
		users[i] = newUser(t, s, 100)
	}
	dup := func(i int) domain.User { // same e-mail as user i: the server refuses it
		u := users[i]
		u.ID = uuid.Must(uuid.NewV7()).String()
		return u
	}
	var seen decimal.Decimal
	groups := s.d.lanes.groups.Load()
	errs, panics := inOneGroup(t, s, "k", []txFunc{
		// 0 succeeds.
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, users[0].ID, 1) },
		// 1 writes, then fails.
		func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, users[1].ID, 1); err != nil {
				return err
			}
			return domain.Errorf(domain.CodeInsufficientFunds, "member 1 fails")
		},
		// 2 writes, and its last write is refused only once it has
		// returned: the answer comes with member 3's first statement.
		func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, users[2].ID, 1); err != nil {
				return err
			}
			return tx.CreateUser(ctx, dup(0))
		},
		// 3 succeeds, and sees member 0's write.
		func(ctx context.Context, tx ports.Tx) error {
			a, err := tx.GetAccount(ctx, users[0].ID)
			if err != nil {
				return err
			}
			seen = a.Cash
			return addCash(ctx, tx, users[3].ID, 1)
		},
		// 4 panics after writing.
		func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, users[4].ID, 1); err != nil {
				return err
			}
			panic("member 4 panics")
		},
		// 5 succeeds.
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, users[5].ID, 1) },
		// 6, the last, has its refused write answered with COMMIT.
		func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, users[6].ID, 1); err != nil {
				return err
			}
			return tx.CreateUser(ctx, dup(1))
		},
	})
	if n := s.d.lanes.groups.Load() - groups; n != 1 {
		t.Errorf("%d groups committed, want 1", n)
	}
	want := []int64{101, 100, 100, 101, 100, 101, 100}
	for i, u := range users {
		if got := cashOf(t, s, u.ID); !got.Equal(decimal.NewFromInt(want[i])) {
			t.Errorf("member %d: cash %s, want %d", i, got, want[i])
		}
	}
	for _, i := range []int{0, 3, 5} {
		if errs[i] != nil || panics[i] != nil {
			t.Errorf("member %d: %v %v, want success", i, errs[i], panics[i])
		}
	}
	if !domain.IsCode(errs[1], domain.CodeInsufficientFunds) {
		t.Errorf("member 1: %v, want its own insufficient_funds", errs[1])
	}
	for _, i := range []int{2, 6} {
		if !errors.Is(errs[i], domain.ErrDuplicate) {
			t.Errorf("member %d: %v, want ErrDuplicate", i, errs[i])
		}
	}
	if panics[4] != "member 4 panics" {
		t.Errorf("member 4: panic %v, want its own", panics[4])
	}
	if !seen.Equal(decimal.NewFromInt(101)) {
		t.Errorf("member 3 saw member 0's cash as %s, want 101", seen)
	}
	if stat := s.d.pool.Stat(); stat.AcquiredConns() != 0 {
		t.Errorf("%d connections still acquired", stat.AcquiredConns())
	}
}

// TestGroupNoLostUpdates has many callers add to a few accounts at once,
// most in lanes, some outside any lane (as a fill or a cancel would), so
// that groups form and wait on transactions of their own: every addition
// counts once.
func TestGroupNoLostUpdates(t *testing.T) {
	s := openTestWith(t, Config{URL: testURI(t), Lanes: 2})
	users := []domain.User{newUser(t, s, 0), newUser(t, s, 0), newUser(t, s, 0)}
	const callers, each = 24, 10
	groups := s.d.lanes.groups.Load()
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Go(func() {
			u := users[c%len(users)]
			ctx := t.Context()
			if c%4 != 3 {
				ctx = ports.WithTxKey(ctx, u.ID)
			}
			for range each {
				if err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
					return addCash(ctx, tx, u.ID, 1)
				}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, u := range users {
		want := int64(callers / len(users) * each)
		if got := cashOf(t, s, u.ID); !got.Equal(decimal.NewFromInt(want)) {
			t.Errorf("account %d: cash %s, want %d", i, got, want)
		}
	}
	keyed := int64(callers * each * 3 / 4)
	if n := s.d.lanes.groups.Load() - groups; n == 0 || n >= keyed {
		t.Errorf("%d groups for %d keyed transactions: want fewer groups than transactions, and some", n, keyed)
	}
}

// TestGroupConnectionKilled kills the connection while a group runs:
// nothing of the group is saved, not even what its members had done
// before, and every caller gets an error promptly instead of waiting.
func TestGroupConnectionKilled(t *testing.T) {
	u, err := url.Parse(testURI(t))
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	proxy, err := tcpproxy.Start(net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	u.Host = proxy.Addr()
	// The bound is generous: a killed connection fails at once, and a
	// member must not give up while it waits for the group to form.
	s := openTestWith(t, Config{URL: u.String(), Lanes: 1, StatementTimeout: 10 * time.Second})
	users := []domain.User{newUser(t, s, 100), newUser(t, s, 100), newUser(t, s, 100), newUser(t, s, 100)}
	var kill sync.Once
	start := time.Now()
	errs, panics := inOneGroup(t, s, "k", []txFunc{
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, users[0].ID, 1) },
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, users[1].ID, 1) },
		func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, users[2].ID, 1); err != nil {
				return err
			}
			kill.Do(proxy.Kill)
			_, err := tx.GetAccount(ctx, users[2].ID)
			return err
		},
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, users[3].ID, 1) },
	})
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the callers had their answers after %s", d)
	}
	for i := range errs {
		if panics[i] != nil || !errors.Is(errs[i], domain.ErrUnavailable) {
			t.Errorf("member %d: %v %v, want ErrUnavailable", i, errs[i], panics[i])
		}
	}
	if err := proxy.Restart(); err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		var got decimal.Decimal
		// The pool finds its broken connections one by one.
		for range 5 {
			a, err := s.GetAccount(t.Context(), u.ID)
			if err == nil {
				got = a.Cash
				break
			}
		}
		if !got.Equal(decimal.NewFromInt(100)) {
			t.Errorf("member %d: cash %s after the group was lost, want 100", i, got)
		}
	}
}

// TestGroupLockWaitRunsAlone has a group member wait for an account that
// a transaction outside the lanes holds: it gives up after the lane's
// lock timeout, the rest of its group commits without it, and it runs
// again on its own once the lock is free.
func TestGroupLockWaitRunsAlone(t *testing.T) {
	s := openTestWith(t, Config{URL: testURI(t), Lanes: 1})
	a, b := newUser(t, s, 100), newUser(t, s, 100)
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.WithinTx(t.Context(), func(ctx context.Context, tx ports.Tx) error {
			if err := addCash(ctx, tx, a.ID, 10); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	var attempts atomic.Int32
	groups := s.d.lanes.groups.Load()
	var committed time.Time
	errs, panics := inOneGroup(t, s, "k", []txFunc{
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, b.ID, 1) },
		func(ctx context.Context, tx ports.Tx) error {
			if attempts.Add(1) == 2 {
				// The group has committed: it did not wait for the holder.
				committed = time.Now()
				close(release)
			}
			return addCash(ctx, tx, a.ID, 1)
		},
		func(ctx context.Context, tx ports.Tx) error { return addCash(ctx, tx, b.ID, 1) },
	})
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	for i := range errs {
		if errs[i] != nil || panics[i] != nil {
			t.Errorf("member %d: %v %v, want success", i, errs[i], panics[i])
		}
	}
	if n := attempts.Load(); n != 2 || committed.IsZero() {
		t.Errorf("the waiting member ran %d times, want 2: once in the group, once on its own", n)
	}
	if n := s.d.lanes.groups.Load() - groups; n != 1 {
		t.Errorf("%d groups committed, want 1", n)
	}
	if got := cashOf(t, s, a.ID); !got.Equal(decimal.NewFromInt(111)) {
		t.Errorf("cash of the held account %s, want 111", got)
	}
	if got := cashOf(t, s, b.ID); !got.Equal(decimal.NewFromInt(102)) {
		t.Errorf("cash of the other account %s, want 102", got)
	}
}
