package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// TradeInput is a trade reported by hand (the admin's tick): a price, and
// optionally the volume and the best quotes.
type TradeInput struct {
	Code   string
	Price  decimal.Decimal
	Volume *int64
	Bid    decimal.NullDecimal
	Ask    decimal.NullDecimal
}

// Trade records one trade the way a feed's trades are recorded, and fills
// the resting orders it crosses; it reports how many it filled. Without a
// volume the trade is MarketDepth shares.
func (s *Market) Trade(ctx context.Context, in TradeInput) (int, error) {
	t := domain.Trade{Code: in.Code, At: s.clock.Now().UTC(), Price: in.Price, Volume: s.cfg.MarketDepth}
	if in.Volume != nil {
		t.Volume = *in.Volume
	}
	if in.Bid.Valid {
		t.Bid = in.Bid.Decimal
	}
	if in.Ask.Valid {
		t.Ask = in.Ask.Decimal
	}
	stock, err := s.store.GetStock(ctx, in.Code)
	if err != nil {
		if domain.IsCode(err, domain.CodeNotFound) {
			return 0, domain.Errorf(domain.CodeNotFound, "no listing %s", in.Code)
		}
		return 0, err
	}
	if err := checkTrade(stock, domain.PriceBand(stock.PrevClose), t); err != nil {
		return 0, err
	}
	opening, err := s.opensSession(ctx, t.Code, t.At)
	if err != nil {
		return 0, err
	}
	if err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.RecordTrades(ctx, []domain.Trade{t})
	}); err != nil {
		return 0, err
	}
	return s.orders.MatchTrade(ctx, t, opening)
}

// checkTrades checks each trade against its listing and returns the valid
// ones, each with its time, and the errors of the others.
func (s *Market) checkTrades(ctx context.Context, trades []domain.Trade) ([]domain.Trade, []error, error) {
	stocks, err := s.stocksByCode(ctx, trades)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now().UTC()
	valid := make([]domain.Trade, 0, len(trades))
	var bad []error
	// A listing's band depends on its previous close alone: worked out
	// once a batch, not once a trade (it is decimal arithmetic).
	bands := make(map[string]domain.Band, len(stocks))
	for _, t := range trades {
		st, ok := stocks[t.Code]
		if !ok {
			bad = append(bad, fmt.Errorf("%s @ %s: %w", t.Code, t.Price, domain.Errorf(domain.CodeNotFound, "no listing %s", t.Code)))
			continue
		}
		band, ok := bands[t.Code]
		if !ok {
			band = domain.PriceBand(st.PrevClose)
			bands[t.Code] = band
		}
		if err := checkTrade(st, band, t); err != nil {
			bad = append(bad, fmt.Errorf("%s @ %s: %w", t.Code, t.Price, err))
			continue
		}
		if t.At.IsZero() {
			t.At = now
		}
		valid = append(valid, t)
	}
	return valid, bad, nil
}

// stocksByCode reads the listings the trades name: one at a time for a
// few, all at once for many.
func (s *Market) stocksByCode(ctx context.Context, trades []domain.Trade) (map[string]domain.Stock, error) {
	out := make(map[string]domain.Stock, 4)
	if len(trades) > 4 {
		all, err := s.store.ListStocks(ctx)
		if err != nil {
			return nil, err
		}
		for _, st := range all {
			out[st.Code] = st
		}
		return out, nil
	}
	for _, t := range trades {
		if _, ok := out[t.Code]; ok {
			continue
		}
		st, err := s.store.GetStock(ctx, t.Code)
		if domain.IsCode(err, domain.CodeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[t.Code] = st
	}
	return out, nil
}

// checkTrade refuses a trade its listing cannot print: a price off the
// tick grid or outside the day's band (band, the listing's), a negative
// volume, quotes that are not prices or that cross.
func checkTrade(stock domain.Stock, band domain.Band, t domain.Trade) error {
	price := t.Price
	if !domain.OnTickGrid(price) {
		below, okB, above, okA := domain.NearestValidPrices(price, stock.PrevClose)
		msg := "price %s is not on the KRX tick grid"
		switch {
		case okB && okA:
			return domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid prices are %s and %s", price, below, above)
		case okB:
			return domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid price is %s", price, below)
		case okA:
			return domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid price is %s", price, above)
		}
		return domain.FieldErrorf(domain.CodeInvalid, "price", msg, price)
	}
	if !band.Contains(price) {
		return domain.FieldErrorf(domain.CodeInvalid, "price", "%s is outside today's band %s–%s around the previous close %s", price, band.Lower, band.Upper, stock.PrevClose)
	}
	if t.Volume < 0 {
		return domain.FieldErrorf(domain.CodeInvalid, "volume", "must not be negative (got %d)", t.Volume)
	}
	for _, q := range []struct {
		field string
		p     decimal.Decimal
	}{{"bid", t.Bid}, {"ask", t.Ask}} {
		if !q.p.IsZero() && !domain.OnTickGrid(q.p) {
			return domain.FieldErrorf(domain.CodeInvalid, q.field, "%s is not a positive price on the KRX tick grid", q.p)
		}
	}
	if !t.Bid.IsZero() && !t.Ask.IsZero() && t.Bid.GreaterThan(t.Ask) {
		return domain.FieldErrorf(domain.CodeInvalid, "bid", "%s is above the ask %s", t.Bid, t.Ask)
	}
	return nil
}

// fatal reports whether a trade's error stops the batch: an outage or an
// internal failure, rather than a refused trade.
func fatal(err error) bool {
	return domain.ErrorCode(err) == domain.CodeInternal || domain.IsCode(err, domain.CodeUnavailable) || errors.Is(err, context.Canceled)
}

// crossingNothing returns the listings of a batch whose trades can fill
// no resting order: no buy rests at or above the batch's lowest price on
// the listing and no sell at or below its highest, and they trigger no
// stop. Four indexed probes per listing (two when a limit crosses) then
// stand for one per trade, which matters for a feed's batch of hundreds
// of trades.
func (s *Market) crossingNothing(ctx context.Context, r ports.Reader, trades []domain.Trade) (map[string]bool, error) {
	if len(trades) < 4 || !s.cfg.Calendar.IsOpen(s.clock.Now()) {
		return nil, nil
	}
	type span struct{ lo, hi decimal.Decimal }
	spans := map[string]*span{}
	for _, t := range trades {
		sp, ok := spans[t.Code]
		if !ok {
			spans[t.Code] = &span{t.Price, t.Price}
			continue
		}
		sp.lo, sp.hi = decimal.Min(sp.lo, t.Price), decimal.Max(sp.hi, t.Price)
	}
	out := make(map[string]bool, len(spans))
	for code, sp := range spans {
		// A buy crosses a price at or below its limit, a sell one at or
		// above: the lowest price reaches every buy that any trade of the
		// batch reaches, the highest every sell.
		lo, err := r.ListCrossingOrders(ctx, code, sp.lo, 1)
		if err != nil {
			return nil, err
		}
		hi, err := r.ListCrossingOrders(ctx, code, sp.hi, 1)
		if err != nil {
			return nil, err
		}
		if len(lo) > 0 || len(hi) > 0 {
			continue
		}
		// A buy stop triggers at or above its stop price, a sell stop at
		// or below: the highest price reaches every buy stop the batch
		// reaches, the lowest every sell stop.
		up, err := r.ListBookOrders(ctx, code, ports.StopBook, domain.Buy, sp.hi, 1)
		if err != nil {
			return nil, err
		}
		down, err := r.ListBookOrders(ctx, code, ports.StopBook, domain.Sell, sp.lo, 1)
		if err != nil {
			return nil, err
		}
		out[code] = len(up) == 0 && len(down) == 0
	}
	return out, nil
}
