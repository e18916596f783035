package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestFeesRoundDown(t *testing.T) {
	f := DefaultFees()
	// 0.015% of 700,000 = 105; of 70,000 = 10.5 → 10; 0.20% of 70,000 = 140.
	for _, c := range []struct{ amount, commission, tax string }{
		{"700000", "105", "1400"}, {"70000", "10", "140"}, {"6666", "0", "13"}, {"1", "0", "0"},
	} {
		if got := f.Commission(d(c.amount)); !got.Equal(d(c.commission)) {
			t.Errorf("commission(%s) = %s, want %s", c.amount, got, c.commission)
		}
		if got := f.SellTax(d(c.amount)); !got.Equal(d(c.tax)) {
			t.Errorf("tax(%s) = %s, want %s", c.amount, got, c.tax)
		}
	}
}

func TestSettle(t *testing.T) {
	f := DefaultFees()
	b := f.Settle(Buy, 10, d("70000"), decimal.Zero)
	if !b.Amount.Equal(d("700000")) || !b.Commission.Equal(d("105")) || !b.CashDelta.Equal(d("-700105")) || !b.Tax.IsZero() {
		t.Fatalf("buy %+v", b)
	}
	s := f.Settle(Sell, 10, d("72000"), d("70000"))
	// amount 720,000; commission 108; tax 1,440; P&L 20,000 − 108 − 1,440.
	if !s.CashDelta.Equal(d("718452")) || !s.RealizedPnL.Equal(d("18452")) {
		t.Fatalf("sell %+v", s)
	}
	if f.BuyReservation(10, d("70000")).String() != "700105" {
		t.Fatal("reservation")
	}
}

func TestAveragePrice(t *testing.T) {
	h := Holding{StockCode: "005930", AveragePrice: decimal.Zero}
	h.ApplyBuy(10, d("70000"))
	h.ApplyBuy(5, d("73000"))
	// (700,000 + 365,000) / 15 = 71,000
	if h.Quantity != 15 || !h.AveragePrice.Equal(d("71000")) {
		t.Fatalf("%+v", h)
	}
	h.ApplyBuy(1, d("70000"))
	// (1,065,000 + 70,000) / 16 = 70,937.5
	if !h.AveragePrice.Equal(d("70937.5")) {
		t.Fatalf("avg %s", h.AveragePrice)
	}
	h.ApplyBuy(2, d("70100"))
	// (1,135,000 + 140,200) / 18 = 70,844.444… → 70,844.4444
	if !h.AveragePrice.Equal(d("70844.4444")) {
		t.Fatalf("avg %s", h.AveragePrice)
	}
	h.ApplySell(8)
	if h.Quantity != 10 || !h.AveragePrice.Equal(d("70844.4444")) {
		t.Fatalf("sell changed average: %+v", h)
	}
	h.ApplySell(10)
	if h.Quantity != 0 || !h.AveragePrice.IsZero() {
		t.Fatalf("%+v", h)
	}
}

func TestReservations(t *testing.T) {
	a := Account{Cash: d("1000"), ReservedCash: decimal.Zero}
	if err := a.Reserve(d("600")); err != nil {
		t.Fatal(err)
	}
	if err := a.Reserve(d("401")); !IsCode(err, CodeInsufficientFunds) {
		t.Fatalf("over-reservation: %v", err)
	}
	if err := a.Withdraw(d("401")); !IsCode(err, CodeInsufficientFunds) {
		t.Fatalf("withdrew reserved cash: %v", err)
	}
	a.Release(d("600"))
	if err := a.Withdraw(d("1000")); err != nil || !a.Cash.IsZero() {
		t.Fatalf("%v %+v", err, a)
	}
	h := Holding{StockCode: "005930", Quantity: 10}
	if err := h.ReserveShares(7); err != nil {
		t.Fatal(err)
	}
	if err := h.ReserveShares(4); !IsCode(err, CodeInsufficientStock) {
		t.Fatalf("oversold: %v", err)
	}
}

func TestValuation(t *testing.T) {
	v := Value(10, d("70000"), d("77000"))
	if !v.MarketValue.Equal(d("770000")) || !v.UnrealizedPnL.Equal(d("70000")) || !v.UnrealizedPnLRate.Equal(d("10")) {
		t.Fatalf("%+v", v)
	}
	if !Percent(d("1"), decimal.Zero).IsZero() {
		t.Fatal("percent of zero")
	}
}
