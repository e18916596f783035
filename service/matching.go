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

// ApplyTrades records the trades (in one transaction, with their volume
// and quotes) and then shares each one's volume among the resting orders
// it crosses, in order. A trade the listing refuses (off the grid, outside
// the band, unknown code) is reported after the others are applied.
//
// The recording transaction also asks, per listing of the batch, whether
// the batch opens the session and whether any resting order could cross
// it: reads on the connection the transaction already holds, which cost
// far less than as many reads of their own (on SQLite each of those would
// take a reader connection and prepare its statement again).
func (s *Market) ApplyTrades(ctx context.Context, trades []domain.Trade) error {
	valid, errs, err := s.checkTrades(ctx, trades)
	if err != nil || len(valid) == 0 {
		return errors.Join(append([]error{err}, errs...)...)
	}
	var opening, quiet map[string]bool
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if opening, err = s.sessionOpeners(ctx, tx, valid); err != nil {
			return err
		}
		if err := tx.RecordTrades(ctx, valid); err != nil {
			return err
		}
		quiet, err = s.crossingNothing(ctx, tx, valid)
		return err
	})
	if err != nil {
		return err
	}
	for _, t := range valid {
		open := opening[t.Code]
		opening[t.Code] = false
		if quiet[t.Code] {
			continue
		}
		if _, err := s.orders.MatchTrade(ctx, t, open); err != nil {
			if fatal(err) {
				return err
			}
			errs = append(errs, fmt.Errorf("%s @ %s: %w", t.Code, t.Price, err))
		}
	}
	return errors.Join(errs...)
}

// sessionOpeners tells, for each listing the trades name, whether the
// first of them opens today's session (no trade recorded since it began).
func (s *Market) sessionOpeners(ctx context.Context, r ports.Reader, trades []domain.Trade) (map[string]bool, error) {
	now := s.clock.Now().UTC()
	out := make(map[string]bool, 4)
	for _, t := range trades {
		if _, ok := out[t.Code]; ok {
			continue
		}
		o, err := s.opensSessionIn(ctx, r, t.Code, now)
		if err != nil {
			return nil, err
		}
		out[t.Code] = o
	}
	return out, nil
}

// Tick records a trade of MarketDepth shares at price without quotes, and
// reports how many fills it made.
func (s *Market) Tick(ctx context.Context, code string, price decimal.Decimal) (int, error) {
	return s.Trade(ctx, TradeInput{Code: code, Price: price})
}
