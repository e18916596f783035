package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// Account is a pot of virtual cash with its positions, and the running
// statistics that the analytics summary reads without scanning every
// execution. A user has one personal account, whose id is the user's own,
// and one account per contest joined.
type Account struct {
	ID     string
	UserID string
	Kind   AccountKind
	// ContestID is the contest a CONTEST account belongs to; "" for the
	// personal account.
	ContestID string
	// Cash is every won the user owns, reserved or not.
	Cash decimal.Decimal
	// ReservedCash is held by open buy orders.
	ReservedCash    decimal.Decimal
	TotalDeposits   decimal.Decimal
	TotalWithdrawal decimal.Decimal
	RealizedPnL     decimal.Decimal
	TotalCommission decimal.Decimal
	TotalTax        decimal.Decimal
	BuyCount        int64
	SellCount       int64
	WinCount        int64 // sells with positive realized P&L
	LossCount       int64 // sells with negative realized P&L
	// LedgerSeq numbers the account's ledger rows: the next row gets
	// LedgerSeq+1. It orders the ledger exactly, whatever the clocks of
	// the processes that wrote it, and a unique (user, seq) key makes a
	// lost update of the account impossible to hide.
	LedgerSeq int64
	// FreeDepositDay and FreeDeposited count the free deposits of the
	// Seoul day they name, against the daily limit.
	FreeDepositDay string
	FreeDeposited  decimal.Decimal
	// HistoryStart is where the account's performance history begins: its
	// opening, or its last reset.
	HistoryStart time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Available is the cash that new orders and withdrawals may use.
func (a Account) Available() decimal.Decimal { return a.Cash.Sub(a.ReservedCash) }

// Reserve holds amount for a buy order.
func (a *Account) Reserve(amount decimal.Decimal) error {
	if amount.GreaterThan(a.Available()) {
		return Errorf(CodeInsufficientFunds, "this order needs %s won (price × quantity + commission) but only %s won is available", amount, a.Available())
	}
	a.ReservedCash = a.ReservedCash.Add(amount)
	return nil
}

// Release gives back a reservation.
func (a *Account) Release(amount decimal.Decimal) {
	a.ReservedCash = a.ReservedCash.Sub(amount)
}

// ApplySettlement books an execution's cash movement and statistics. The
// caller has already checked (or reserved) the funds.
func (a *Account) ApplySettlement(s Settlement) {
	a.Cash = a.Cash.Add(s.CashDelta)
	a.TotalCommission = a.TotalCommission.Add(s.Commission)
	a.TotalTax = a.TotalTax.Add(s.Tax)
	if s.Side == Buy {
		a.BuyCount++
		return
	}
	a.SellCount++
	a.RealizedPnL = a.RealizedPnL.Add(s.RealizedPnL)
	switch s.RealizedPnL.Sign() {
	case 1:
		a.WinCount++
	case -1:
		a.LossCount++
	}
}

// Deposit adds cash.
func (a *Account) Deposit(amount decimal.Decimal) {
	a.Cash = a.Cash.Add(amount)
	a.TotalDeposits = a.TotalDeposits.Add(amount)
}

// Withdraw removes available cash.
func (a *Account) Withdraw(amount decimal.Decimal) error {
	if amount.GreaterThan(a.Available()) {
		return FieldErrorf(CodeInsufficientFunds, "amount", "cannot withdraw %s won: only %s won is available (cash %s, reserved by open orders %s)", amount, a.Available(), a.Cash, a.ReservedCash)
	}
	a.Cash = a.Cash.Sub(amount)
	a.TotalWithdrawal = a.TotalWithdrawal.Add(amount)
	return nil
}

// Holding is an account's position in one listing.
type Holding struct {
	AccountID string
	StockCode string
	Quantity  int64
	// ReservedQuantity is held by open sell orders.
	ReservedQuantity int64
	// AveragePrice is the quantity-weighted purchase price, fees excluded.
	AveragePrice decimal.Decimal
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Available is the quantity new sell orders may use.
func (h Holding) Available() int64 { return h.Quantity - h.ReservedQuantity }

// ReserveShares holds qty shares for a sell order.
func (h *Holding) ReserveShares(qty int64) error {
	if qty > h.Available() {
		return FieldErrorf(CodeInsufficientStock, "quantity", "cannot sell %d shares of %s: only %d are available (held %d, reserved by open orders %d)", qty, h.StockCode, h.Available(), h.Quantity, h.ReservedQuantity)
	}
	h.ReservedQuantity += qty
	return nil
}

// ApplyBuy adds shares and moves the average price.
func (h *Holding) ApplyBuy(qty int64, price decimal.Decimal) {
	h.AveragePrice = AveragePriceAfterBuy(h.Quantity, h.AveragePrice, qty, price)
	h.Quantity += qty
}

// ApplySell removes shares; the average price of the rest does not change.
func (h *Holding) ApplySell(qty int64) {
	h.Quantity -= qty
	if h.Quantity == 0 {
		h.AveragePrice = decimal.Zero
	}
}

// AveragePriceAfterBuy is the quantity-weighted average of an existing
// position and a new purchase, rounded half up to MoneyScale places.
func AveragePriceAfterBuy(oldQty int64, oldAvg decimal.Decimal, qty int64, price decimal.Decimal) decimal.Decimal {
	total := oldQty + qty
	if total == 0 {
		return decimal.Zero
	}
	cost := oldAvg.Mul(decimal.NewFromInt(oldQty)).Add(price.Mul(decimal.NewFromInt(qty)))
	return cost.DivRound(decimal.NewFromInt(total), MoneyScale)
}

// Valuation is a holding priced at the market.
type Valuation struct {
	CostBasis         decimal.Decimal
	MarketValue       decimal.Decimal
	UnrealizedPnL     decimal.Decimal
	UnrealizedPnLRate decimal.Decimal // percent, two places
}

// Value prices qty shares bought at avg at the current price.
func Value(qty int64, avg, current decimal.Decimal) Valuation {
	q := decimal.NewFromInt(qty)
	v := Valuation{CostBasis: avg.Mul(q), MarketValue: current.Mul(q)}
	v.UnrealizedPnL = v.MarketValue.Sub(v.CostBasis)
	v.UnrealizedPnLRate = Percent(v.UnrealizedPnL, v.CostBasis)
	return v
}

// Percent is part / whole × 100 rounded to two places; zero when whole is
// zero.
func Percent(part, whole decimal.Decimal) decimal.Decimal {
	if whole.IsZero() {
		return decimal.Zero
	}
	return part.Mul(decimal.NewFromInt(100)).DivRound(whole, 2)
}
