package workflows

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/stocking-kr/stocking/domain"
)

// orderView is the order as its workflow knows it: the newest report
// (load, modify, fill signal, order-modified signal) of its size and
// limit, and the most shares any report said had filled. Reports can
// arrive out of order (a fill's signal queued before a modify may be
// delivered after it), so a report older than the view changes only the
// filled count, which never goes down.
type orderView struct {
	state OrderState
}

func (v *orderView) learn(st OrderState) {
	if st.FilledQuantity > v.state.FilledQuantity {
		v.state.FilledQuantity = st.FilledQuantity
	}
	if st.UpdatedAt.IsZero() || st.UpdatedAt.Before(v.state.UpdatedAt) {
		return
	}
	if st.Quantity > 0 {
		v.state.Quantity = st.Quantity
	}
	if st.LimitPrice != "" {
		v.state.LimitPrice = st.LimitPrice
	}
	v.state.UpdatedAt = st.UpdatedAt
}

func (v *orderView) learnInput(ev OrderInput) {
	v.learn(OrderState{Quantity: ev.Quantity, FilledQuantity: ev.FilledQuantity, UpdatedAt: ev.UpdatedAt})
}

// handleModify installs the modify update, the order-modified signal and
// the order query on an order's workflow. status reads the status the
// workflow believes; settle tells it what the database said.
func handleModify(ctx workflow.Context, in OrderInput, view *orderView, status func() domain.OrderStatus, settle func(OrderState)) error {
	var a *Activities
	view.state.ID = in.OrderID
	view.learnInput(in)
	err := workflow.SetQueryHandler(ctx, QueryOrder, func() (OrderState, error) {
		st := view.state
		st.Status = string(status())
		return st, nil
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateModifyOrder,
		func(ctx workflow.Context, m ModifyInput) (OrderState, error) {
			var res OrderState
			lctx := workflow.WithLocalActivityOptions(ctx, localOpts)
			err := workflow.ExecuteLocalActivity(lctx, a.ModifyOrder, ModifyOrderInput{OrderID: in.OrderID, Modify: m}).Get(ctx, &res)
			if err != nil {
				return OrderState{}, err
			}
			view.learn(res)
			settle(res)
			return res, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, m ModifyInput) error {
			// What the workflow knows is enough to refuse these; the
			// activity checks everything again against the database.
			if st := status(); st.Final() {
				return temporal.NewApplicationError(fmt.Sprintf("order %s is already %s and can no longer be modified", in.OrderID, st), ErrConflict)
			}
			if m.Quantity < 0 || (m.Quantity == 0 && m.LimitPrice == "") {
				return temporal.NewApplicationError("nothing to change: send a new quantity or limit_price", string(domain.CodeInvalid))
			}
			if m.Quantity != 0 && m.Quantity <= view.state.FilledQuantity {
				return temporal.NewApplicationError(fmt.Sprintf("quantity must be more than the %d shares already filled, got %d", view.state.FilledQuantity, m.Quantity), string(domain.CodeInvalid))
			}
			return nil
		}})
	if err != nil {
		return err
	}
	modified := workflow.GetSignalChannel(ctx, SignalOrderModified)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev OrderInput
			if !modified.Receive(ctx, &ev) {
				return
			}
			view.learnInput(ev)
		}
	})
	return nil
}

// ModifyOrder modifies a resting order in the database, in one
// transaction. A refusal (final, below the filled quantity, off the grid,
// not enough cash or shares) is a non-retryable error carrying its code.
func (a *Activities) ModifyOrder(ctx context.Context, in ModifyOrderInput) (OrderState, error) {
	req, err := in.Modify.Request()
	if err != nil {
		return OrderState{}, ToTemporal(err)
	}
	o, err := a.Service.Orders.ApplyModify(ctx, in.OrderID, req)
	if err != nil {
		return OrderState{}, ToTemporal(err)
	}
	return OrderStateOf(o), nil
}
