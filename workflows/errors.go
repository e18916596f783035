package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/stocking-kr/stocking/domain"
)

// ErrConflict is the application error type of an update that lost a race
// (the order was already filled, say).
const ErrConflict = "Conflict"

// finalCodes are the core's rejections: retrying them can never succeed.
// Every other error (the database or the network is away, PortOne fails)
// stays retryable, and the activity's retry policy carries the workflow
// through the outage.
var finalCodes = map[domain.Code]bool{
	domain.CodeInvalid:           true,
	domain.CodeNotFound:          true,
	domain.CodeConflict:          true,
	domain.CodeForbidden:         true,
	domain.CodeInsufficientFunds: true,
	domain.CodeInsufficientStock: true,
	domain.CodeMarketClosed:      true,
}

// ToTemporal is the one mapping from the core's errors to Temporal's: a
// rejection becomes a non-retryable application error whose type is the
// domain code, anything else is returned as it is (and retried).
func ToTemporal(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) && finalCodes[de.Code] {
		return temporal.NewNonRetryableApplicationError(de.Message, string(de.Code), nil)
	}
	return err
}

// FromTemporal is the mapping back, for callers of workflows (updates):
// an application error that carries a domain code, or a lost race,
// becomes the domain error it stands for; nil when err is not one.
func FromTemporal(err error) *domain.Error {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return nil
	}
	if app.Type() == ErrConflict {
		return domain.Errorf(domain.CodeConflict, "%s", app.Message())
	}
	if code := domain.Code(app.Type()); finalCodes[code] {
		return domain.Errorf(code, "%s", app.Message())
	}
	return nil
}
