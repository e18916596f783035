package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Stocks lists the active listings; price feeds quote them.
func (s *Market) Stocks(ctx context.Context) ([]domain.Stock, error) {
	all, err := s.store.ListStocks(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(st domain.Stock) bool { return !st.Active }), nil
}

// ApplyTrades records each trade's price and fills the resting limit
// orders it crosses, in order. A trade the listing refuses (off the grid,
// outside the band, unknown code) is reported after the others are
// applied.
func (s *Market) ApplyTrades(ctx context.Context, trades []domain.Trade) error {
	var errs []error
	for _, t := range trades {
		if _, err := s.Trade(ctx, t); err != nil {
			if domain.ErrorCode(err) == domain.CodeInternal || domain.IsCode(err, domain.CodeUnavailable) {
				return err
			}
			errs = append(errs, fmt.Errorf("%s @ %s: %w", t.Code, t.Price, err))
		}
	}
	return errors.Join(errs...)
}

// Tick records a trade at price whose volume is not known (it counts as
// MARKET_DEPTH shares) and reports how many fills it made.
func (s *Market) Tick(ctx context.Context, code string, price decimal.Decimal) (int, error) {
	return s.Trade(ctx, domain.Trade{Code: code, Price: price})
}

// Trade records a trade's price and fills the resting orders it crosses,
// as far as its volume goes; it reports how many fills it made.
func (s *Market) Trade(ctx context.Context, t domain.Trade) (int, error) {
	code, price := t.Code, t.Price
	stock, err := s.store.GetStock(ctx, code)
	if err != nil {
		if domain.IsCode(err, domain.CodeNotFound) {
			return 0, domain.Errorf(domain.CodeNotFound, "no listing %s", code)
		}
		return 0, err
	}
	if !domain.OnTickGrid(price) {
		below, okB, above, okA := domain.NearestValidPrices(price, stock.PrevClose)
		msg := "price %s is not on the KRX tick grid"
		switch {
		case okB && okA:
			return 0, domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid prices are %s and %s", price, below, above)
		case okB:
			return 0, domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid price is %s", price, below)
		case okA:
			return 0, domain.FieldErrorf(domain.CodeInvalid, "price", msg+"; the nearest valid price is %s", price, above)
		}
		return 0, domain.FieldErrorf(domain.CodeInvalid, "price", msg, price)
	}
	if band := domain.PriceBand(stock.PrevClose); !band.Contains(price) {
		return 0, domain.FieldErrorf(domain.CodeInvalid, "price", "%s is outside today's band %s–%s around the previous close %s", price, band.Lower, band.Upper, stock.PrevClose)
	}
	now := s.clock.Now().UTC()
	opening, err := s.opensSession(ctx, code, now)
	if err != nil {
		return 0, err
	}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.RecordPrice(ctx, code, price, now)
	})
	if err != nil {
		return 0, err
	}
	return s.orders.MatchTrade(ctx, t, opening)
}
