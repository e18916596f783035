// Package workflows holds StocKing's Temporal workflows and activities: one
// workflow per resting limit order, owning its acceptance, expiry timer,
// cancellation and completion, and one per payment, reconciling it with
// PortOne. Workflows are deterministic and short; activities are thin,
// idempotent calls into the service, and the database decides every race
// with a conditional update.
package workflows

import (
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// Registered names. They are part of every recorded history: renaming one
// breaks running workflows, which the replay test catches.
const (
	OrderWorkflowName   = "LimitOrderWorkflow"
	PaymentWorkflowName = "PaymentWorkflow"

	// SignalOrderClosed tells an order's workflow that the order reached a
	// final status outside it (the matcher filled it).
	SignalOrderClosed = "order-closed"
	// UpdateCancelOrder asks an order's workflow to cancel the order and
	// answers with the outcome.
	UpdateCancelOrder = "cancel"
	// QueryOrderStatus reads the status the workflow believes.
	QueryOrderStatus = "status"

	// SignalPaymentWebhook tells a payment's workflow that PortOne sent a
	// webhook about it.
	SignalPaymentWebhook = "portone-webhook"
	// UpdateCompletePayment is the browser's completion call, answered
	// with the verified payment.
	UpdateCompletePayment = "complete"
	// QueryPaymentStatus reads the status the workflow believes.
	QueryPaymentStatus = "status"

	// ErrConflict is the application error type of an update that lost a
	// race (the order was already filled, say).
	ErrConflict = "Conflict"
)

// Change ids of workflow.GetVersion patches (the versioning policy is in
// the README). Each names one change of a workflow's logic; a history
// recorded before the change replays through the DefaultVersion branch.
const (
	// changeInfraRetries: an outage no longer fails a workflow. The order
	// workflow loads its order, and the payment workflow makes its last
	// check before expiring a payment, retrying for as long as the
	// database or PortOne is away (until v1 they gave up after a few
	// attempts: the order workflow failed; the payment was expired
	// unchecked).
	changeInfraRetries = "infra-retries"
)

// HistoryVersion names the current generation of the workflows' logic:
// one more than the number of GetVersion changes made so far. Recorded
// histories live in testdata/histories/v<HistoryVersion>, one folder per
// generation, and CI replays every folder, so each generation that may
// still have open runs keeps replaying.
const HistoryVersion = 2

// OrderWorkflowID is the workflow id of an order: one workflow per order.
func OrderWorkflowID(orderID string) string { return "order-" + orderID }

// PaymentWorkflowID is the workflow id of a payment.
func PaymentWorkflowID(paymentID string) string { return "payment-" + paymentID }

// CloseResult is what closing an order came to: the order as it now is, and
// whether this attempt was the one that closed it.
type CloseResult struct {
	Order   domain.Order
	Won     bool
	Message string
}

// OrderOutcome is an order workflow's result.
type OrderOutcome struct {
	OrderID string
	Status  domain.OrderStatus
	Reason  string
}

// PaymentOutcome is a payment workflow's result.
type PaymentOutcome struct {
	PaymentID string
	Status    domain.PaymentStatus
	Reason    string
	Polls     int
}

// Timing of the payment workflow, exposed so tests can reason about it.
const (
	// paymentFirstPoll is how long the workflow waits for the browser or a
	// webhook before it asks PortOne itself.
	paymentFirstPoll = 30 * time.Second
	// paymentMaxPoll caps the polling backoff.
	paymentMaxPoll = 10 * time.Minute
	// paymentDepositWindow is how long an issued virtual account is
	// awaited when PortOne gives no expiry.
	paymentDepositWindow = 72 * time.Hour
)
