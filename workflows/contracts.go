package workflows

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// The types below are everything the workflows exchange with the world:
// workflow inputs and results, activity results, signal and update
// payloads. They are recorded in every history, so they belong to this
// package, never to the domain: a rename in the domain must not change a
// history. Their JSON names are snake_case and stable. A field may be
// added (older histories decode it as its zero value); a field is never
// renamed or given another meaning without a new generation of histories
// (see HistoryVersion).
//
// Histories recorded before these types carried domain structs, encoded
// with Go's field names ("ID", "Status", "Reason"). Temporal's JSON
// converter matches names without regard to case, so the fields the
// workflows read (id, status, reason, won, message) decode from both.

// OrderInput starts an order's workflow, and is also the payload of the
// order-closed signal.
type OrderInput struct {
	OrderID     string    `json:"order_id"`
	UserID      string    `json:"user_id"`
	StockCode   string    `json:"stock_code"`
	Side        string    `json:"side"`
	TimeInForce string    `json:"time_in_force"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	Status      string    `json:"status"`
	// FilledQuantity is how many shares had filled when the message was
	// sent (the order-filled signal); absent before partial fills.
	FilledQuantity int64 `json:"filled_quantity,omitempty"`
	// Quantity is the order's size when the message was sent (a modify
	// changes it); absent before modify.
	Quantity int64 `json:"quantity,omitempty"`
	// UpdatedAt is when the order last changed before the message was
	// sent, so that the workflow keeps the newest of several reports;
	// absent before modify.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// TriggeredAt is when a stop order's trigger was reached (the
	// order-triggered signal, and the order-closed one of a STOP that
	// executed when triggered); absent before stop orders.
	TriggeredAt time.Time `json:"triggered_at,omitzero"`
}

// OrderInputFor is the input that starts (or restarts) an order's workflow.
func OrderInputFor(o domain.Order) OrderInput {
	return OrderInput{
		OrderID: o.ID, UserID: o.UserID, StockCode: o.StockCode, Side: string(o.Side),
		TimeInForce: string(o.TimeInForce), ExpiresAt: o.ExpiresAt, Status: string(o.Status),
		FilledQuantity: o.FilledQuantity, Quantity: o.Quantity, UpdatedAt: o.UpdatedAt,
		TriggeredAt: o.TriggeredAt,
	}
}

// OrderState is an order as a workflow sees it: what LoadOrder reads, what
// the cancel and modify updates answer, and what the order query shows.
// The size fields came with modify; results recorded before it lack them.
type OrderState struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason"`
	Quantity       int64     `json:"quantity,omitempty"`
	FilledQuantity int64     `json:"filled_quantity,omitempty"`
	LimitPrice     string    `json:"limit_price,omitempty"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// OrderStateOf is the workflow's view of an order.
func OrderStateOf(o domain.Order) OrderState {
	st := OrderState{
		ID: o.ID, Status: string(o.Status), Reason: o.Reason,
		Quantity: o.Quantity, FilledQuantity: o.FilledQuantity, UpdatedAt: o.UpdatedAt,
	}
	if o.LimitPrice.Valid {
		st.LimitPrice = o.LimitPrice.Decimal.String()
	}
	return st
}

// ModifyInput is the payload of the modify update: the order's new total
// quantity and new limit price, each left out (zero, "") to keep what the
// order has. The price is a decimal string, never a float.
type ModifyInput struct {
	Quantity   int64  `json:"quantity,omitempty"`
	LimitPrice string `json:"limit_price,omitempty"`
}

// ModifyInputFor is the update payload of a modify request.
func ModifyInputFor(req domain.ModifyRequest) ModifyInput {
	in := ModifyInput{Quantity: req.Quantity}
	if req.LimitPrice.Valid {
		in.LimitPrice = req.LimitPrice.Decimal.String()
	}
	return in
}

// Request is the modify request the payload stands for.
func (in ModifyInput) Request() (domain.ModifyRequest, error) {
	req := domain.ModifyRequest{Quantity: in.Quantity}
	if in.LimitPrice != "" {
		d, err := domain.ParseMoney("limit_price", in.LimitPrice)
		if err != nil {
			return req, err
		}
		req.LimitPrice = decimal.NewNullDecimal(d)
	}
	return req, nil
}

// ModifyOrderInput is the input of the ModifyOrder activity.
type ModifyOrderInput struct {
	OrderID string      `json:"order_id"`
	Modify  ModifyInput `json:"modify"`
}

// final reports whether the order can no longer change.
func (o OrderState) final() bool { return domain.OrderStatus(o.Status).Final() }

// CloseResult is what closing an order came to: the order as it now is, and
// whether this attempt was the one that closed it.
type CloseResult struct {
	Order   OrderState `json:"order"`
	Won     bool       `json:"won"`
	Message string     `json:"message"`
}

// OrderOutcome is an order workflow's result.
type OrderOutcome struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	// TriggeredAt is when a stop order's trigger was reached, as the
	// workflow heard it; absent for other orders and before stop orders.
	TriggeredAt time.Time `json:"triggered_at,omitzero"`
}

// PaymentInput starts a payment's workflow.
type PaymentInput struct {
	PaymentID string    `json:"payment_id"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PaymentState is a payment as its workflow sees it: what SyncPayment and
// ExpirePayment answer, and what the completion update returns.
type PaymentState struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// PaymentStateOf is the workflow's view of a payment.
func PaymentStateOf(p domain.Payment) PaymentState {
	return PaymentState{ID: p.ID, Status: string(p.Status), Reason: p.Reason}
}

func (p PaymentState) status() domain.PaymentStatus { return domain.PaymentStatus(p.Status) }

// PaymentOutcome is a payment workflow's result.
type PaymentOutcome struct {
	PaymentID string `json:"payment_id"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Polls     int    `json:"polls"`
}
