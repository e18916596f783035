package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// Activities are the workflows' only way to touch the world. Each is keyed
// by an order or payment id and idempotent: running it again after a crash
// finds the row already in its final state and reports that. Errors leave
// through ToTemporal, so that only the core's rejections are final.
type Activities struct {
	Service *service.Service
}

// bulk marks an activity's context for the store as a bulk step's (a
// pass over every account or order): each of its statements and
// transactions is bounded by the time the activity has left (its
// start-to-close timeout) instead of DB_TIMEOUT, which is sized for
// requests; a step that a large database makes slow then finishes rather
// than failing at the request bound and retrying for ever.
func bulk(ctx context.Context) context.Context {
	if d, ok := ctx.Deadline(); ok {
		return ports.WithBulkTimeout(ctx, time.Until(d))
	}
	return ctx
}

// LoadOrder reads an order's current state.
func (a *Activities) LoadOrder(ctx context.Context, orderID string) (OrderState, error) {
	o, err := a.Service.Store().GetOrder(ctx, orderID)
	if err != nil {
		return OrderState{}, ToTemporal(err)
	}
	return OrderStateOf(o), nil
}

// CancelOrder cancels a resting order in the database. Losing to a fill or
// an expiry is not an error: the result says who won.
func (a *Activities) CancelOrder(ctx context.Context, orderID string) (CloseResult, error) {
	return a.close(ctx, orderID, domain.Cancelled, "cancelled by user")
}

// ExpireOrder expires a DAY order at its close.
func (a *Activities) ExpireOrder(ctx context.Context, orderID string) (CloseResult, error) {
	return a.close(ctx, orderID, domain.Expired, "expired at the close of its trading day")
}

func (a *Activities) close(ctx context.Context, orderID string, status domain.OrderStatus, reason string) (CloseResult, error) {
	o, err := a.Service.Orders.Close(ctx, orderID, status, reason)
	if err == nil {
		return CloseResult{Order: OrderStateOf(o), Won: true}, nil
	}
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeConflict && o.ID != "" {
		return CloseResult{Order: OrderStateOf(o), Won: false, Message: de.Message}, nil
	}
	return CloseResult{}, ToTemporal(err)
}

// SyncPayment asks PortOne for the payment and applies the answer.
func (a *Activities) SyncPayment(ctx context.Context, paymentID string) (PaymentState, error) {
	p, err := a.Service.Payments.Sync(ctx, paymentID)
	if err != nil {
		return PaymentState{}, ToTemporal(err)
	}
	return PaymentStateOf(p), nil
}

// ExpirePayment closes a payment nobody paid in time.
func (a *Activities) ExpirePayment(ctx context.Context, paymentID string) (PaymentState, error) {
	p, err := a.Service.Payments.Expire(ctx, paymentID)
	if err != nil {
		return PaymentState{}, ToTemporal(err)
	}
	return PaymentStateOf(p), nil
}

// RefundMismatched refunds a payment whose amount or currency did not match
// what was prepared.
func (a *Activities) RefundMismatched(ctx context.Context, paymentID string) error {
	return ToTemporal(a.Service.Payments.RefundMismatched(ctx, paymentID))
}
