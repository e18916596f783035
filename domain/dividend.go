package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// DividendWithholding is the tax withheld from a cash dividend in Korea:
// 14% income tax and 1.4% local income tax.
var DividendWithholding = decimal.RequireFromString("0.154")

// Dividend is a cash dividend of a listing: holders at the close of
// RecordDate receive PerShare won a share on PayDate (Seoul dates).
type Dividend struct {
	ID         string
	StockCode  string
	RecordDate string
	PayDate    string
	PerShare   decimal.Decimal
	RecordedAt time.Time // when the holders of record were kept; zero before
	PaidAt     time.Time // when every holder was paid; zero before
	CreatedAt  time.Time
}

// DividendHolder is an account that held Quantity shares at the close of
// a dividend's record date.
type DividendHolder struct {
	DividendID string
	AccountID  string
	Quantity   int64
}

// DividendPayout is what a holder of qty shares receives: the gross
// dividend in whole won (rounded down) and the tax withheld from it
// (rounded down).
func DividendPayout(perShare decimal.Decimal, qty int64) (gross, tax decimal.Decimal) {
	gross = perShare.Mul(decimal.NewFromInt(qty)).Floor()
	return gross, gross.Mul(DividendWithholding).Floor()
}
