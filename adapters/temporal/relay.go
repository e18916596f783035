package temporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// NewRelay returns the relay that delivers the outbox to Temporal: it
// starts the workflow of every resting order and prepared payment, and
// signals order workflows about fills. The outbox row is written in the
// same transaction as the change it announces, and deleted only after
// Temporal accepted it, so a row never lacks its workflow even when the
// cluster was down at the time. Delivery is at least once; the workflow id
// and the reuse policy make a repeat harmless. owner names the process in
// the messages it claims.
func NewRelay(store ports.Store, c client.Client, taskQueue, owner string, logger *slog.Logger) *service.Relay {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &delivery{client: c, taskQueue: taskQueue, logger: logger}
	return &service.Relay{Store: store, Deliver: d.deliver, Owner: owner, Logger: logger}
}

// delivery performs outbox messages on Temporal.
type delivery struct {
	client    client.Client
	taskQueue string
	logger    *slog.Logger
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

func (r *delivery) deliver(ctx context.Context, m ports.OutboxMessage) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch m.Kind {
	case service.OutboxOrderStart:
		var ev service.OrderEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := orderInput(ev)
		_, err := r.client.ExecuteWorkflow(ctx, StartOptions(workflows.OrderWorkflowID(in.OrderID), r.taskQueue), workflows.OrderWorkflowName, in)
		return alreadyDone(err)
	case service.OutboxOrderClosed, service.OutboxOrderFilled, service.OutboxOrderModified, service.OutboxOrderTriggered:
		var ev service.OrderEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := orderInput(ev)
		signal := workflows.SignalOrderClosed
		switch m.Kind {
		case service.OutboxOrderFilled:
			signal = workflows.SignalOrderFilled
		case service.OutboxOrderModified:
			signal = workflows.SignalOrderModified
		case service.OutboxOrderTriggered:
			signal = workflows.SignalOrderTriggered
		}
		// Usually the workflow is running and a plain signal is the
		// cheapest delivery. When it is not there (the fill beat the
		// start), signal-with-start creates it already knowing the news.
		opts := StartOptions(workflows.OrderWorkflowID(in.OrderID), r.taskQueue)
		err := r.client.SignalWorkflow(ctx, opts.ID, "", signal, in)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			_, err = r.client.SignalWithStartWorkflow(ctx, opts.ID, signal, in, opts, workflows.OrderWorkflowName, in)
		}
		return alreadyDone(err)
	case service.OutboxContestStart:
		var ev service.ContestEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := workflows.ContestInput{ContestID: ev.ContestID}
		_, err := r.client.ExecuteWorkflow(ctx, StartOptions(workflows.ContestWorkflowID(ev.ContestID), r.taskQueue), workflows.ContestWorkflowName, in)
		return alreadyDone(err)
	case service.OutboxPaymentStart:
		var ev service.PaymentEvent
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return r.poison(m, err)
		}
		in := paymentInput(ev)
		_, err := r.client.ExecuteWorkflow(ctx, StartOptions(workflows.PaymentWorkflowID(in.PaymentID), r.taskQueue), workflows.PaymentWorkflowName, in)
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
		FilledQuantity: ev.FilledQuantity, Quantity: ev.Quantity, UpdatedAt: ev.UpdatedAt,
		TriggeredAt: ev.TriggeredAt,
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
func (r *delivery) poison(m ports.OutboxMessage, err error) error {
	r.logger.Error("dropping undeliverable outbox message", "id", m.ID, "kind", m.Kind, "key", m.Key, "err", err)
	return nil
}
