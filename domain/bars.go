package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// BarInterval is the span of one bar.
type BarInterval string

// Bar intervals: a minute of the session, or a whole trading day.
const (
	Minute BarInterval = "1m"
	Daily  BarInterval = "1d"
)

// Bar is a listing's open, high, low, close and traded volume over one
// interval, starting at Start (the minute, or Seoul midnight of the day).
type Bar struct {
	Code     string
	Interval BarInterval
	Start    time.Time
	Open     decimal.Decimal
	High     decimal.Decimal
	Low      decimal.Decimal
	Close    decimal.Decimal
	Volume   int64
}

// BarOf is the bar of a single trade.
func BarOf(t Trade, interval BarInterval) Bar {
	return Bar{
		Code: t.Code, Interval: interval, Start: BarStart(t.At, interval),
		Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Volume: t.Volume,
	}
}

// BarStart is the start of the interval that holds t: the minute, or the
// Seoul date's midnight.
func BarStart(t time.Time, interval BarInterval) time.Time {
	if interval == Daily {
		return midnight(t).UTC()
	}
	return t.UTC().Truncate(time.Minute)
}

// Merge extends bar b, which came first, with later, the same listing's
// next stretch of the same interval: b's open, later's close, the extremes
// of both, the volumes added.
func (b Bar) Merge(later Bar) Bar {
	out := b
	if later.High.GreaterThan(out.High) {
		out.High = later.High
	}
	if later.Low.LessThan(out.Low) {
		out.Low = later.Low
	}
	out.Close = later.Close
	out.Volume += later.Volume
	return out
}

// BarKey identifies a bar.
type BarKey struct {
	Code  string
	Start time.Time
}

// AggregateTrades folds trades, in the order they happened, into one bar
// per listing and interval start, in the order the bars first appear.
func AggregateTrades(trades []Trade, interval BarInterval) []Bar {
	idx := make(map[BarKey]int, len(trades))
	var bars []Bar
	for _, t := range trades {
		b := BarOf(t, interval)
		k := BarKey{b.Code, b.Start}
		if i, ok := idx[k]; ok {
			bars[i] = bars[i].Merge(b)
			continue
		}
		idx[k] = len(bars)
		bars = append(bars, b)
	}
	return bars
}
