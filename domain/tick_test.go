package domain

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestTickSize(t *testing.T) {
	for _, c := range []struct{ price, tick string }{
		{"1", "1"}, {"1999", "1"}, {"2000", "5"}, {"4995", "5"}, {"5000", "10"},
		{"19990", "10"}, {"20000", "50"}, {"49950", "50"}, {"50000", "100"},
		{"199900", "100"}, {"200000", "500"}, {"499500", "500"}, {"500000", "1000"}, {"2500000", "1000"},
	} {
		if got := TickSize(d(c.price)); !got.Equal(d(c.tick)) {
			t.Errorf("TickSize(%s) = %s, want %s", c.price, got, c.tick)
		}
	}
}

func TestOnTickGrid(t *testing.T) {
	for _, c := range []struct {
		price string
		ok    bool
	}{
		{"70000", true}, {"70100", true}, {"70050", false}, {"1999", true}, {"2001", false},
		{"2005", true}, {"0", false}, {"-100", false}, {"70000.5", false}, {"500500", false}, {"501000", true},
	} {
		if got := OnTickGrid(d(c.price)); got != c.ok {
			t.Errorf("OnTickGrid(%s) = %v, want %v", c.price, got, c.ok)
		}
	}
}

func TestPriceBandKRXExample(t *testing.T) {
	// The worked example KRX publishes: base 9,980 → 6,990 to 12,970.
	b := PriceBand(d("9980"))
	if !b.Lower.Equal(d("6990")) || !b.Upper.Equal(d("12970")) {
		t.Fatalf("band(9980) = %s–%s, want 6990–12970", b.Lower, b.Upper)
	}
	for _, c := range []struct{ base, lo, hi string }{
		{"70000", "49000", "91000"},
		{"71500", "50100", "92900"}, // 50,050 rounds up to the 100 tick, 92,950 down
		{"1000", "700", "1300"},
		{"3", "3", "3"}, // a tiny base still has itself in band
		{"1", "1", "1"},
	} {
		b := PriceBand(d(c.base))
		if !b.Lower.Equal(d(c.lo)) || !b.Upper.Equal(d(c.hi)) {
			t.Errorf("band(%s) = %s–%s, want %s–%s", c.base, b.Lower, b.Upper, c.lo, c.hi)
		}
	}
}

func TestValidateLimitPriceNamesNearestPrices(t *testing.T) {
	for _, c := range []struct {
		price, base string
		want        []string // substrings of the message; nil = valid
	}{
		{"70000", "70000", nil},
		{"91000", "70000", nil},
		{"70050", "70000", []string{"70000", "70100", "tick grid"}},
		{"91100", "70000", []string{"outside", "49000", "91000", "nearest valid price is 91000"}},
		{"48000", "70000", []string{"outside", "nearest valid price is 49000"}},
	} {
		err := ValidateLimitPrice(d(c.price), d(c.base))
		if c.want == nil {
			if err != nil {
				t.Errorf("%s/%s: unexpected %v", c.price, c.base, err)
			}
			continue
		}
		if !IsCode(err, CodeInvalid) {
			t.Errorf("%s/%s: got %v, want invalid", c.price, c.base, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s/%s: %q lacks %q", c.price, c.base, err, w)
			}
		}
	}
}

func TestNearestValidPricesAcrossTickBoundary(t *testing.T) {
	below, okB, above, okA := NearestValidPrices(d("4997"), d("4000"))
	if !okB || !okA || !below.Equal(d("4995")) || !above.Equal(d("5000")) {
		t.Fatalf("got %s %v %s %v", below, okB, above, okA)
	}
	if !NextTickDown(d("5000")).Equal(d("4995")) || !NextTickUp(d("4995")).Equal(d("5000")) {
		t.Fatal("NextTick across the 5,000 boundary")
	}
}

// FuzzTickAndBand checks the grid and band math for any base and price:
// rounding lands on the grid, the band contains the base and lies on the
// grid, and every nearest price offered is valid.
func FuzzTickAndBand(f *testing.F) {
	for _, seed := range [][2]int64{{9980, 12971}, {70000, 70050}, {1, 1}, {4999, 5001}, {2_000_000, 1_234_567}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, base, price int64) {
		if base <= 0 || base > 10_000_000 || price <= 0 || price > 20_000_000 {
			return
		}
		bd, p := decimal.NewFromInt(base), decimal.NewFromInt(price)
		if fl := FloorTick(p); fl.IsPositive() && !OnTickGrid(fl) || fl.GreaterThan(p) {
			t.Fatalf("FloorTick(%d) = %s", price, fl)
		}
		if c := CeilTick(p); !OnTickGrid(c) || c.LessThan(p) {
			t.Fatalf("CeilTick(%d) = %s", price, c)
		}
		b := PriceBand(bd)
		if !OnTickGrid(b.Lower) || !OnTickGrid(b.Upper) || b.Lower.GreaterThan(b.Upper) {
			t.Fatalf("band(%d) = %s–%s", base, b.Lower, b.Upper)
		}
		if OnTickGrid(bd) && !b.Contains(bd) {
			t.Fatalf("band(%d) = %s–%s excludes its base", base, b.Lower, b.Upper)
		}
		limitUp := bd.Mul(d("1.3"))
		if b.Upper.GreaterThan(limitUp) || (b.Lower.LessThan(bd.Mul(d("0.7"))) && b.Lower.GreaterThan(decimal.NewFromInt(1))) {
			t.Fatalf("band(%d) = %s–%s exceeds ±30%%", base, b.Lower, b.Upper)
		}
		below, okB, above, okA := NearestValidPrices(p, bd)
		if okB && ValidateLimitPrice(below, bd) != nil {
			t.Fatalf("nearest below %s of %d/%d is invalid", below, price, base)
		}
		if okA && ValidateLimitPrice(above, bd) != nil {
			t.Fatalf("nearest above %s of %d/%d is invalid", above, price, base)
		}
		if err := ValidateLimitPrice(p, bd); (err == nil) != (OnTickGrid(p) && b.Contains(p)) {
			t.Fatalf("ValidateLimitPrice(%d, %d) = %v", price, base, err)
		}
	})
}
