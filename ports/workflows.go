package ports

import (
	"context"
	"errors"

	"github.com/stocking-kr/stocking/domain"
)

// ErrWorkflowUnavailable says the workflow engine could not take a request:
// the server is unreachable or the workflow does not exist (yet). The core
// then decides the request in the database itself, which is always safe
// because every transition is a conditional update.
var ErrWorkflowUnavailable = errors.New("workflow engine unavailable")

// Workflows is the workflow engine as the core sees it: the owner of each
// resting order's and each payment's lifecycle. Starting workflows and
// notifying them of fills go through the outbox instead, so that a row is
// never left without its workflow.
type Workflows interface {
	// CancelOrder asks the order's workflow to cancel it and waits for the
	// verdict: nil when the cancel won, a domain conflict when a fill or an
	// expiry did. The caller reads the order's new state from the store.
	CancelOrder(ctx context.Context, orderID string) error
	// ModifyOrder asks the order's workflow to change the order's quantity
	// or limit price and waits for the verdict: nil when the order was
	// modified, the domain error that refused it otherwise (a conflict
	// when it is already final). The caller reads the modified order from
	// the store.
	ModifyOrder(ctx context.Context, orderID string, req domain.ModifyRequest) error
	// CompletePayment tells the payment's workflow that the browser
	// finished and waits until the workflow has verified the payment with
	// the provider; the caller reads the outcome from the store.
	CompletePayment(ctx context.Context, paymentID string) error
	// PaymentWebhook tells the payment's workflow that PortOne sent a
	// webhook for it.
	PaymentWebhook(ctx context.Context, paymentID string) error
	// Ready checks that the engine answers.
	Ready(ctx context.Context) error
}
