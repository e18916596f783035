package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
// and quotes) and then fills the resting limit orders each crosses, in
// order. A trade the listing refuses (off the grid, outside the band,
// unknown code) is reported after the others are applied.
func (s *Market) ApplyTrades(ctx context.Context, trades []domain.Trade) error {
	valid, errs, err := s.recordTrades(ctx, trades)
	if err != nil {
		return err
	}
	quiet, err := s.crossingNothing(ctx, valid)
	if err != nil {
		return err
	}
	for _, t := range valid {
		if quiet[t.Code] {
			continue
		}
		if _, err := s.orders.Match(ctx, t.Code, t.Price); err != nil {
			if fatal(err) {
				return err
			}
			errs = append(errs, fmt.Errorf("%s @ %s: %w", t.Code, t.Price, err))
		}
	}
	return errors.Join(errs...)
}

// Tick records a trade of MarketDepth shares at price without quotes, and
// reports how many resting orders it filled.
func (s *Market) Tick(ctx context.Context, code string, price decimal.Decimal) (int, error) {
	return s.Trade(ctx, TradeInput{Code: code, Price: price})
}

// Match fills the resting orders on code that a trade at price crosses, a
// batch per transaction, until none is left. The crossing orders come from
// an index, so a tick that crosses nothing costs one indexed query.
func (s *Orders) Match(ctx context.Context, code string, price decimal.Decimal) (int, error) {
	if !s.cfg.Calendar.IsOpen(s.clock.Now()) {
		return 0, nil
	}
	total := 0
	for {
		batch, err := s.store.ListCrossingOrders(ctx, code, price, s.cfg.MatchBatch)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		n, err := s.fillBatch(ctx, batch, price)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			// Everything listed was closed by someone else meanwhile; a
			// later tick picks up whatever is left.
			return total, nil
		}
		if s.cfg.OrderWorkflows {
			s.kick()
		}
		if len(batch) < s.cfg.MatchBatch {
			return total, nil
		}
	}
}

// fillBatch settles a batch of crossed orders in one transaction. Locks are
// taken account by account in id order (account, then holding, then its
// orders), the same global order every other transaction follows, so
// concurrent batches and API calls cannot deadlock.
func (s *Orders) fillBatch(ctx context.Context, batch []domain.Order, price decimal.Decimal) (int, error) {
	slices.SortFunc(batch, func(a, b domain.Order) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		if c := strings.Compare(a.StockCode, b.StockCode); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	filled := 0
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		filled = 0
		now := s.clock.Now().UTC()
		var (
			acct    domain.Account
			h       domain.Holding
			curAcct string
			curCode string
			dirtyA  bool
			dirtyH  bool
		)
		flush := func() error {
			if dirtyA {
				if err := tx.SaveAccount(ctx, acct); err != nil {
					return err
				}
			}
			if dirtyH {
				if err := tx.SaveHolding(ctx, h); err != nil {
					return err
				}
			}
			dirtyA, dirtyH = false, false
			return nil
		}
		for _, peek := range batch {
			if peek.AccountID != curAcct {
				if err := flush(); err != nil {
					return err
				}
				var err error
				if acct, err = tx.LockAccount(ctx, peek.AccountID); err != nil {
					return err
				}
				curAcct, curCode = peek.AccountID, ""
			}
			if peek.StockCode != curCode {
				if dirtyH {
					if err := tx.SaveHolding(ctx, h); err != nil {
						return err
					}
					dirtyH = false
				}
				var err error
				if h, err = s.lockHolding(ctx, tx, peek.AccountID, peek.StockCode, now); err != nil {
					return err
				}
				curCode = peek.StockCode
			}
			o, err := tx.LockOrder(ctx, peek.ID)
			if err != nil {
				return err
			}
			if !o.Open() || !o.LimitPrice.Valid || !domain.Crosses(o.Side, o.LimitPrice.Decimal, price) {
				continue
			}
			ch, err := o.Fill(acct, h, o.Remaining(), price, s.cfg.Fees, now)
			if err != nil {
				return err
			}
			ok, err := tx.UpdateOrder(ctx, ch.Order, o.Status)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			// Only now that the order is won do the account and the
			// holding take the fill.
			acct, h = ch.Account, ch.Holding
			ch.Execution.ID, ch.Ledger.ID = s.ids.NewID(), s.ids.NewID()
			if err := tx.CreateExecution(ctx, ch.Execution); err != nil {
				return err
			}
			if err := tx.AppendLedger(ctx, ch.Ledger); err != nil {
				return err
			}
			if err := s.enqueueOrder(ctx, tx, OutboxOrderClosed, ch.Order); err != nil {
				return err
			}
			dirtyA, dirtyH = true, true
			filled++
		}
		return flush()
	})
	return filled, err
}

// FillOrder fills one resting order at price if it is still open and the
// price crosses its limit; it reports whether it did.
func (s *Orders) FillOrder(ctx context.Context, id string, price decimal.Decimal) (bool, error) {
	o, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Status.Final() {
		return false, nil
	}
	n, err := s.fillBatch(ctx, []domain.Order{o}, price)
	return n == 1, err
}
