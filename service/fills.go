package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// opensSession reports whether a trade of code at now is the first of its
// session: no price was recorded since the session opened.
func (s *Market) opensSession(ctx context.Context, code string, now time.Time) (bool, error) {
	return s.opensSessionIn(ctx, s.store, code, now)
}

// opensSessionIn is opensSession reading through r (a transaction).
func (s *Market) opensSessionIn(ctx context.Context, r ports.Reader, code string, now time.Time) (bool, error) {
	if !s.cfg.Calendar.IsOpen(now) {
		return false, nil
	}
	prev, err := r.ListPrices(ctx, code, s.cfg.Calendar.SessionStart(now), 1)
	return len(prev) == 0, err
}

// Match fills the resting orders on code that a trade at price crosses,
// as a trade of unknown volume (MARKET_DEPTH shares) that does not open
// the session.
func (s *Orders) Match(ctx context.Context, code string, price decimal.Decimal) (int, error) {
	return s.MatchTrade(ctx, domain.Trade{Code: code, Price: price}, false)
}

// MatchTrade shares a trade's volume out among the resting limit orders it
// crosses (see domain.Allocate): each side of the book in priority order,
// best limit first, then the earliest place in the queue, up to volume ×
// FILL_PARTICIPATION shares, each order at its own limit, or at the
// trade's price when the trade opens the session; before them, the stop
// orders the trade reaches trigger (see triggerStops). The crossing orders come
// from an index a batch at a time, and each batch settles in one
// transaction, so a trade that crosses nothing costs two indexed queries.
// It reports how many fills it made.
func (s *Orders) MatchTrade(ctx context.Context, t domain.Trade, opening bool) (int, error) {
	if !s.cfg.Calendar.IsOpen(s.clock.Now()) {
		return 0, nil
	}
	volume := t.Volume
	if volume <= 0 {
		volume = s.cfg.MarketDepth
	}
	budget := decimal.NewFromInt(volume).Mul(s.cfg.FillParticipation).Floor().IntPart()
	one := decimal.NewFromInt(1)
	// Stops first: a STOP_LIMIT the trade triggers joins the limit book
	// in time for the trade to fill it.
	if _, err := s.triggerStops(ctx, t); err != nil {
		return 0, err
	}
	total := 0
	for _, side := range []domain.Side{domain.Buy, domain.Sell} {
		left := budget
		for left > 0 {
			batch, err := s.store.ListBookOrders(ctx, t.Code, ports.LimitBook, side, t.Price, s.cfg.MatchBatch)
			if err != nil {
				return total, err
			}
			if len(batch) == 0 {
				break
			}
			n, shares, err := s.fillAllocations(ctx, batch, domain.Allocate(t, batch, left, one, opening), t.Price, opening)
			total += n
			left -= shares
			if err != nil {
				return total, err
			}
			if n > 0 && s.cfg.OrderWorkflows {
				s.kick()
			}
			if n == 0 || len(batch) < s.cfg.MatchBatch {
				// Nothing left to cross, or everything listed was closed
				// by someone else meanwhile: a later trade picks up
				// whatever is left.
				break
			}
		}
	}
	return total, nil
}

// FillOrder fills what remains of one resting order at price if it is
// still open and the price crosses its limit; it reports whether it did.
func (s *Orders) FillOrder(ctx context.Context, id string, price decimal.Decimal) (bool, error) {
	o, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Status.Final() {
		return false, nil
	}
	n, _, err := s.fillAllocations(ctx, []domain.Order{o}, []domain.Allocation{{OrderID: o.ID, Quantity: o.Remaining(), Price: price}}, price, true)
	return n == 1, err
}

// fillAllocations settles the allocations among listed orders in one
// transaction and reports the
// fills it made and the shares they came to. Each order is re-read under
// its lock: one that closed, changed its limit past the trade, or shrank
// since it was listed fills what it still can, or not at all. An order
// fills at its limit, or at the trade's price when atTrade. Locks are
// taken account by account in id order (account, then holding, then its
// orders), the same global order every other transaction follows, so
// concurrent batches and API calls cannot deadlock.
func (s *Orders) fillAllocations(ctx context.Context, listed []domain.Order, allocs []domain.Allocation, price decimal.Decimal, atTrade bool) (int, int64, error) {
	if len(allocs) == 0 {
		return 0, 0, nil
	}
	want := make(map[string]int64, len(allocs))
	for _, a := range allocs {
		want[a.OrderID] += a.Quantity
	}
	// The account and listing of each order decide the lock order; they
	// never change, so the listed copies do.
	batch := slices.DeleteFunc(slices.Clone(listed), func(o domain.Order) bool { return want[o.ID] == 0 })
	slices.SortFunc(batch, func(a, b domain.Order) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		if c := strings.Compare(a.StockCode, b.StockCode); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	filled, shares := 0, int64(0)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		filled, shares = 0, 0
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
			if !o.Open() || o.Waiting() || !o.LimitPrice.Valid || !domain.Crosses(o.Side, o.LimitPrice.Decimal, price) {
				continue
			}
			qty := min(want[o.ID], o.Remaining())
			if qty <= 0 {
				continue
			}
			at := o.LimitPrice.Decimal
			if atTrade {
				at = price
			}
			ch, err := o.Fill(acct, h, qty, at, s.cfg.Fees, now)
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
			kind := OutboxOrderClosed
			if !ch.Order.Status.Final() {
				kind = OutboxOrderFilled
			}
			if err := s.enqueueOrder(ctx, tx, kind, ch.Order); err != nil {
				return err
			}
			dirtyA, dirtyH = true, true
			filled++
			shares += qty
		}
		return flush()
	})
	return filled, shares, err
}
