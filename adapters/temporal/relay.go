package temporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// Relay delivers the outbox to Temporal: it starts the workflow of every
// resting order and prepared payment, and signals order workflows about
// fills. The outbox row is written in the same transaction as the change it
// announces, and deleted only after Temporal accepted it, so a row never
// lacks its workflow even when the cluster was down at the time. Delivery
// is at least once; the workflow id and the reuse policy make a repeat
// harmless.
type Relay struct {
	Store     ports.Store
	Client    client.Client
	TaskQueue string
	Logger    *slog.Logger
	// Concurrency bounds the requests in flight to the frontend.
	Concurrency int
	// Poll is how often the relay looks for due messages when nobody
	// kicks it (other processes write the outbox too).
	Poll time.Duration
	// Batch is how many messages one pass takes.
	Batch int

	kick      chan struct{}
	once      sync.Once
	delivered atomic.Int64
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
			r.Batch = 512
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

// Delivered counts messages delivered since start.
func (r *Relay) Delivered() int64 { return r.delivered.Load() }

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

// Pass delivers one batch of due messages and reports how many it took.
func (r *Relay) Pass(ctx context.Context) (int, error) {
	r.init()
	msgs, err := r.Store.DueOutbox(ctx, time.Now().UTC(), r.Batch)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	var (
		mu   sync.Mutex
		done []string
		wg   sync.WaitGroup
		sem  = make(chan struct{}, r.Concurrency)
	)
	for _, m := range msgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := r.deliver(ctx, m)
			if err == nil {
				mu.Lock()
				done = append(done, m.ID)
				mu.Unlock()
				return
			}
			if ctx.Err() != nil {
				return
			}
			next := time.Now().UTC().Add(backoff(m.Attempts))
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
		if err := r.Store.DeleteOutbox(context.WithoutCancel(ctx), done); err != nil {
			return len(msgs), err
		}
		r.delivered.Add(int64(len(done)))
	}
	return len(msgs), nil
}

// backoff spaces retries of one message: 1 s, 2 s, 4 s ... up to a minute.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 6)
	return min(d, time.Minute)
}

// StartOptions are the options every StocKing workflow starts with: the id
// is the business id, a finished workflow is never started again under the
// same id, and a start that finds the workflow running joins it.
func StartOptions(id, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: false,
	}
}

func (r *Relay) deliver(ctx context.Context, m ports.OutboxMessage) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch m.Kind {
	case service.OutboxOrderStart:
		var ev service.OrderEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := orderInput(ev)
		_, err := r.Client.ExecuteWorkflow(ctx, StartOptions(workflows.OrderWorkflowID(in.OrderID), r.TaskQueue), workflows.OrderWorkflowName, in)
		return alreadyDone(err)
	case service.OutboxOrderClosed:
		var ev service.OrderEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := orderInput(ev)
		// Usually the workflow is running and a plain signal is the
		// cheapest delivery. When it is not there (the fill beat the
		// start), signal-with-start creates it already knowing it is done.
		opts := StartOptions(workflows.OrderWorkflowID(in.OrderID), r.TaskQueue)
		err := r.Client.SignalWorkflow(ctx, opts.ID, "", workflows.SignalOrderClosed, in)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			_, err = r.Client.SignalWithStartWorkflow(ctx, opts.ID, workflows.SignalOrderClosed, in, opts, workflows.OrderWorkflowName, in)
		}
		return alreadyDone(err)
	case service.OutboxContestStart:
		var ev service.ContestEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := workflows.ContestInput{ContestID: ev.ContestID}
		_, err := r.Client.ExecuteWorkflow(ctx, StartOptions(workflows.ContestWorkflowID(ev.ContestID), r.TaskQueue), workflows.ContestWorkflowName, in)
		return alreadyDone(err)
	case service.OutboxPaymentStart:
		var ev service.PaymentEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := paymentInput(ev)
		_, err := r.Client.ExecuteWorkflow(ctx, StartOptions(workflows.PaymentWorkflowID(in.PaymentID), r.TaskQueue), workflows.PaymentWorkflowName, in)
		return alreadyDone(err)
	}
	return r.poison(m, fmt.Errorf("unknown kind %q", m.Kind))
}

// orderInput translates the service's outbox event into the workflow's
// input contract.
func orderInput(ev service.OrderEvent) workflows.OrderInput {
	return workflows.OrderInput{
		OrderID: ev.OrderID, UserID: ev.UserID, StockCode: ev.StockCode, Side: string(ev.Side),
		TimeInForce: string(ev.TimeInForce), ExpiresAt: ev.ExpiresAt, Status: string(ev.Status),
	}
}

// alreadyDone treats "the workflow already ran under this id" as delivered.
func alreadyDone(err error) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// poison drops a message that can never be delivered, loudly: retrying it
// would block nothing but would never succeed either.
func (r *Relay) poison(m ports.OutboxMessage, err error) error {
	r.Logger.Error("dropping undeliverable outbox message", "id", m.ID, "kind", m.Kind, "key", m.Key, "err", err)
	return nil
}
