package service_test

import (
	"context"
	"testing"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// engine stands in for the workflow engine as Modify sees it. Each modify
// is answered by answer, which may first apply the modify itself (the way
// a workflow's update would) and then lose the answer.
type engine struct {
	svc    *service.Service
	answer func(ctx context.Context, id string, req domain.ModifyRequest) error
	calls  int
}

func (e *engine) CancelOrder(context.Context, string) error { return ports.ErrWorkflowUnavailable }
func (e *engine) ModifyOrder(ctx context.Context, id string, req domain.ModifyRequest) error {
	e.calls++
	return e.answer(ctx, id, req)
}
func (e *engine) CompletePayment(context.Context, string) error { return ports.ErrWorkflowUnavailable }
func (e *engine) PaymentWebhook(context.Context, string) error  { return ports.ErrWorkflowUnavailable }
func (e *engine) Ready(context.Context) error                   { return nil }

func withEngine(e *engine) option {
	return func(d *service.Deps, c *service.Config) {
		d.Workflows = e
		c.OrderWorkflows = true
	}
}

// TestModifyFallsBackToTheDatabase follows Modify when the workflow engine
// does not answer: the database decides, and tells the workflow through
// the outbox; when the engine had in fact modified the order and only its
// answer was lost, the caller gets the modified order, not "nothing to
// change"; a refusal by the workflow comes back as it is, and a request
// the order cannot take never reaches the engine.
func TestModifyFallsBackToTheDatabase(t *testing.T) {
	e := &engine{}
	svc := newService(t, withEngine(e))
	e.svc = svc
	ctx := context.Background()
	u := trader(t, svc, "fallback@example.com")
	placed, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC, Quantity: 5, LimitPrice: limit("60000")})
	if err != nil {
		t.Fatal(err)
	}
	id := placed.Order.ID
	outboxKinds := func() map[string]int {
		msgs, err := svc.Store().DueOutbox(ctx, placed.Order.CreatedAt.AddDate(1, 0, 0), 100)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, m := range msgs {
			kinds[m.Kind]++
		}
		return kinds
	}

	// Unavailable: the database decides and queues order.modified.
	e.answer = func(context.Context, string, domain.ModifyRequest) error { return ports.ErrWorkflowUnavailable }
	o, err := svc.Orders.Modify(ctx, u, id, domain.ModifyRequest{Quantity: 3})
	if err != nil || o.Quantity != 3 {
		t.Fatalf("modify with the engine away: %+v %v", o, err)
	}
	if k := outboxKinds(); k[service.OutboxOrderModified] != 1 {
		t.Fatalf("outbox after the fallback: %v", k)
	}

	// Applied by the engine, answer lost: the fallback finds the order
	// already modified and answers it.
	e.answer = func(ctx context.Context, id string, req domain.ModifyRequest) error {
		if _, err := e.svc.Orders.ApplyModify(ctx, id, req); err != nil {
			t.Errorf("the engine's modify: %v", err)
		}
		return ports.ErrWorkflowUnavailable
	}
	o, err = svc.Orders.Modify(ctx, u, id, domain.ModifyRequest{LimitPrice: limit("60500")})
	if err != nil || !o.LimitPrice.Decimal.Equal(d("60500")) || o.Quantity != 3 {
		t.Fatalf("modify whose answer was lost: %+v %v", o, err)
	}
	if k := outboxKinds(); k[service.OutboxOrderModified] != 1 {
		t.Fatalf("the engine's own modify was announced through the outbox too: %v", k)
	}

	// The workflow's refusal is the caller's answer, and changes nothing.
	e.answer = func(context.Context, string, domain.ModifyRequest) error {
		return domain.Errorf(domain.CodeConflict, "order is already FILLED")
	}
	if _, err := svc.Orders.Modify(ctx, u, id, domain.ModifyRequest{Quantity: 4}); !domain.IsCode(err, domain.CodeConflict) {
		t.Fatalf("refused by the workflow: %v", err)
	}

	// Refused before the engine is asked.
	calls := e.calls
	for _, req := range []domain.ModifyRequest{{}, {Quantity: 3}, {Quantity: -1}, {LimitPrice: limit("60550")}, {LimitPrice: limit("99000")}} {
		if _, err := svc.Orders.Modify(ctx, u, id, req); !domain.IsCode(err, domain.CodeInvalid) {
			t.Errorf("modify %+v: %v, want invalid", req, err)
		}
	}
	other := trader(t, svc, "other@example.com")
	if _, err := svc.Orders.Modify(ctx, other, id, domain.ModifyRequest{Quantity: 4}); !domain.IsCode(err, domain.CodeNotFound) {
		t.Errorf("another user's modify: %v, want not found", err)
	}
	if e.calls != calls {
		t.Errorf("refused requests reached the engine %d times", e.calls-calls)
	}
	got, err := svc.Orders.Get(ctx, u.UserID, id)
	if err != nil || got.Quantity != 3 || !got.LimitPrice.Decimal.Equal(d("60500")) {
		t.Fatalf("order after the refusals: %+v %v", got, err)
	}
	rep, err := svc.Audit.Run(ctx)
	if err != nil || len(rep.Violations) > 0 {
		t.Fatalf("audit: %v %v", err, rep.Violations)
	}
}
