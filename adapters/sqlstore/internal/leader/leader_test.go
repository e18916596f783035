package leader

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many callers at once: one leader runs at a time, leaders take queued
// calls into their batches, and every caller gets the answer to its own
// work, from its own lead or from a leader that took it.
func TestEveryCallIsAnsweredOnce(t *testing.T) {
	var q Queue[int, int]
	var running, batches, taken atomic.Int64
	lead := func(first *Call[int, int]) int {
		if running.Add(1) != 1 {
			t.Error("two leaders run at once")
		}
		defer running.Add(-1)
		batches.Add(1)
		time.Sleep(100 * time.Microsecond)
		for c := q.Take(); c != nil; c = q.Take() {
			taken.Add(1)
			c.Answer(c.Work * 2)
		}
		return first.Work * 2
	}
	const n = 2000
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, err := q.Do(NewCall[int, int](t.Context(), i), lead)
			if err != nil || got != i*2 {
				t.Errorf("call %d: %d, %v; want %d", i, got, err, i*2)
			}
		})
	}
	wg.Wait()
	if q.Busy() || q.Load() != 0 {
		t.Errorf("after every call: busy %v, load %d", q.Busy(), q.Load())
	}
	if b, k := batches.Load(), taken.Load(); b+k != n || k == 0 {
		t.Errorf("%d batches led and %d calls taken into them, want %d in all with some taken", b, k, n)
	}
}

// A queued call whose context ends leaves the queue without running; a
// closed queue refuses calls.
func TestQueuedCallLeavesAndClosedQueueRefuses(t *testing.T) {
	var q Queue[string, string]
	release := make(chan struct{})
	inLead := make(chan struct{})
	done := make(chan string)
	go func() {
		res, _ := q.Do(NewCall[string, string](context.Background(), "first"), func(first *Call[string, string]) string {
			close(inLead)
			<-release
			// Whatever is queued now runs in this batch.
			for c := q.Take(); c != nil; c = q.Take() {
				c.Answer("ran " + c.Work)
			}
			return "ran " + first.Work
		})
		done <- res
	}()
	<-inLead
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error)
	go func() {
		_, err := q.Do(NewCall[string, string](ctx, "cancelled"), func(*Call[string, string]) string {
			t.Error("a cancelled call was handed the runner")
			return ""
		})
		left <- err
	}()
	for q.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v, want context.Canceled", err)
	}
	if q.Load() != 1 {
		t.Errorf("load %d after the call left, want 1 (the leader)", q.Load())
	}
	close(release)
	if res := <-done; res != "ran first" {
		t.Errorf("leader: %q", res)
	}
	if !q.Close() || q.Close() {
		t.Error("Close: want true once, then false")
	}
	if _, err := q.Do(NewCall[string, string](context.Background(), "late"), func(*Call[string, string]) string { return "" }); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// A leader whose function ends its goroutine still hands the runner on.
func TestGoexitHandsTheRunnerOn(t *testing.T) {
	var q Queue[int, int]
	inLead := make(chan struct{})
	exit := make(chan struct{})
	go func() {
		q.Do(NewCall[int, int](context.Background(), 1), func(*Call[int, int]) int {
			close(inLead)
			<-exit
			runtime.Goexit()
			return 0
		})
	}()
	<-inLead
	got := make(chan int)
	go func() {
		res, err := q.Do(NewCall[int, int](context.Background(), 2), func(first *Call[int, int]) int { return first.Work * 10 })
		if err != nil {
			t.Error(err)
		}
		got <- res
	}()
	for q.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	close(exit)
	select {
	case res := <-got:
		if res != 20 {
			t.Errorf("the next caller led and got %d, want 20", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the runner was never handed on")
	}
}

// Catch carries an error or a panic; Unwrap raises the panic again.
func TestCatchCarriesPanics(t *testing.T) {
	boom := errors.New("boom")
	o := Catch(func(a, b int) error {
		if a+b == 3 {
			return boom
		}
		return nil
	}, 1, 2)
	if !o.Failed() || o.Panicked || !errors.Is(o.Unwrap(), boom) {
		t.Errorf("error: %+v", o)
	}
	if o := Catch(func(int, int) error { return nil }, 0, 0); o.Failed() || o.Unwrap() != nil {
		t.Errorf("success: %+v", o)
	}
	o = Catch(func(string, int) error { panic("bad") }, "", 0)
	if !o.Failed() || !o.Panicked || o.PanicVal != "bad" {
		t.Fatalf("panic: %+v", o)
	}
	defer func() {
		if v := recover(); v != "bad" {
			t.Errorf("Unwrap raised %v, want the panic", v)
		}
	}()
	o.Unwrap()
	t.Error("Unwrap of a panic returned")
}
