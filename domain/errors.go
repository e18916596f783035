// Package domain holds StocKing's entities and the pure rules of trading on
// the Korea Exchange: order validation, tick sizes and price bands, fees and
// tax, settlement, portfolio math and market sessions. It imports only the
// standard library and shopspring/decimal.
package domain

import (
	"errors"
	"fmt"
)

// Code classifies an Error so that each adapter can map it to its own
// vocabulary (HTTP status, Temporal non-retryable error, exit code) from one
// table instead of string matching.
type Code string

// The small set of error codes the core produces.
const (
	CodeInvalid           Code = "invalid"
	CodeNotFound          Code = "not_found"
	CodeConflict          Code = "conflict"
	CodeInsufficientFunds Code = "insufficient_funds"
	CodeInsufficientStock Code = "insufficient_quantity"
	CodeMarketClosed      Code = "market_closed"
	CodeUnauthorized      Code = "unauthorized"
	CodeForbidden         Code = "forbidden"
	CodeUnavailable       Code = "unavailable"
	CodeInternal          Code = "internal"
)

// Error is the one error type of the core. Message is written for the end
// user: it says what was wrong and, where possible, what to send instead.
type Error struct {
	Code    Code
	Message string
	// Field names the input the message is about, when there is one
	// (for example "limit_price").
	Field string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf builds an Error about one input field.
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of the first *Error in err's chain, CodeInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }

// Sentinel errors the stores return so the core can react to them.
var (
	// ErrNotFound is returned by stores for a missing row.
	ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
	// ErrDuplicate is returned by stores when a unique key already exists
	// (e-mail, client_order_id, watchlist entry).
	ErrDuplicate = &Error{Code: CodeConflict, Message: "already exists"}
	// ErrUnavailable is returned, wrapped around the cause, when a
	// dependency (the database) cannot be reached or did not answer in
	// time. Nothing was changed; the same request may be sent again.
	ErrUnavailable = &Error{Code: CodeUnavailable, Message: "the service is temporarily unavailable; try again in a few seconds"}
)
