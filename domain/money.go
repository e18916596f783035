package domain

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Currency of every cash amount in StocKing.
const Currency = "KRW"

// MoneyScale is the number of decimal places money columns keep. Cash moves
// in whole won; average prices and P&L rates need the extra places.
const MoneyScale = 4

// Won truncates an amount to whole won (toward zero), the rounding KRX
// brokers apply to commission and tax.
func Won(d decimal.Decimal) decimal.Decimal { return d.Truncate(0) }

// FloorWon rounds down to whole won.
func FloorWon(d decimal.Decimal) decimal.Decimal { return d.Floor() }

// ParseMoney parses a decimal string the way every money input is read:
// plain decimal notation only ("70000", "1234.5"): digits, optionally a
// point followed by more digits, no sign, no exponent, no leading or
// trailing point, at most maxLen characters, so that absurd inputs are
// refused before any arithmetic runs on them.
func ParseMoney(field, s string) (decimal.Decimal, error) {
	const maxLen = 32
	if s == "" {
		return decimal.Zero, FieldErrorf(CodeInvalid, field, "is required")
	}
	if len(s) > maxLen {
		return decimal.Zero, FieldErrorf(CodeInvalid, field, "is too long (at most %d characters)", maxLen)
	}
	if s[0] == '-' {
		return decimal.Zero, FieldErrorf(CodeInvalid, field, "must be a positive amount written without a sign, got %q", s)
	}
	digits, frac, point := strings.Cut(s, ".")
	if !allDigits(digits) || (point && !allDigits(frac)) {
		return decimal.Zero, FieldErrorf(CodeInvalid, field, "must be a decimal number such as \"70000\" or \"1234.5\" (digits, at most one point between digits, no sign or exponent), got %q", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, FieldErrorf(CodeInvalid, field, "must be a decimal number such as \"70000\", got %q", s)
	}
	return d, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaxCashAmount bounds a single deposit, withdrawal or payment: one trillion
// won, far beyond any virtual account, and small enough that sums of many
// of them stay inside every engine's DECIMAL column.
var MaxCashAmount = decimal.New(1, 12)

// ValidateCashAmount checks a deposit or withdrawal amount: positive, whole
// won, at most MaxCashAmount.
func ValidateCashAmount(field string, amount decimal.Decimal) error {
	switch {
	case !amount.IsPositive():
		return FieldErrorf(CodeInvalid, field, "must be a positive number of won, got %s", amount)
	case !amount.Equal(amount.Truncate(0)):
		return FieldErrorf(CodeInvalid, field, "must be a whole number of won, got %s", amount)
	case amount.GreaterThan(MaxCashAmount):
		return FieldErrorf(CodeInvalid, field, "must be at most %s won, got %s", MaxCashAmount, amount)
	}
	return nil
}
