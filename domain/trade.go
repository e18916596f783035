package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// Trade is one print on the exchange: Volume shares changed hands at Price,
// and the best quotes stood at Bid and Ask just after it. Feeds produce
// trades; recording one moves a listing's price and fills the resting
// orders it crosses.
type Trade struct {
	Code   string
	At     time.Time
	Price  decimal.Decimal
	Volume int64 // shares in this print; 0 when the source gives none
	// Bid and Ask are the best quotes; zero when the source gives none.
	Bid decimal.Decimal
	Ask decimal.Decimal
	// BidSize and AskSize are the shares displayed at the best quotes; 0
	// when unknown.
	BidSize int64
	AskSize int64
}
