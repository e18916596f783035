// Package feed holds the market data feeds that drive StocKing's prices: a
// simulated random walk on the KRX tick grid for development, and a CSV
// replay for reproducible sessions and benchmarks.
package feed

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Simulated moves each listing's price by a few ticks at random, never
// leaving the day's ±30% band.
type Simulated struct {
	// Interval between rounds; each round may move every listing.
	Interval time.Duration
	// MoveProbability is the chance that a listing trades in a round.
	MoveProbability float64
	// MaxTicks bounds one move, in ticks.
	MaxTicks int
	Rand     *rand.Rand
	Logger   *slog.Logger
}

// Run implements ports.MarketFeed.
func (f *Simulated) Run(ctx context.Context, sink ports.MarketSink) error {
	if f.Interval <= 0 {
		f.Interval = time.Second
	}
	if f.MoveProbability <= 0 {
		f.MoveProbability = 0.3
	}
	if f.MaxTicks <= 0 {
		f.MaxTicks = 3
	}
	if f.Rand == nil {
		f.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	log := f.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(f.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		stocks, err := sink.Stocks(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("simulated feed: listing stocks", "err", err)
			continue
		}
		for _, st := range stocks {
			if f.Rand.Float64() >= f.MoveProbability {
				continue
			}
			p := f.Next(st)
			if p.Equal(st.Price) {
				continue
			}
			if err := sink.ApplyTrades(ctx, []domain.Trade{f.Trade(st, p, time.Now().UTC())}); err != nil && ctx.Err() == nil {
				log.Warn("simulated feed: tick", "code", st.Code, "price", p, "err", err)
			}
		}
	}
}

// Trade dresses a simulated print at price p with what a real one carries:
// a volume (mostly small lots, now and then a block), and the best quotes
// one tick apart, the trade having taken the side it moved toward (a rise
// lifts the ask, a fall hits the bid), with a few thousand shares shown on
// each.
func (f *Simulated) Trade(st domain.Stock, p decimal.Decimal, at time.Time) domain.Trade {
	vol := int64(1 + f.Rand.IntN(200))
	if f.Rand.IntN(20) == 0 {
		vol *= int64(10 + f.Rand.IntN(90))
	}
	band := domain.PriceBand(st.PrevClose)
	t := domain.Trade{
		Code: st.Code, At: at, Price: p, Volume: vol,
		BidSize: int64(100 * (1 + f.Rand.IntN(50))), AskSize: int64(100 * (1 + f.Rand.IntN(50))),
	}
	if p.GreaterThan(st.Price) {
		t.Ask, t.Bid = p, band.Clamp(domain.NextTickDown(p))
	} else {
		t.Bid, t.Ask = p, band.Clamp(domain.NextTickUp(p))
	}
	return t
}

// Next draws the listing's next price: a step of 1..MaxTicks ticks up or
// down, with a slight pull back toward the previous close so prices wander
// instead of drifting to a band edge.
func (f *Simulated) Next(st domain.Stock) decimal.Decimal {
	band := domain.PriceBand(st.PrevClose)
	p := domain.FloorTick(band.Clamp(st.Price))
	up := f.Rand.Float64() < 0.5
	if p.GreaterThan(st.PrevClose) && f.Rand.Float64() < 0.1 {
		up = false
	} else if p.LessThan(st.PrevClose) && f.Rand.Float64() < 0.1 {
		up = true
	}
	steps := 1 + f.Rand.IntN(f.MaxTicks)
	for range steps {
		if up {
			p = domain.NextTickUp(p)
		} else {
			p = domain.NextTickDown(p)
		}
	}
	return band.Clamp(p)
}
