package domain

import (
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// EquityPoint is an account's value at the end of one day (or now, for
// today's live point) and the external money that came in (positive) or
// went out (negative) during that day: deposits, withdrawals and paid
// top-ups. Dividends are not external flows: they are what the holdings
// earned, so they count as return.
type EquityPoint struct {
	Date          string // YYYY-MM-DD, Seoul
	Cash          decimal.Decimal
	HoldingsValue decimal.Decimal
	Equity        decimal.Decimal
	NetFlow       decimal.Decimal
}

// Performance is a series of equity points turned into time-weighted
// returns, which money moved in or out does not distort.
type Performance struct {
	// DailyReturn and CumulativeReturn are per point, as fractions
	// (0.0123 is 1.23%). The first point has a zero daily return: it is
	// where the history starts.
	DailyReturn      []decimal.Decimal
	CumulativeReturn []decimal.Decimal
	// TWR is the time-weighted return over the whole series.
	TWR decimal.Decimal
	// MaxDrawdown is the largest fall from a peak of the time-weighted
	// wealth index, as a positive fraction.
	MaxDrawdown decimal.Decimal
	// Volatility is the annualized standard deviation of daily returns.
	Volatility decimal.Decimal
	// Sharpe is the annualized excess return over the risk-free rate per
	// unit of volatility; zero when volatility is.
	Sharpe decimal.Decimal
}

// TradingDaysPerYear annualizes daily statistics.
const TradingDaysPerYear = 252

// returnScale is the places returns keep.
const returnScale = 8

// Measure computes the time-weighted performance of a series of equity
// points, oldest first. The money of a day's flow is taken as arriving at
// the start of the day, before it could earn anything: the day's return is
// equity ÷ (previous equity + flow) − 1, so a deposit is never a gain and
// a withdrawal never a loss. A day that starts from nothing has no return.
// riskFree is the annual risk-free rate for the Sharpe ratio.
func Measure(points []EquityPoint, riskFree decimal.Decimal) Performance {
	p := Performance{
		DailyReturn:      make([]decimal.Decimal, len(points)),
		CumulativeReturn: make([]decimal.Decimal, len(points)),
		TWR:              decimal.Zero, MaxDrawdown: decimal.Zero, Volatility: decimal.Zero, Sharpe: decimal.Zero,
	}
	if len(points) == 0 {
		return p
	}
	one := decimal.NewFromInt(1)
	wealth, peak := one, one
	daily := make([]float64, 0, len(points))
	p.DailyReturn[0], p.CumulativeReturn[0] = decimal.Zero, decimal.Zero
	for i := 1; i < len(points); i++ {
		base := points[i-1].Equity.Add(points[i].NetFlow)
		r := decimal.Zero
		if base.IsPositive() {
			r = points[i].Equity.DivRound(base, returnScale).Sub(one)
		}
		p.DailyReturn[i] = r
		wealth = wealth.Mul(one.Add(r)).Round(returnScale)
		p.CumulativeReturn[i] = wealth.Sub(one)
		if wealth.GreaterThan(peak) {
			peak = wealth
		}
		if dd := peak.Sub(wealth).DivRound(peak, returnScale); dd.GreaterThan(p.MaxDrawdown) {
			p.MaxDrawdown = dd
		}
		daily = append(daily, r.InexactFloat64())
	}
	p.TWR = wealth.Sub(one)
	if len(daily) < 2 {
		return p
	}
	mean, sd := meanStdDev(daily)
	if sd == 0 {
		return p
	}
	annual := math.Sqrt(TradingDaysPerYear)
	p.Volatility = decimal.NewFromFloat(sd * annual).Round(6)
	rf := riskFree.InexactFloat64() / TradingDaysPerYear
	p.Sharpe = decimal.NewFromFloat((mean - rf) / sd * annual).Round(4)
	return p
}

// meanStdDev is the mean and the sample standard deviation.
func meanStdDev(xs []float64) (float64, float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// EquitySnapshot is an account's stored end-of-day value. Besides the
// figures of an EquityPoint it carries what chains one day to the next:
// FlowTotal, the account's deposits less withdrawals when it was taken,
// and Index, the time-weighted wealth index (1 where the account's history
// opens), so that the return between two snapshots is the ratio of their
// indexes whatever money moved in or out between them.
type EquitySnapshot struct {
	AccountID string
	EquityPoint
	FlowTotal decimal.Decimal
	Index     decimal.Decimal
	TakenAt   time.Time
}

// MeasureIndex computes performance from a time-weighted wealth index
// series (oldest first) and the index at the start of the period, base:
// each point's daily return is its index over the previous one (base for
// the first) less one, and its cumulative return its index over base less
// one. Money moved in or out is already neutral in an index, so no flows
// are needed.
func MeasureIndex(base decimal.Decimal, index []decimal.Decimal, riskFree decimal.Decimal) Performance {
	p := Performance{
		DailyReturn:      make([]decimal.Decimal, len(index)),
		CumulativeReturn: make([]decimal.Decimal, len(index)),
		TWR:              decimal.Zero, MaxDrawdown: decimal.Zero, Volatility: decimal.Zero, Sharpe: decimal.Zero,
	}
	one := decimal.NewFromInt(1)
	if !base.IsPositive() {
		base = one
	}
	prev, peak := base, base
	daily := make([]float64, 0, len(index))
	for i, x := range index {
		var r decimal.Decimal
		r, p.CumulativeReturn[i], x = IndexStep(base, prev, x)
		p.DailyReturn[i] = r
		if x.GreaterThan(peak) {
			peak = x
		}
		if dd := peak.Sub(x).DivRound(peak, returnScale); dd.GreaterThan(p.MaxDrawdown) {
			p.MaxDrawdown = dd
		}
		daily = append(daily, r.InexactFloat64())
		prev = x
	}
	if n := len(index); n > 0 {
		p.TWR = p.CumulativeReturn[n-1]
	}
	p.Volatility, p.Sharpe = annualize(daily, riskFree)
	return p
}

// IndexStep is one point of MeasureIndex: the daily return of index x
// after prev, its cumulative return since base (not positive: 1), and the
// index that counts as x (prev when x is not positive), the next step's
// prev. It lets a series measured once be extended by a point.
func IndexStep(base, prev, x decimal.Decimal) (daily, cumulative, counted decimal.Decimal) {
	one := decimal.NewFromInt(1)
	if !base.IsPositive() {
		base = one
	}
	if !x.IsPositive() {
		x = prev
	}
	return x.DivRound(prev, returnScale).Sub(one), x.DivRound(base, returnScale).Sub(one), x
}

// annualize is the annualized volatility and Sharpe ratio of daily
// returns; zero for fewer than two returns or no variation.
func annualize(daily []float64, riskFree decimal.Decimal) (decimal.Decimal, decimal.Decimal) {
	if len(daily) < 2 {
		return decimal.Zero, decimal.Zero
	}
	mean, sd := meanStdDev(daily)
	if sd == 0 {
		return decimal.Zero, decimal.Zero
	}
	annual := math.Sqrt(TradingDaysPerYear)
	rf := riskFree.InexactFloat64() / TradingDaysPerYear
	return decimal.NewFromFloat(sd * annual).Round(6), decimal.NewFromFloat((mean - rf) / sd * annual).Round(4)
}

// NextIndex chains a wealth index one step: equity now over the previous
// equity plus the money that came in since (flow), times the previous
// index. A step that starts from nothing keeps the index.
func NextIndex(prevIndex, prevEquity, flow, equity decimal.Decimal) decimal.Decimal {
	basis := prevEquity.Add(flow)
	if !basis.IsPositive() {
		return prevIndex
	}
	return prevIndex.Mul(equity).DivRound(basis, 12)
}
