package domain

import (
	"regexp"
	"time"

	"github.com/shopspring/decimal"
)

// Role of a user.
type Role string

// Roles.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// User is someone who trades.
type User struct {
	ID           string
	Email        string
	Nickname     string
	PasswordHash string
	Role         Role
	PremiumUntil time.Time // zero when never premium
	// Public shows the user's nickname on leaderboards.
	Public    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Premium reports whether the subscription is active at t.
func (u User) Premium(t time.Time) bool { return u.PremiumUntil.After(t) }

// Market is the board a listing trades on.
type Market string

// Boards.
const (
	KOSPI  Market = "KOSPI"
	KOSDAQ Market = "KOSDAQ"
)

var stockCodeRE = regexp.MustCompile(`^[0-9A-Z]{6}$`)

// ValidStockCode reports whether code has the six-character KRX short form
// (six digits for shares, digits and capitals for newer listings).
func ValidStockCode(code string) bool { return stockCodeRE.MatchString(code) }

// Stock is a KRX listing and its last price.
type Stock struct {
	Code      string
	Name      string // Korean name
	NameEn    string
	Market    Market
	Price     decimal.Decimal // last trade price
	PrevClose decimal.Decimal // base of today's price band
	// Bid and Ask are the best quotes after the latest trade; zero when
	// the source gave none.
	Bid decimal.Decimal
	Ask decimal.Decimal
	// Volume is the shares traded since the day was rolled.
	Volume    int64
	Active    bool
	UpdatedAt time.Time
}

// Change is the move since the previous close.
func (s Stock) Change() decimal.Decimal { return s.Price.Sub(s.PrevClose) }

// ChangeRate is the move since the previous close in percent.
func (s Stock) ChangeRate() decimal.Decimal { return Percent(s.Change(), s.PrevClose) }

// PricePoint is one recorded price of a listing.
type PricePoint struct {
	StockCode string
	Price     decimal.Decimal
	At        time.Time
}

// TxType is the kind of a ledger row.
type TxType string

// Ledger row kinds. Only real money movements are recorded; placing,
// resting and cancelling an order write nothing.
const (
	TxBuy      TxType = "BUY"
	TxSell     TxType = "SELL"
	TxDeposit  TxType = "DEPOSIT"
	TxWithdraw TxType = "WITHDRAW"
	TxDividend TxType = "DIVIDEND"
	TxFee      TxType = "FEE"
	TxTax      TxType = "TAX"
	// TxReset returns an account to its initial cash: the amount is the
	// change of cash it made (positive or negative).
	TxReset TxType = "RESET"
)

// LedgerEntry is one money movement with the balance around it.
type LedgerEntry struct {
	ID        string
	AccountID string
	UserID    string
	// Seq is the row's position in the account's ledger, from 1.
	Seq               int64
	Type              TxType
	StockCode         string // "" for cash movements
	OrderID           string
	PaymentID         string
	Quantity          int64
	Price             decimal.NullDecimal
	Amount            decimal.Decimal // gross amount: quantity × price, or the cash moved
	Commission        decimal.Decimal
	Tax               decimal.Decimal
	CashBalanceBefore decimal.Decimal
	CashBalanceAfter  decimal.Decimal
	Memo              string
	CreatedAt         time.Time
}

// WatchItem is one listing on a user's watchlist.
type WatchItem struct {
	UserID    string
	StockCode string
	CreatedAt time.Time
}
