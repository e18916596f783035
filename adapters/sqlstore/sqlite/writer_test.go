package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// waitQueued waits until a leader runs and n callers queue behind it.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		// The load counts the leader and the callers queued behind it.
		if s.d.writer.Load() >= n+1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no leader with %d callers queued behind it", n)
}

// TestGroupCommitIsolatesFailures runs one batch whose members succeed,
// fail before writing, fail after writing and panic after writing, and
// checks that each caller gets its own outcome and that only the
// successful ones' changes are saved.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "batch.db"))
	ctx := t.Context()
	now := time.Now().UTC()
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.CreateUser(ctx, domain.User{ID: "u1", Email: "u1@example.com", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, domain.Account{ID: "u1", UserID: "u1", Kind: domain.PersonalAccount, Cash: decimal.Zero, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}

	const n = 24
	boom := errors.New("boom")
	addCash := func(ctx context.Context, tx ports.Tx, won int64) error {
		a, err := tx.LockAccount(ctx, "u1")
		if err != nil {
			return err
		}
		a.Cash = a.Cash.Add(decimal.NewFromInt(won))
		return tx.SaveAccount(ctx, a)
	}
	// Member i: 0 succeeds (+1), 1 fails before writing, 2 writes +1000
	// then fails, 3 writes +1000 then panics.
	kind := func(i int) int { return i % 4 }

	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // a failed wait must not leave the leader blocked
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	run := func(i int) {
		defer func() { panics[i] = recover() }()
		errs[i] = s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			if i == 0 {
				<-release // hold the writer until everyone else queued
			}
			switch kind(i) {
			case 0:
				return addCash(ctx, tx, 1)
			case 1:
				return boom
			case 2:
				if err := addCash(ctx, tx, 1000); err != nil {
					return err
				}
				return boom
			default:
				if err := addCash(ctx, tx, 1000); err != nil {
					return err
				}
				panic(fmt.Sprintf("panic %d", i))
			}
		})
	}
	wg.Go(func() { run(0) })
	waitQueued(t, s, 0) // the leader is running
	for i := 1; i < n; i++ {
		wg.Go(func() { run(i) })
	}
	waitQueued(t, s, n-1)
	open()
	wg.Wait()

	wantCash := int64(0)
	for i := range n {
		switch kind(i) {
		case 0:
			wantCash++
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("member %d: err %v, panic %v; want success", i, errs[i], panics[i])
			}
		case 1, 2:
			if !errors.Is(errs[i], boom) || panics[i] != nil {
				t.Errorf("member %d: err %v, panic %v; want boom", i, errs[i], panics[i])
			}
		default:
			if panics[i] != fmt.Sprintf("panic %d", i) {
				t.Errorf("member %d: panic %v, want its own panic in its own goroutine", i, panics[i])
			}
		}
	}
	a, err := s.GetAccount(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Cash.Equal(decimal.NewFromInt(wantCash)) {
		t.Errorf("cash = %s, want %d: only the successful members' changes may stay", a.Cash, wantCash)
	}
}

// TestCanceledWhileQueued checks that a caller whose context ends while it
// waits is answered without its function running.
func TestCanceledWhileQueued(t *testing.T) {
	s := openTest(t, MemoryPath)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.WithinTx(t.Context(), func(context.Context, ports.Tx) error {
			<-release
			return nil
		})
	})
	waitQueued(t, s, 0)
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	var err error
	wg.Go(func() {
		err = s.WithinTx(ctx, func(context.Context, ports.Tx) error { ran = true; return nil })
	})
	waitQueued(t, s, 1)
	cancel()
	open()
	wg.Wait()
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("canceled caller: err %v, ran %v; want context.Canceled without running", err, ran)
	}
}

// TestQueuedPastDeadline checks that a transaction that cannot get the
// writer within the statement timeout (another holds it) is answered as
// unavailable, in time and without running, and that the store goes on.
func TestQueuedPastDeadline(t *testing.T) {
	const timeout = 200 * time.Millisecond
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "slow.db"), StatementTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.WithinTx(context.Background(), func(context.Context, ports.Tx) error {
			<-release
			return nil
		})
	})
	waitQueued(t, s, 0)
	ran := false
	start := time.Now()
	err = s.WithinTx(t.Context(), func(context.Context, ports.Tx) error { ran = true; return nil })
	took := time.Since(start)
	close(release)
	wg.Wait()
	if !domain.IsCode(err, domain.CodeUnavailable) || ran || took > timeout+500*time.Millisecond {
		t.Errorf("queued past the deadline: err %v, ran %v after %s; want unavailable without running, in time", err, ran, took)
	}
	if err := s.WithinTx(t.Context(), func(context.Context, ports.Tx) error { return nil }); err != nil {
		t.Errorf("after the writer came free: %v", err)
	}
}

func TestClosedStoreRefusesTransactions(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: MemoryPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err = s.WithinTx(t.Context(), func(context.Context, ports.Tx) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Errorf("WithinTx after Close = %v, want errClosed", err)
	}
}

// TestGoexitInsideTransaction checks that a function ending its goroutine
// (t.FailNow inside fn does) neither keeps its changes nor leaves the
// writer stuck, whether it led the batch or was queued behind a leader.
func TestGoexitInsideTransaction(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "goexit.db"))
	ctx := t.Context()
	now := time.Now().UTC()
	addUser := func(ctx context.Context, tx ports.Tx, id string) error {
		return tx.CreateUser(ctx, domain.User{ID: id, Email: id + "@example.com", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now})
	}

	// The leader's own function exits.
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			if err := addUser(ctx, tx, "gone"); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		t.Error("WithinTx returned after Goexit")
	})
	wg.Wait()

	// A queued function exits on the leader's goroutine: the leader's
	// caller never returns, the queued caller is told nothing was saved.
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	wg.Go(func() {
		_ = s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			<-release
			return addUser(ctx, tx, "leader")
		})
	})
	waitQueued(t, s, 0)
	var queuedErr error
	wg.Go(func() {
		queuedErr = s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			if err := addUser(ctx, tx, "queued"); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	})
	waitQueued(t, s, 1)
	open()
	wg.Wait()
	if !errors.Is(queuedErr, errGoexit) {
		t.Errorf("queued caller got %v, want errGoexit", queuedErr)
	}

	// The writer still works, and nothing of the exited batches stayed.
	if err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error { return addUser(ctx, tx, "after") }); err != nil {
		t.Fatalf("WithinTx after Goexit: %v", err)
	}
	for id, want := range map[string]bool{"gone": false, "leader": false, "queued": false, "after": true} {
		_, err := s.GetUser(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("user %s stored = %v, want %v (err %v)", id, got, want, err)
		}
	}
}
