package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestNextIndexIgnoresFlows(t *testing.T) {
	d := decimal.RequireFromString
	// 1,000,000 grows to 1,100,000 while 500,000 is deposited: equity
	// 1,600,000 on a base of 1,500,000 is a 6.67% day, not 60%.
	got := NextIndex(d("1"), d("1000000"), d("500000"), d("1600000"))
	if !got.Equal(d("1.066666666667")) {
		t.Errorf("NextIndex = %s", got)
	}
	// A withdrawal the same day: 1,000,000 → 400,000 after taking out
	// 600,000 is no loss.
	if got := NextIndex(d("1.2"), d("1000000"), d("-600000"), d("400000")); !got.Equal(d("1.2")) {
		t.Errorf("withdrawal: %s", got)
	}
	// From nothing the index stays.
	if got := NextIndex(d("1.5"), d("0"), d("0"), d("100")); !got.Equal(d("1.5")) {
		t.Errorf("from nothing: %s", got)
	}
}

func TestMeasureIndex(t *testing.T) {
	d := decimal.RequireFromString
	p := MeasureIndex(d("1"), []decimal.Decimal{d("1"), d("1.1"), d("0.99")}, decimal.Zero)
	want := []string{"0", "0.1", "-0.1"}
	cum := []string{"0", "0.1", "-0.01"}
	for i := range want {
		if !p.DailyReturn[i].Equal(d(want[i])) || !p.CumulativeReturn[i].Equal(d(cum[i])) {
			t.Errorf("point %d: daily %s cumulative %s, want %s and %s", i, p.DailyReturn[i], p.CumulativeReturn[i], want[i], cum[i])
		}
	}
	if !p.TWR.Equal(d("-0.01")) || !p.MaxDrawdown.Equal(d("0.1")) {
		t.Errorf("twr %s, max drawdown %s", p.TWR, p.MaxDrawdown)
	}
	// Daily returns 0, 0.1, -0.1: mean 0, sample sd 0.1, annualized
	// 0.1 × √252.
	if !p.Volatility.Equal(d("1.587451")) || !p.Sharpe.IsZero() {
		t.Errorf("volatility %s, sharpe %s", p.Volatility, p.Sharpe)
	}
	// A range that starts later measures from its base.
	q := MeasureIndex(d("1.1"), []decimal.Decimal{d("0.99")}, decimal.Zero)
	if !q.TWR.Equal(d("-0.1")) {
		t.Errorf("from a base of 1.1: %s", q.TWR)
	}
}
