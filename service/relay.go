package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stocking-kr/stocking/ports"
)

// Relay delivers the outbox: it claims due messages, hands each to
// Deliver, removes the delivered ones and schedules the failed ones again.
// Any number of relays may share one database (every `serve` and `worker`
// process runs one): a claim leases its messages to one relay, so each
// message is normally delivered once, and again only when its relay died
// or overran its lease before removing it. Delivery is therefore at least
// once, and Deliver must make a repeat harmless.
type Relay struct {
	Store ports.Store
	// Deliver performs one message's side effect. An error schedules the
	// message again after a backoff.
	Deliver func(ctx context.Context, m ports.OutboxMessage) error
	// Owner names this relay in the rows it claims (for operators).
	Owner  string
	Logger *slog.Logger
	// Concurrency bounds the deliveries in flight.
	Concurrency int
	// Poll is how often the relay looks for due messages when nobody
	// kicks it (other processes write the outbox too).
	Poll time.Duration
	// Batch is how many messages one claim takes.
	Batch int
	// Lease is how long a claim keeps other relays away. A pass stops
	// starting deliveries once two thirds of it have gone, so that it
	// finishes within its lease; what it did not reach waits for the
	// lease to run out.
	Lease time.Duration

	kick  chan struct{}
	once  sync.Once
	stats relayCounters
}

type relayCounters struct {
	claimed, delivered, failed, removed atomic.Int64
}

// RelayStats counts a relay's work since it started.
type RelayStats struct {
	// Claimed counts messages claimed.
	Claimed int64
	// Delivered counts successful deliveries.
	Delivered int64
	// Failed counts failed deliveries (each is tried again later).
	Failed int64
	// Removed counts delivered messages this relay removed from the
	// outbox. Delivered − Removed are deliveries another relay had
	// already made (or was making) of the same message.
	Removed int64
}

func (r *Relay) init() {
	r.once.Do(func() {
		r.kick = make(chan struct{}, 1)
		if r.Concurrency <= 0 {
			r.Concurrency = 32
		}
		if r.Poll <= 0 {
			r.Poll = 500 * time.Millisecond
		}
		if r.Batch <= 0 {
			r.Batch = 256
		}
		if r.Lease <= 0 {
			r.Lease = 30 * time.Second
		}
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Kick wakes the relay at once; the service calls it after committing
// messages.
func (r *Relay) Kick() {
	r.init()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	return RelayStats{
		Claimed: r.stats.claimed.Load(), Delivered: r.stats.delivered.Load(),
		Failed: r.stats.failed.Load(), Removed: r.stats.removed.Load(),
	}
}

// Run delivers until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	r.init()
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		n, err := r.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("outbox relay pass", "err", err)
		}
		if n >= r.Batch && err == nil {
			continue // more is waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Pass claims one batch of due messages, delivers it and reports how many
// it claimed.
func (r *Relay) Pass(ctx context.Context) (int, error) {
	r.init()
	now := time.Now().UTC()
	msgs, err := r.Store.ClaimOutbox(ctx, now, now.Add(r.Lease), r.Owner, r.Batch)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	r.stats.claimed.Add(int64(len(msgs)))
	pass, cancel := context.WithDeadline(ctx, now.Add(r.Lease*2/3))
	defer cancel()
	var (
		mu   sync.Mutex
		done []string
		wg   sync.WaitGroup
		sem  = make(chan struct{}, r.Concurrency)
	)
	for _, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-pass.Done():
		}
		if pass.Err() != nil {
			break // the rest stays claimed until the lease runs out
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := r.Deliver(pass, m)
			if err == nil {
				r.stats.delivered.Add(1)
				mu.Lock()
				done = append(done, m.ID)
				mu.Unlock()
				return
			}
			if pass.Err() != nil {
				return
			}
			r.stats.failed.Add(1)
			next := time.Now().UTC().Add(relayBackoff(m.Attempts))
			if derr := r.Store.DeferOutbox(context.WithoutCancel(ctx), m.ID, next, err.Error()); derr != nil {
				r.Logger.Warn("deferring outbox message", "id", m.ID, "err", derr)
			}
			if m.Attempts%10 == 0 {
				r.Logger.Warn("outbox delivery failed; will retry", "kind", m.Kind, "key", m.Key, "attempts", m.Attempts+1, "next", next, "err", err)
			}
		}()
	}
	wg.Wait()
	if len(done) > 0 {
		n, err := r.Store.DeleteOutbox(context.WithoutCancel(ctx), done)
		if err != nil {
			return len(msgs), err
		}
		r.stats.removed.Add(n)
	}
	return len(msgs), nil
}

// relayBackoff spaces retries of one message: 1 s, 2 s, 4 s ... up to a
// minute.
func relayBackoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 6)
	return min(d, time.Minute)
}
