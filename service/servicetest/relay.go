package servicetest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

const (
	relayMessages = 10_000
	relayCount    = 3
	// relayOverrun bounds the deliveries beyond one per message, as a
	// fraction of the messages: each relay claims its own batches, so
	// none should happen at all while every relay lives.
	relayOverrun = 0.05
)

// testRelaysShareTheOutbox: three relays on one outbox of 10,000 messages
// deliver every message, and at most 1.05 × 10,000 times in all, on every
// engine; each message is removed exactly once.
func testRelaysShareTheOutbox(f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids := uuidV7{}
	for i := 0; i < relayMessages; i += 500 {
		f.must(f.s.WithinTx(f.ctx, func(ctx context.Context, tx ports.Tx) error {
			for j := i; j < min(i+500, relayMessages); j++ {
				m := ports.OutboxMessage{ID: ids.NewID(), Kind: "order.start", Key: fmt.Sprint("o", j), Payload: []byte(`{}`), NextTry: now, CreatedAt: now}
				if err := tx.Enqueue(ctx, m); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	var (
		mu    sync.Mutex
		count = map[string]int{}
	)
	deliver := func(_ context.Context, m ports.OutboxMessage) error {
		mu.Lock()
		count[m.ID]++
		mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(f.ctx)
	relays := make([]*service.Relay, relayCount)
	var wg sync.WaitGroup
	for i := range relays {
		relays[i] = &service.Relay{Store: f.s, Deliver: deliver, Owner: fmt.Sprint("relay-", i), Batch: 100, Concurrency: 8, Poll: 20 * time.Millisecond}
		wg.Go(func() { _ = relays[i].Run(ctx) })
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := f.s.OutboxSize(f.ctx)
		f.must(err)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			f.Fatalf("%d of %d messages still in the outbox after 2 minutes", n, relayMessages)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	deliveries := 0
	for _, c := range count {
		deliveries += c
	}
	var sum service.RelayStats
	for i, r := range relays {
		s := r.Stats()
		f.Logf("relay %d: claimed %d, delivered %d, removed %d, failed %d", i, s.Claimed, s.Delivered, s.Removed, s.Failed)
		sum.Delivered += s.Delivered
		sum.Removed += s.Removed
		if s.Claimed == 0 {
			f.Errorf("relay %d claimed nothing: the test did not run the relays side by side", i)
		}
	}
	f.Logf("%d messages, %d deliveries (%.4f per message)", relayMessages, deliveries, float64(deliveries)/relayMessages)
	if len(count) != relayMessages {
		f.Errorf("%d distinct messages delivered, want %d", len(count), relayMessages)
	}
	if limit := int(relayMessages * (1 + relayOverrun)); deliveries > limit {
		f.Errorf("%d deliveries of %d messages, more than %d", deliveries, relayMessages, limit)
	}
	if sum.Delivered != int64(deliveries) || sum.Removed != relayMessages {
		f.Errorf("the relays counted %d deliveries and %d removals; want %d and %d", sum.Delivered, sum.Removed, deliveries, relayMessages)
	}
}
