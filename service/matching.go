package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

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
	s.opened.record(s.cfg.Calendar.SessionStart(s.clock.Now()), valid)
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
// Listings this process has seen trade in the session are not asked
// again.
func (s *Market) sessionOpeners(ctx context.Context, r ports.Reader, trades []domain.Trade) (map[string]bool, error) {
	now := s.clock.Now().UTC()
	start := s.cfg.Calendar.SessionStart(now)
	out := make(map[string]bool, 4)
	for _, t := range trades {
		if _, ok := out[t.Code]; ok {
			continue
		}
		if s.opened.has(t.Code, start) {
			out[t.Code] = false
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

// openedSessions maps a listing to the start of the latest session in
// which a trade of it was committed by this process.
type openedSessions struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// has reports whether a trade of code was committed in the session that
// began at start.
func (o *openedSessions) has(code string, start time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	at, ok := o.m[code]
	return ok && at.Equal(start)
}

// record notes the listings of committed trades that fall in the session
// that began at start: the tape holds a trade of theirs since it began.
func (o *openedSessions) record(start time.Time, trades []domain.Trade) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]time.Time{}
	}
	for _, t := range trades {
		if !t.At.Before(start) {
			o.m[t.Code] = start
		}
	}
}
