// Package workflows holds StocKing's Temporal workflows and activities: one
// workflow per resting limit order, owning its acceptance, expiry timer,
// cancellation and completion, and one per payment, reconciling it with
// PortOne. Workflows are deterministic and short; activities are thin,
// idempotent calls into the service, and the database decides every race
// with a conditional update.
package workflows

import (
	"time"
)

// Registered names. They are part of every recorded history: renaming one
// breaks running workflows, which the replay test catches.
const (
	OrderWorkflowName   = "LimitOrderWorkflow"
	PaymentWorkflowName = "PaymentWorkflow"

	// SignalOrderClosed tells an order's workflow that the order reached a
	// final status outside it (the matcher filled it).
	SignalOrderClosed = "order-closed"
	// SignalOrderFilled tells an order's workflow that part of the order
	// filled and the rest rests on; it comes once per partial fill.
	SignalOrderFilled = "order-filled"
	// SignalOrderTriggered tells a stop order's workflow that a trade
	// reached its stop price: a STOP_LIMIT order now rests as a limit, a
	// STOP order executed (its order-closed signal follows).
	SignalOrderTriggered = "order-triggered"
	// UpdateCancelOrder asks an order's workflow to cancel the order and
	// answers with the outcome.
	UpdateCancelOrder = "cancel"
	// UpdateModifyOrder asks an order's workflow to change the order's
	// quantity or limit price and answers with the modified order.
	UpdateModifyOrder = "modify"
	// SignalOrderModified tells an order's workflow that the order was
	// modified outside it (in the database, while the engine was away).
	SignalOrderModified = "order-modified"
	// QueryOrderStatus reads the status the workflow believes.
	QueryOrderStatus = "status"
	// QueryOrder reads the order as the workflow believes it: status,
	// quantity, filled quantity and limit price.
	QueryOrder = "order"

	// SignalPaymentWebhook tells a payment's workflow that PortOne sent a
	// webhook about it.
	SignalPaymentWebhook = "portone-webhook"
	// UpdateCompletePayment is the browser's completion call, answered
	// with the verified payment.
	UpdateCompletePayment = "complete"
	// QueryPaymentStatus reads the status the workflow believes.
	QueryPaymentStatus = "status"
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
	// changePartialFills: an order fills in parts. The order workflow
	// listens for the order-filled signal, one per partial fill, and
	// answers the status query with PARTIALLY_FILLED after the first
	// (until v3 only the final order-closed signal came).
	changePartialFills = "partial-fills"
	// changeModify: an order can be modified. The order workflow takes the
	// modify update (validated, then carried out by a local activity),
	// keeps the order's quantity and limit price as the update, fills and
	// the order-modified signal report them, and answers the order query
	// (until v4 it knew only the status).
	changeModify = "modify"
	// changeStopTriggers: stop orders. The order workflow listens for the
	// order-triggered signal, records when the stop price was reached
	// (also from an order-closed signal that carries it) and returns it
	// in its outcome (until v5 no stop order had a workflow).
	changeStopTriggers = "stop-triggers"
)

// HistoryVersion names the current generation of the workflows: it goes up
// with every change to a workflow's logic (a GetVersion patch) or to the
// shape of what it exchanges (contracts.go). Recorded histories live in
// testdata/histories/v<HistoryVersion>, one folder per generation, and CI
// replays every folder, so each generation that may still have open runs
// keeps replaying.
//
//	v1  the first workflows
//	v2  changeInfraRetries
//	v3  inputs, results, signals and updates as the types of contracts.go
//	v4  changePartialFills
//	v5  changeModify
//	v6  changeStopTriggers
const HistoryVersion = 6

// OrderWorkflowID is the workflow id of an order: one workflow per order.
func OrderWorkflowID(orderID string) string { return "order-" + orderID }

// PaymentWorkflowID is the workflow id of a payment.
func PaymentWorkflowID(paymentID string) string { return "payment-" + paymentID }

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
