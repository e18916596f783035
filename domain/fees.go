package domain

import (
	"github.com/shopspring/decimal"
)

// Fees are the rates charged on a trade. Commission applies to both sides,
// the securities transaction tax to sells; each charge is rounded down to
// the won.
type Fees struct {
	CommissionRate decimal.Decimal
	SellTaxRate    decimal.Decimal
}

// DefaultFees are an online broker's 0.015% commission and the 2026 sell
// tax of 0.20% for KOSPI and KOSDAQ.
func DefaultFees() Fees {
	return Fees{
		CommissionRate: decimal.RequireFromString("0.00015"),
		SellTaxRate:    decimal.RequireFromString("0.0020"),
	}
}

// Validate rejects rates outside [0, 1).
func (f Fees) Validate() error {
	for name, r := range map[string]decimal.Decimal{"COMMISSION_RATE": f.CommissionRate, "SELL_TAX_RATE": f.SellTaxRate} {
		if r.IsNegative() || !r.LessThan(decimal.NewFromInt(1)) {
			return Errorf(CodeInvalid, "%s must be a fraction in [0, 1), for example 0.00015; got %s", name, r)
		}
	}
	return nil
}

// Commission on a trade amount.
func (f Fees) Commission(amount decimal.Decimal) decimal.Decimal {
	return FloorWon(amount.Mul(f.CommissionRate))
}

// SellTax on a sell amount.
func (f Fees) SellTax(amount decimal.Decimal) decimal.Decimal {
	return FloorWon(amount.Mul(f.SellTaxRate))
}

// BuyReservation is the cash a buy of qty shares at price holds: the amount
// plus its commission.
func (f Fees) BuyReservation(qty int64, price decimal.Decimal) decimal.Decimal {
	amount := price.Mul(decimal.NewFromInt(qty))
	return amount.Add(f.Commission(amount))
}

// Settlement is the money side of one execution.
type Settlement struct {
	Side       Side
	Quantity   int64
	Price      decimal.Decimal
	Amount     decimal.Decimal
	Commission decimal.Decimal
	Tax        decimal.Decimal
	// CashDelta is what the execution adds to cash: negative for buys
	// (amount + commission), positive for sells (amount − commission − tax).
	CashDelta decimal.Decimal
	// RealizedPnL of a sell against the holding's average price; zero for
	// buys.
	RealizedPnL decimal.Decimal
}

// Settle computes the settlement of qty shares at price. averagePrice is the
// holding's average price before the execution (used for sells).
func (f Fees) Settle(side Side, qty int64, price, averagePrice decimal.Decimal) Settlement {
	q := decimal.NewFromInt(qty)
	amount := price.Mul(q)
	s := Settlement{Side: side, Quantity: qty, Price: price, Amount: amount, Commission: f.Commission(amount)}
	if side == Buy {
		s.CashDelta = amount.Add(s.Commission).Neg()
		return s
	}
	s.Tax = f.SellTax(amount)
	s.CashDelta = amount.Sub(s.Commission).Sub(s.Tax)
	s.RealizedPnL = price.Sub(averagePrice).Mul(q).Sub(s.Commission).Sub(s.Tax)
	return s
}
