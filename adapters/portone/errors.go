package portone

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stocking-kr/stocking/domain"
)

// PortOne error types (the "type" field of an error body) that this client
// reacts to. PortOne adds types over time; any other value still arrives in
// APIError.Type.
const (
	TypeInvalidRequest                   = "INVALID_REQUEST"
	TypeUnauthorized                     = "UNAUTHORIZED"
	TypeForbidden                        = "FORBIDDEN"
	TypePaymentNotFound                  = "PAYMENT_NOT_FOUND"
	TypeChannelNotFound                  = "CHANNEL_NOT_FOUND"
	TypeWebhookNotFound                  = "WEBHOOK_NOT_FOUND"
	TypeAlreadyPaid                      = "ALREADY_PAID"
	TypePaymentNotPaid                   = "PAYMENT_NOT_PAID"
	TypePaymentAlreadyCancelled          = "PAYMENT_ALREADY_CANCELLED"
	TypeCancelAmountExceedsCancellable   = "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT"
	TypeCancellableAmountConsistency     = "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN"
	TypeSumOfPartsExceedsCancelAmount    = "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT"
	TypeCancelTaxFreeExceedsCancellable  = "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT"
	TypeCancelTaxExceedsCancellable      = "CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT"
	TypeMaxCancelCountReached            = "MAX_CANCEL_COUNT_REACHED"
	TypeMaxWebhookRetryCountReached      = "MAX_WEBHOOK_RETRY_COUNT_REACHED"
	TypeIdempotencyOutstandingRequest    = "IDEMPOTENCY_OUTSTANDING_REQUEST"
	TypePGProvider                       = "PG_PROVIDER"
	TypeNegativePromotionAdjustedCancel  = "NEGATIVE_PROMOTION_ADJUSTED_CANCEL_AMOUNT"
	TypePromotionDiscountRetainUnchanged = "PROMOTION_DISCOUNT_RETAIN_OPTION_SHOULD_NOT_BE_CHANGED"
)

// APIError is a failed call to PortOne: an error response, or no usable
// response at all. Branch on Type, never on Message, whose wording PortOne
// does not fix (it may be Korean).
//
// It unwraps to a *domain.Error, so domain.ErrorCode classifies it without
// knowing PortOne: PAYMENT_NOT_FOUND is CodeNotFound, cancel-state
// conflicts are CodeConflict, INVALID_REQUEST is CodeInvalid, and
// credentials, outages and transport failures are CodeUnavailable (they are
// the operator's problem, not the user's). Unknown types keep the generic
// CodeInternal so that nobody acts on a guess.
type APIError struct {
	// Op is the call, such as "GET /payments/{paymentId}".
	Op string
	// Status is the HTTP status, or 0 when no response arrived.
	Status int
	// Type is PortOne's error type; "" when the body carried none (for
	// example an HTML page from a proxy).
	Type string
	// Message is PortOne's text, or a short excerpt of a non-JSON body.
	Message string
	// PGCode and PGMessage come with PG_PROVIDER errors.
	PGCode, PGMessage string
	// Err is the transport or decoding failure, if there was one.
	Err error
}

func (e *APIError) Error() string {
	msg := "portone: " + e.Op + ": "
	switch {
	case e.Status == 0:
		msg += "no response"
	case e.Type != "":
		msg += fmt.Sprintf("%d %s", e.Status, e.Type)
	default:
		msg += fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.PGCode != "" || e.PGMessage != "" {
		msg += fmt.Sprintf(" (pg %s: %s)", e.PGCode, e.PGMessage)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes both the domain classification and the underlying cause,
// so errors.Is(err, context.DeadlineExceeded) and domain.ErrorCode(err)
// both work on the same value.
func (e *APIError) Unwrap() []error {
	errs := []error{&domain.Error{Code: e.Code(), Message: e.userMessage()}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Retryable reports whether the same request may succeed later unchanged:
// no usable response (transport failure, a body cut short or garbled),
// 5xx (including PG_PROVIDER), 429, and a concurrent request still holding
// the same Idempotency-Key. Everything else will fail the same way until
// something changes.
func (e *APIError) Retryable() bool {
	switch {
	case e.Status == 0, e.Err != nil, e.Status >= 500, e.Status == http.StatusTooManyRequests:
		return true
	case e.Type == TypeIdempotencyOutstandingRequest, e.Type == TypePGProvider:
		return true
	}
	return false
}

// Code classifies the error for the core; see the type's comment.
func (e *APIError) Code() domain.Code {
	switch e.Type {
	case TypePaymentNotFound:
		return domain.CodeNotFound
	case TypeUnauthorized, TypeForbidden, TypeIdempotencyOutstandingRequest, TypePGProvider:
		return domain.CodeUnavailable
	case TypeInvalidRequest:
		return domain.CodeInvalid
	case TypeAlreadyPaid, TypePaymentNotPaid, TypePaymentAlreadyCancelled,
		TypeCancelAmountExceedsCancellable, TypeCancellableAmountConsistency,
		TypeSumOfPartsExceedsCancelAmount, TypeCancelTaxFreeExceedsCancellable,
		TypeCancelTaxExceedsCancellable, TypeMaxCancelCountReached:
		return domain.CodeConflict
	}
	switch {
	case e.Retryable():
		return domain.CodeUnavailable
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden:
		return domain.CodeUnavailable
	case e.Status == http.StatusConflict:
		return domain.CodeConflict
	case e.Status == http.StatusBadRequest:
		return domain.CodeInvalid
	}
	return domain.CodeInternal
}

// userMessage is what an end user may read: it names the situation but not
// PortOne's internals, which the HTTP layer hides for internal errors anyway.
func (e *APIError) userMessage() string {
	switch e.Code() {
	case domain.CodeNotFound:
		return "the payment provider does not know this payment"
	case domain.CodeUnavailable:
		return "the payment provider is unavailable; try again later"
	case domain.CodeConflict:
		return "the payment provider refused: " + e.Type
	case domain.CodeInvalid:
		return "the payment provider rejected the request: " + e.Message
	}
	return "the payment provider answered unexpectedly"
}

// IsRetryable reports whether err (or anything it wraps) is an *APIError
// that says the call may be repeated unchanged.
func IsRetryable(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Retryable()
}
