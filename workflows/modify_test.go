package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/stocking-kr/stocking/domain"
)

// gtcOrder is a resting GTC buy of qty shares at 60,000, last changed at
// the time given.
func gtcOrder(id string, qty int64, at time.Time) (OrderInput, OrderState) {
	in := OrderInput{OrderID: id, Side: string(domain.Buy), TimeInForce: string(domain.GTC), Status: string(domain.Pending), Quantity: qty, UpdatedAt: at}
	return in, OrderState{ID: id, Status: string(domain.Pending), Quantity: qty, LimitPrice: "60000", UpdatedAt: at}
}

func queryOrder(t *testing.T, env *testsuite.TestWorkflowEnvironment) OrderState {
	t.Helper()
	v, err := env.QueryWorkflow(QueryOrder)
	if err != nil {
		t.Fatal(err)
	}
	var st OrderState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestModifyThenPartialFills modifies a resting order through the update,
// then fills it in parts: the order query follows the modify and each
// fill, a fill reported before the modify but delivered after it does not
// undo the new size, and the workflow completes when the rest fills.
func TestModifyThenPartialFills(t *testing.T) {
	env := newOrderEnv(t)
	in, st := gtcOrder("m1", 2, placedAt)
	env.OnActivity(acts.LoadOrder, mock.Anything, "m1").Return(st, nil).Once()
	modified := st
	modified.Quantity, modified.LimitPrice, modified.UpdatedAt = 5, "60500", placedAt.Add(time.Minute)
	env.OnActivity(acts.ModifyOrder, mock.Anything, ModifyOrderInput{OrderID: "m1", Modify: ModifyInput{Quantity: 5, LimitPrice: "60500"}}).Return(modified, nil).Once()

	var answer OrderState
	var updErr error
	var afterModify, afterFills OrderState
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateModifyOrder, "modify-1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { updErr = err },
			OnComplete: func(v any, err error) { answer, updErr = v.(OrderState), err },
			OnAccept:   func() {},
		}, ModifyInput{Quantity: 5, LimitPrice: "60500"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		afterModify = queryOrder(t, env)
		// A fill of the order as it was before the modify, delivered late.
		env.SignalWorkflow(SignalOrderFilled, OrderInput{OrderID: "m1", Status: string(domain.PartiallyFilled), FilledQuantity: 1, Quantity: 2, UpdatedAt: placedAt.Add(30 * time.Second)})
		env.SignalWorkflow(SignalOrderFilled, OrderInput{OrderID: "m1", Status: string(domain.PartiallyFilled), FilledQuantity: 3, Quantity: 5, UpdatedAt: placedAt.Add(3 * time.Minute)})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		afterFills = queryOrder(t, env)
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "m1", Status: string(domain.Filled), FilledQuantity: 5, Quantity: 5, UpdatedAt: placedAt.Add(5 * time.Minute)})
	}, 4*time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, in)

	if updErr != nil || answer.Quantity != 5 || answer.LimitPrice != "60500" {
		t.Fatalf("modify update: %+v %v", answer, updErr)
	}
	if afterModify.Quantity != 5 || afterModify.LimitPrice != "60500" || afterModify.Status != string(domain.Pending) {
		t.Errorf("order query after the modify: %+v", afterModify)
	}
	if afterFills.Quantity != 5 || afterFills.FilledQuantity != 3 || afterFills.Status != string(domain.PartiallyFilled) {
		t.Errorf("order query after the fills: %+v", afterFills)
	}
	if out := outcome(t, env); out.Status != string(domain.Filled) {
		t.Fatalf("outcome %+v", out)
	}
	env.AssertExpectations(t)
}

// TestModifyValidator refuses, without running the activity, a modify that
// changes nothing, one at or below the filled quantity, and any modify once
// the order is final; a refusal by the database comes back with its code.
func TestModifyValidator(t *testing.T) {
	env := newOrderEnv(t)
	in, st := gtcOrder("m2", 6, placedAt)
	env.OnActivity(acts.LoadOrder, mock.Anything, "m2").Return(st, nil).Once()
	env.OnActivity(acts.ModifyOrder, mock.Anything, ModifyOrderInput{OrderID: "m2", Modify: ModifyInput{Quantity: 900}}).
		Return(OrderState{}, temporal.NewNonRetryableApplicationError("buying 900 shares costs more than is available", string(domain.CodeInsufficientFunds), nil)).Once()

	rejected := map[string]error{}
	send := func(name string, m ModifyInput, at time.Duration) {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(UpdateModifyOrder, name, &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnReject:   func(err error) { rejected[name] = err },
				OnComplete: func(_ any, err error) { rejected[name+" (completed)"] = err },
			}, m)
		}, at)
	}
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalOrderFilled, OrderInput{OrderID: "m2", Status: string(domain.PartiallyFilled), FilledQuantity: 2, Quantity: 6, UpdatedAt: placedAt.Add(time.Minute)})
	}, time.Minute)
	send("nothing", ModifyInput{}, 2*time.Minute)
	send("at filled", ModifyInput{Quantity: 2}, 2*time.Minute)
	send("too big", ModifyInput{Quantity: 900}, 3*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "m2", Status: string(domain.Cancelled)})
	}, 4*time.Minute)
	send("after the end", ModifyInput{Quantity: 8}, 4*time.Minute+time.Second)
	env.ExecuteWorkflow(OrderWorkflowName, in)

	for name, code := range map[string]string{
		"nothing": string(domain.CodeInvalid), "at filled": string(domain.CodeInvalid),
		"too big (completed)": string(domain.CodeInsufficientFunds),
	} {
		var app *temporal.ApplicationError
		if !errors.As(rejected[name], &app) || app.Type() != code {
			t.Errorf("%s: %v, want a %s error", name, rejected[name], code)
		}
		if de := FromTemporal(rejected[name]); de == nil || string(de.Code) != code {
			t.Errorf("%s maps to %v, want the domain's %s", name, de, code)
		}
	}
	// After the end the workflow is gone; the environment either rejects
	// the update as a conflict or cannot deliver it at all.
	if err, ok := rejected["after the end"]; ok {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != ErrConflict {
			t.Errorf("modify after the end: %v", err)
		}
	}
	if out := outcome(t, env); out.Status != string(domain.Cancelled) {
		t.Fatalf("outcome %+v", out)
	}
	env.AssertExpectations(t)
}

// TestModifiedOutsideTheWorkflow: a modify the database decided while the
// engine was away reaches the workflow as the order-modified signal, and an
// older report after it changes nothing.
func TestModifiedOutsideTheWorkflow(t *testing.T) {
	env := newOrderEnv(t)
	in, st := gtcOrder("m3", 6, placedAt)
	env.OnActivity(acts.LoadOrder, mock.Anything, "m3").Return(st, nil).Once()
	var seen OrderState
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalOrderModified, OrderInput{OrderID: "m3", Status: string(domain.Pending), Quantity: 3, UpdatedAt: placedAt.Add(time.Minute)})
		env.SignalWorkflow(SignalOrderModified, OrderInput{OrderID: "m3", Status: string(domain.Pending), Quantity: 9, UpdatedAt: placedAt.Add(time.Second)})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		seen = queryOrder(t, env)
		env.SignalWorkflow(SignalOrderClosed, OrderInput{OrderID: "m3", Status: string(domain.Cancelled)})
	}, 2*time.Minute)
	env.ExecuteWorkflow(OrderWorkflowName, in)
	if seen.Quantity != 3 || seen.LimitPrice != "60000" {
		t.Errorf("order query after the signals: %+v", seen)
	}
	if out := outcome(t, env); out.Status != string(domain.Cancelled) {
		t.Fatalf("outcome %+v", out)
	}
}
