package domain

import (
	"github.com/shopspring/decimal"
)

// tickStep is one row of the KRX tick table: prices below upTo move in
// steps of size. The table has been in force since 2023-01-25 for KOSPI and
// KOSDAQ alike.
type tickStep struct {
	upTo int64
	size int64
}

var tickTable = []tickStep{
	{2_000, 1},
	{5_000, 5},
	{20_000, 10},
	{50_000, 50},
	{200_000, 100},
	{500_000, 500},
}

const topTick = 1_000

// BandRate is the daily price limit: ±30% of the base price.
var BandRate = decimal.NewFromFloat(0.30)

// TickSize returns the tick size in won for a price.
func TickSize(price decimal.Decimal) decimal.Decimal {
	return decimal.NewFromInt(tickSizeInt(price))
}

func tickSizeInt(price decimal.Decimal) int64 {
	for _, s := range tickTable {
		if price.LessThan(decimal.NewFromInt(s.upTo)) {
			return s.size
		}
	}
	return topTick
}

// OnTickGrid reports whether price is a positive whole-won price that is a
// multiple of its tick size.
func OnTickGrid(price decimal.Decimal) bool {
	if !price.IsPositive() || !price.Equal(price.Truncate(0)) {
		return false
	}
	return price.Mod(TickSize(price)).IsZero()
}

// FloorTick rounds price down to the tick grid. Each tick size divides the
// next larger one and every boundary of the table is a multiple of the
// larger tick, so the result is on the grid of its own price range.
func FloorTick(price decimal.Decimal) decimal.Decimal {
	t := TickSize(price)
	return price.Div(t).Floor().Mul(t)
}

// CeilTick rounds price up to the tick grid.
func CeilTick(price decimal.Decimal) decimal.Decimal {
	t := TickSize(price)
	return price.Div(t).Ceil().Mul(t)
}

// NextTickUp returns the grid price one tick above an on-grid price.
func NextTickUp(price decimal.Decimal) decimal.Decimal {
	return price.Add(TickSize(price))
}

// NextTickDown returns the grid price one tick below an on-grid price; the
// tick below a range boundary is the smaller range's tick.
func NextTickDown(price decimal.Decimal) decimal.Decimal {
	return FloorTick(price.Sub(decimal.NewFromInt(1)))
}

// Band is the range of valid limit prices for a trading day.
type Band struct {
	Lower decimal.Decimal
	Upper decimal.Decimal
}

// PriceBand computes the ±30% band around the base price (normally the
// previous close), each edge rounded to the tick grid toward the base, as
// KRX publishes it: base 9,980 gives 6,990 to 12,970.
func PriceBand(base decimal.Decimal) Band {
	up := base.Add(base.Mul(BandRate))
	down := base.Sub(base.Mul(BandRate))
	lower := CeilTick(down)
	if lower.LessThan(decimal.NewFromInt(1)) {
		lower = decimal.NewFromInt(1)
	}
	return Band{Lower: lower, Upper: FloorTick(up)}
}

// Contains reports whether price lies inside the band, edges included.
func (b Band) Contains(price decimal.Decimal) bool {
	return !price.LessThan(b.Lower) && !price.GreaterThan(b.Upper)
}

// Clamp moves price into the band.
func (b Band) Clamp(price decimal.Decimal) decimal.Decimal {
	if price.LessThan(b.Lower) {
		return b.Lower
	}
	if price.GreaterThan(b.Upper) {
		return b.Upper
	}
	return price
}

// NearestValidPrices returns the closest valid limit prices at or below and
// at or above price for the given base. A side is absent (ok false) when no
// valid price exists on it.
func NearestValidPrices(price, base decimal.Decimal) (below decimal.Decimal, okBelow bool, above decimal.Decimal, okAbove bool) {
	band := PriceBand(base)
	switch {
	case price.LessThan(band.Lower):
		return decimal.Zero, false, band.Lower, true
	case price.GreaterThan(band.Upper):
		return band.Upper, true, decimal.Zero, false
	}
	below = FloorTick(price)
	if below.LessThan(band.Lower) {
		below, okBelow = decimal.Zero, false
	} else {
		okBelow = true
	}
	above = CeilTick(price)
	if above.GreaterThan(band.Upper) {
		above, okAbove = decimal.Zero, false
	} else {
		okAbove = true
	}
	return below, okBelow, above, okAbove
}
