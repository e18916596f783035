package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

func pt(date, equity, flow string) EquityPoint {
	return EquityPoint{Date: date, Equity: d(equity), NetFlow: d(flow)}
}

func TestMeasureIgnoresDepositsAndWithdrawals(t *testing.T) {
	// Day 1 earns 1%. Day 2 brings 1,000,000 more and earns 1% on the
	// 2,010,000 it starts with: 2,030,100. Day 3 takes 500,000 out and
	// earns nothing. Equity doubled, but the trader made 1% twice:
	// 1.01 × 1.01 − 1 = 2.01%.
	p := Measure([]EquityPoint{
		pt("2026-12-01", "1000000", "0"),
		pt("2026-12-02", "1010000", "0"),
		pt("2026-12-03", "2030100", "1000000"),
		pt("2026-12-04", "1530100", "-500000"),
	}, decimal.Zero)
	want := []string{"0", "0.01", "0.01", "0"}
	for i, w := range want {
		if !p.DailyReturn[i].Equal(d(w)) {
			t.Errorf("day %d return %s, want %s", i, p.DailyReturn[i], w)
		}
	}
	if !p.TWR.Equal(d("0.0201")) || !p.CumulativeReturn[3].Equal(d("0.0201")) || !p.CumulativeReturn[1].Equal(d("0.01")) {
		t.Errorf("TWR %s, cumulative %v", p.TWR, p.CumulativeReturn)
	}
	if !p.MaxDrawdown.IsZero() {
		t.Errorf("max drawdown %s, want 0", p.MaxDrawdown)
	}
}

func TestMeasureDrawdownVolatilitySharpe(t *testing.T) {
	// +10%, −20%, +10%: wealth 1.1, 0.88, 0.968. The fall from 1.1 to
	// 0.88 is 20%; TWR 1.1 × 0.8 × 1.1 − 1 = −3.2%. Daily returns have
	// mean 0 and sample deviation √0.03 = 0.173205, × √252 = 2.749545.
	p := Measure([]EquityPoint{
		pt("2026-12-01", "1000000", "0"),
		pt("2026-12-02", "1100000", "0"),
		pt("2026-12-03", "880000", "0"),
		pt("2026-12-04", "968000", "0"),
	}, decimal.Zero)
	if !p.MaxDrawdown.Equal(d("0.2")) || !p.TWR.Equal(d("-0.032")) {
		t.Errorf("drawdown %s, TWR %s", p.MaxDrawdown, p.TWR)
	}
	if !p.Volatility.Equal(d("2.749545")) || !p.Sharpe.IsZero() {
		t.Errorf("volatility %s, sharpe %s", p.Volatility, p.Sharpe)
	}
	// With a 2.52% risk-free rate (0.0001 a day) the excess return is
	// −0.0001 a day: Sharpe −0.0001 / 0.173205 × √252 = −0.0092.
	if s := Measure([]EquityPoint{
		pt("a", "1000000", "0"), pt("b", "1100000", "0"), pt("c", "880000", "0"), pt("d", "968000", "0"),
	}, d("0.0252")).Sharpe; !s.Equal(d("-0.0092")) {
		t.Errorf("sharpe with a risk-free rate: %s", s)
	}
}

func TestMeasureEdges(t *testing.T) {
	if p := Measure(nil, decimal.Zero); !p.TWR.IsZero() || len(p.DailyReturn) != 0 {
		t.Errorf("empty: %+v", p)
	}
	// An account that starts empty and is funded: no return.
	p := Measure([]EquityPoint{pt("a", "0", "0"), pt("b", "1000000", "1000000"), pt("c", "1050000", "0")}, decimal.Zero)
	if !p.DailyReturn[1].IsZero() || !p.DailyReturn[2].Equal(d("0.05")) || !p.TWR.Equal(d("0.05")) {
		t.Errorf("funded from nothing: %+v", p)
	}
	// A single day has no volatility.
	if p := Measure([]EquityPoint{pt("a", "1", "0"), pt("b", "2", "0")}, decimal.Zero); !p.Volatility.IsZero() || !p.TWR.Equal(d("1")) {
		t.Errorf("two points: %+v", p)
	}
}
