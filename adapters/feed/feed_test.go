package feed

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

type sink struct {
	mu     sync.Mutex
	stocks map[string]domain.Stock
	ticks  []Tick
}

func (s *sink) Stocks(context.Context) ([]domain.Stock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Stock
	for _, st := range s.stocks {
		out = append(out, st)
	}
	return out, nil
}

func (s *sink) ApplyTrades(_ context.Context, trades []domain.Trade) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range trades {
		st := s.stocks[t.Code]
		st.Price = t.Price
		s.stocks[t.Code] = st
		s.ticks = append(s.ticks, Tick{Code: t.Code, Price: t.Price})
	}
	return nil
}

func TestSimulatedStaysOnGridInsideBand(t *testing.T) {
	f := &Simulated{MaxTicks: 5, Rand: rand.New(rand.NewPCG(1, 2))}
	for _, base := range []string{"1990", "4995", "70000", "49950", "950000", "3"} {
		st := domain.Stock{Code: "005930", PrevClose: decimal.RequireFromString(base), Price: decimal.RequireFromString(base)}
		band := domain.PriceBand(st.PrevClose)
		for range 20000 {
			st.Price = f.Next(st)
			if !domain.OnTickGrid(st.Price) || !band.Contains(st.Price) {
				t.Fatalf("base %s: price %s off grid or outside %s–%s", base, st.Price, band.Lower, band.Upper)
			}
		}
	}
}

func TestSimulatedRunTicks(t *testing.T) {
	s := &sink{stocks: map[string]domain.Stock{
		"005930": {Code: "005930", Price: decimal.NewFromInt(70000), PrevClose: decimal.NewFromInt(70000)},
	}}
	f := &Simulated{Interval: time.Millisecond, MoveProbability: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := f.Run(ctx, s); err != nil {
		t.Fatal(err)
	}
	if len(s.ticks) < 5 {
		t.Fatalf("only %d ticks in 100 ms", len(s.ticks))
	}
}

func TestReplay(t *testing.T) {
	in := "time,stock_code,price\n0s,005930,70000\n# a comment\n20ms,005930,70100\n40ms,000660,190000\n"
	ticks, err := ParseReplay(strings.NewReader(in))
	if err != nil || len(ticks) != 3 || ticks[1].Offset != 20*time.Millisecond {
		t.Fatalf("%v %v", ticks, err)
	}
	s := &sink{stocks: map[string]domain.Stock{}}
	start := time.Now()
	if err := (&Replay{Ticks: ticks, Speed: 1}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 40*time.Millisecond || len(s.ticks) != 3 || s.ticks[2].Code != "000660" {
		t.Fatalf("replay did not keep spacing or order: %v", s.ticks)
	}
	for _, bad := range []string{
		"when,code,price\n",
		"time,stock_code,price\nsoon,005930,70000\n",
		"time,stock_code,price\n0s,5930,70000\n",
		"time,stock_code,price\n0s,005930,70050\n",
		"time,stock_code,price\n2s,005930,70000\n1s,005930,70000\n",
	} {
		if _, err := ParseReplay(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSimulatedTradesCarryVolumeAndQuotes(t *testing.T) {
	f := &Simulated{MaxTicks: 3, Rand: rand.New(rand.NewPCG(3, 4))}
	st := domain.Stock{Code: "005930", PrevClose: decimal.RequireFromString("70000"), Price: decimal.RequireFromString("70000")}
	band := domain.PriceBand(st.PrevClose)
	for i := 0; i < 2000; i++ {
		p := f.Next(st)
		tr := f.Trade(st, p, time.Unix(0, 0))
		if tr.Volume <= 0 || tr.BidSize <= 0 || tr.AskSize <= 0 {
			t.Fatalf("trade without volume or depth: %+v", tr)
		}
		if tr.Bid.GreaterThan(tr.Price) || tr.Ask.LessThan(tr.Price) || !tr.Bid.LessThan(tr.Ask) && !(tr.Bid.Equal(band.Lower) || tr.Ask.Equal(band.Upper)) {
			t.Fatalf("quotes do not bracket the price: %+v", tr)
		}
		for _, q := range []decimal.Decimal{tr.Bid, tr.Ask} {
			if !domain.OnTickGrid(q) || !band.Contains(q) {
				t.Fatalf("quote %s off the grid or the band: %+v", q, tr)
			}
		}
		st.Price = p
	}
}

func TestReplayWithVolumeAndQuotes(t *testing.T) {
	ticks, err := ParseReplay(strings.NewReader("time,stock_code,price,volume,bid,ask\n0s,005930,70000,120,69900,70000\n1s,005930,70100,5,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ticks) != 2 || ticks[0].Volume != 120 || !ticks[0].Bid.Equal(decimal.RequireFromString("69900")) || !ticks[1].Bid.IsZero() || ticks[1].Volume != 5 {
		t.Fatalf("ticks %+v", ticks)
	}
	for in, want := range map[string]string{
		"time,stock_code,price,volume,bid,ask\n0s,005930,70000,-1,,\n":     "line 2, column 4",
		"time,stock_code,price,volume,bid,ask\n0s,005930,70000,1,69950,\n": "line 2, column 5",
		"time,code,price\n": "header must be",
	} {
		if _, err := ParseReplay(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
