package service

import (
	"time"

	"github.com/shopspring/decimal"
)

// PaymentConfig holds the settings of paid top-ups and subscriptions.
type PaymentConfig struct {
	// CashPerWon is how much virtual cash one paid won buys.
	CashPerWon decimal.Decimal
	// MinAmount and MaxAmount bound one payment, in won.
	MinAmount decimal.Decimal
	MaxAmount decimal.Decimal
	// PremiumPrice buys PremiumDays of premium.
	PremiumPrice decimal.Decimal
	PremiumDays  int
	// Expiry is how long a prepared payment waits to be paid.
	Expiry time.Duration
}

func (c *PaymentConfig) setDefaults() {
	if c.CashPerWon.IsZero() {
		c.CashPerWon = decimal.NewFromInt(100)
	}
	if c.MinAmount.IsZero() {
		c.MinAmount = decimal.NewFromInt(1_000)
	}
	if c.MaxAmount.IsZero() {
		c.MaxAmount = decimal.NewFromInt(1_000_000)
	}
	if c.PremiumPrice.IsZero() {
		c.PremiumPrice = decimal.NewFromInt(9_900)
	}
	if c.PremiumDays == 0 {
		c.PremiumDays = 30
	}
	if c.Expiry == 0 {
		c.Expiry = 30 * time.Minute
	}
}
