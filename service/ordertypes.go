package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// quoteOf is the quote a side takes on a listing now: the ask or bid of
// its latest trade, MARKET_DEPTH shares deep (the listing keeps no
// displayed size).
func (s *Orders) quoteOf(side domain.Side, stock domain.Stock, band domain.Band) domain.Quote {
	return domain.QuoteFor(side, domain.Trade{Code: stock.Code, Price: stock.Price, Bid: stock.Bid, Ask: stock.Ask}, band, s.cfg.MarketDepth)
}

// takeQuote executes an order that does not rest (a MARKET order, or an
// IOC or FOK one) against the quote, one execution per level it walks,
// never past its limit or the day's band. A MARKET order without a time
// in force must fit whole or is refused, naming the size that fits; an
// IOC order keeps what traded and ends CANCELLED for the rest (also when
// nothing traded); a FOK order that cannot trade whole is recorded
// REJECTED with its reason, returned as rejected. None of them has a
// workflow: each is final when the transaction commits.
func (s *Orders) takeQuote(ctx context.Context, tx ports.Tx, acct domain.Account, h domain.Holding, o domain.Order, stock domain.Stock, now time.Time) (placed domain.Order, rejected, err error) {
	band := domain.PriceBand(stock.PrevClose)
	q := s.quoteOf(o.Side, stock, band)
	edge := band.Upper
	if o.Side == domain.Sell {
		edge = band.Lower
	}
	if o.LimitPrice.Valid {
		edge = o.LimitPrice.Decimal
	}
	if o.Side == domain.Sell {
		if err := checkSellable(h, o); err != nil {
			return o, nil, err
		}
	}
	levels, left := domain.WalkBook(o.Side, o.Quantity, q, edge)
	if left > 0 {
		switch o.TimeInForce {
		case domain.FOK:
			o.Status = domain.Rejected
			o.Reason = fmt.Sprintf("fill or kill: only %d of %d shares can trade now (the quote %s holds %d shares per tick, up to %s)",
				o.Quantity-left, o.Quantity, q.Price, max(q.Depth, 1), edge)
			if err := tx.CreateOrder(ctx, o); err != nil {
				return o, nil, err
			}
			return o, domain.FieldErrorf(domain.CodeInvalid, "quantity", "order %s was REJECTED: %s", o.ID, o.Reason), nil
		case domain.IOC:
		default:
			_, err := domain.MarketLevels(o.Side, o.Quantity, q, band)
			return o, nil, err
		}
	}
	changes, err := o.Take(acct, h, levels, false, s.cfg.Fees, now)
	if err != nil {
		return o, nil, err
	}
	if len(changes) > 0 {
		last := changes[len(changes)-1]
		o, acct, h = last.Order, last.Account, last.Holding
	}
	if o.Remaining() > 0 {
		o.Status = domain.Cancelled
		o.Reason = fmt.Sprintf("immediate or cancel: %d of %d shares traded at once, the rest was cancelled", o.FilledQuantity, o.Quantity)
		if o.FilledQuantity == 0 {
			o.Reason = fmt.Sprintf("immediate or cancel: nothing traded at once (the quote is %s)", q.Price)
		}
		o.UpdatedAt = now
	}
	if err := tx.CreateOrder(ctx, o); err != nil {
		return o, nil, err
	}
	o.Executions, err = s.writeTakes(ctx, tx, changes)
	return o, nil, err
}

// checkSellable checks that the holding has every share a sell names
// free, as a resting sell would hold them.
func checkSellable(h domain.Holding, o domain.Order) error {
	// h is a copy: reserving on it only runs the holding's own check.
	if err := h.ReserveShares(o.Quantity); err != nil {
		if h.Quantity == 0 {
			return domain.FieldErrorf(domain.CodeInsufficientStock, "quantity", "you hold no shares of %s to sell", o.StockCode)
		}
		return err
	}
	return nil
}

// takeThenRest places a DAY or GTC LIMIT order that reaches the quote on
// arrival: it takes levels (the quote walked up to its limit, one
// execution each, as an IOC order would take them), and the rest shares
// they leave over (as the walk counted them) rest at the order's limit like any resting order, holding
// what they need there (cash for a buy, shares for a sell), with their
// workflow started through the outbox. The whole order must be covered
// before anything is written: a buy needs the levels' cost plus the
// rest's reservation at its limit, a sell every share it names; otherwise
// it is refused and nothing changes. Filled whole, the order is final at
// once and has no workflow.
func (s *Orders) takeThenRest(ctx context.Context, tx ports.Tx, acct domain.Account, h domain.Holding, o domain.Order, levels []domain.Level, rest int64, now time.Time) (domain.Order, error) {
	fees := s.cfg.Fees
	limit := o.LimitPrice.Decimal
	taken := o.Quantity - rest
	if o.Side == domain.Buy {
		takes := domain.LevelsCost(levels, fees)
		need := takes
		if rest > 0 {
			need = need.Add(fees.BuyReservation(rest, limit))
		}
		if need.GreaterThan(acct.Available()) {
			msg := fmt.Sprintf("buying %d shares of %s at the quote (%s to %s) costs %s won with commission", taken, o.StockCode, levels[0].Price, levels[len(levels)-1].Price, takes)
			if rest > 0 {
				msg += fmt.Sprintf(", and the %d shares left to rest at %s hold %s won more", rest, limit, need.Sub(takes))
			}
			return o, domain.Errorf(domain.CodeInsufficientFunds, "%s, but only %s won is available", msg, acct.Available())
		}
	} else if err := checkSellable(h, o); err != nil {
		return o, err
	}
	changes, err := o.Take(acct, h, levels, false, fees, now)
	if err != nil {
		return o, err
	}
	if len(changes) == 0 {
		return o, fmt.Errorf("takeThenRest: order %s took no level", o.ID)
	}
	end := &changes[len(changes)-1]
	if end.Order.Remaining() > 0 {
		ch, err := end.Order.Reserve(end.Account, end.Holding, limit, fees)
		if err != nil {
			return o, err
		}
		// The last change carries the account and the holding that
		// writeTakes saves: with the rest's reservation in them.
		end.Account, end.Holding = ch.Account, ch.Holding
		o = ch.Order
	} else {
		o = end.Order
	}
	if err := tx.CreateOrder(ctx, o); err != nil {
		return o, err
	}
	if o.Executions, err = s.writeTakes(ctx, tx, changes); err != nil {
		return o, err
	}
	if o.Status.Final() {
		return o, nil
	}
	if err := s.enqueueOrder(ctx, tx, OutboxOrderStart, o); err != nil {
		return o, err
	}
	// The workflow starts knowing nothing of fills; tell it, as the
	// matcher tells it of each partial fill.
	return o, s.enqueueOrder(ctx, tx, OutboxOrderFilled, o)
}

// writeTakes writes the executions of an order's takes, the account and
// the holding as the last take left them, then the ledger rows (the order
// a single fill has always written them in), and returns the executions.
func (s *Orders) writeTakes(ctx context.Context, tx ports.Tx, changes []domain.Change) ([]domain.Execution, error) {
	exs := make([]domain.Execution, 0, len(changes))
	if len(changes) == 0 {
		return exs, nil
	}
	for i := range changes {
		changes[i].Execution.ID, changes[i].Ledger.ID = s.ids.NewID(), s.ids.NewID()
		if err := tx.CreateExecution(ctx, changes[i].Execution); err != nil {
			return nil, err
		}
		exs = append(exs, changes[i].Execution)
	}
	last := changes[len(changes)-1]
	if err := tx.SaveAccount(ctx, last.Account); err != nil {
		return nil, err
	}
	if err := tx.SaveHolding(ctx, last.Holding); err != nil {
		return nil, err
	}
	for _, ch := range changes {
		if err := tx.AppendLedger(ctx, ch.Ledger); err != nil {
			return nil, err
		}
	}
	return exs, nil
}

// reservePrice is the price a resting order holds cash at: its limit, or
// for a STOP buy (which executes at the market, wherever that is when it
// triggers) the top of the day's band.
func reservePrice(o domain.Order, stock domain.Stock) decimal.Decimal {
	if o.Type == domain.StopOrder {
		return domain.PriceBand(stock.PrevClose).Upper
	}
	return o.LimitPrice.Decimal
}

// validateStopPrice checks a stop price like a limit price (on the grid,
// inside the band) and that the listing has not reached it yet: a BUY
// stop above the last trade, a SELL stop below it. A stop already reached
// would trigger at once; a MARKET or LIMIT order says that plainly.
func validateStopPrice(side domain.Side, stop decimal.Decimal, stock domain.Stock) error {
	if err := domain.ValidateLimitPrice(stop, stock.PrevClose); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return domain.FieldErrorf(de.Code, "stop_price", "%s", de.Message)
		}
		return err
	}
	if side == domain.Buy && !stop.GreaterThan(stock.Price) {
		return domain.FieldErrorf(domain.CodeInvalid, "stop_price", "a BUY stop must be above the last trade %s to wait for it, got %s; send a MARKET or LIMIT order to buy now", stock.Price, stop)
	}
	if side == domain.Sell && !stop.LessThan(stock.Price) {
		return domain.FieldErrorf(domain.CodeInvalid, "stop_price", "a SELL stop must be below the last trade %s to wait for it, got %s; send a MARKET or LIMIT order to sell now", stock.Price, stop)
	}
	return nil
}

// triggerStops fires the stop orders on t's listing that t reaches (a BUY
// stop at or below its price, a SELL stop at or above), read from the
// stop book's index a batch at a time, each batch in one transaction. A
// STOP_LIMIT order moves to the limit book at its limit, where this same
// trade may fill it. A STOP order executes at once as a MARKET order
// against the quote t left (its ask or bid, MARKET_DEPTH shares a tick),
// as far as the band allows, and is CANCELLED for any rest: a trigger
// cannot be refused after the fact. It reports the orders triggered.
func (s *Orders) triggerStops(ctx context.Context, t domain.Trade) (int, error) {
	total := 0
	var stock *domain.Stock
	for _, side := range []domain.Side{domain.Buy, domain.Sell} {
		for {
			batch, err := s.store.ListBookOrders(ctx, t.Code, ports.StopBook, side, t.Price, s.cfg.MatchBatch)
			if err != nil {
				return total, err
			}
			if len(batch) == 0 {
				break
			}
			if stock == nil {
				st, err := s.store.GetStock(ctx, t.Code)
				if err != nil {
					return total, err
				}
				stock = &st
			}
			n, err := s.triggerBatch(ctx, batch, t, *stock)
			total += n
			if err != nil {
				return total, err
			}
			if n > 0 && s.cfg.OrderWorkflows {
				s.kick()
			}
			if n == 0 || len(batch) < s.cfg.MatchBatch {
				break
			}
		}
	}
	return total, nil
}

// triggerBatch triggers the listed stop orders in one transaction, each
// re-read under its lock (in the global lock order: account, holding,
// order) and skipped when it closed or triggered meanwhile.
func (s *Orders) triggerBatch(ctx context.Context, listed []domain.Order, t domain.Trade, stock domain.Stock) (int, error) {
	batch := slices.Clone(listed)
	slices.SortFunc(batch, func(a, b domain.Order) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	band := domain.PriceBand(stock.PrevClose)
	n := 0
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		n = 0
		now := s.clock.Now().UTC()
		var (
			acct    domain.Account
			h       domain.Holding
			curAcct string
		)
		for _, peek := range batch {
			if peek.AccountID != curAcct {
				var err error
				if acct, err = tx.LockAccount(ctx, peek.AccountID); err != nil {
					return err
				}
				if h, err = s.lockHolding(ctx, tx, peek.AccountID, peek.StockCode, now); err != nil {
					return err
				}
				curAcct = peek.AccountID
			}
			o, err := tx.LockOrder(ctx, peek.ID)
			if err != nil {
				return err
			}
			if !o.Triggers(t.Price) {
				continue
			}
			trig := o
			trig.TriggeredAt, trig.PriorityAt, trig.UpdatedAt = now, now, now
			if o.Type == domain.StopLimitOrder {
				ok, err := tx.UpdateOrder(ctx, trig, o.Status)
				if err != nil {
					return err
				}
				if ok {
					n++
					if err := s.enqueueOrder(ctx, tx, OutboxOrderTriggered, trig); err != nil {
						return err
					}
				}
				continue
			}
			end, changes, err := s.stopExecutes(trig, acct, h, t, band, now)
			if err != nil {
				return err
			}
			done := end.Order
			ok, err := tx.UpdateOrder(ctx, done, o.Status)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n++
			acct, h = end.Account, end.Holding
			switch {
			case len(changes) > 0:
				_, err = s.writeTakes(ctx, tx, changes)
			case o.Side == domain.Buy:
				err = tx.SaveAccount(ctx, acct)
			default:
				err = tx.SaveHolding(ctx, h)
			}
			if err != nil {
				return err
			}
			if err := s.enqueueOrder(ctx, tx, OutboxOrderTriggered, trig); err != nil {
				return err
			}
			if err := s.enqueueOrder(ctx, tx, OutboxOrderClosed, done); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// stopExecutes is a triggered STOP order executed as a MARKET order
// against the quote trade t left. It returns the order, account and
// holding as they end, and the changes of its executions (none when not a
// share fits inside the band: the order is then cancelled and its
// reservation released).
func (s *Orders) stopExecutes(o domain.Order, a domain.Account, h domain.Holding, t domain.Trade, band domain.Band, now time.Time) (domain.Change, []domain.Change, error) {
	q := domain.QuoteFor(o.Side, t, band, s.cfg.MarketDepth)
	edge := band.Upper
	if o.Side == domain.Sell {
		edge = band.Lower
	}
	levels, _ := domain.WalkBook(o.Side, o.Remaining(), q, edge)
	changes, err := o.Take(a, h, levels, true, s.cfg.Fees, now)
	if domain.IsCode(err, domain.CodeInsufficientFunds) || domain.IsCode(err, domain.CodeInsufficientStock) {
		// The hold no longer covers the order (a new day's band is higher
		// than the one it was placed under): it cannot execute, and it
		// must not stop the trade's matching either.
		ch, cerr := o.Close(a, h, domain.Cancelled, fmt.Sprintf("triggered at %s, but could not execute: %v", t.Price, err), now)
		return ch, nil, cerr
	}
	if err != nil {
		return domain.Change{}, nil, err
	}
	if len(changes) == 0 {
		ch, err := o.Close(a, h, domain.Cancelled, fmt.Sprintf("triggered at %s, but no share could trade inside today's band", t.Price), now)
		return ch, nil, err
	}
	end := changes[len(changes)-1]
	if end.Order.Remaining() > 0 {
		end.Order.Status = domain.Cancelled
		end.Order.Reason = fmt.Sprintf("triggered at %s: %d of %d shares traded inside today's band, the rest was cancelled", t.Price, end.Order.FilledQuantity, end.Order.Quantity)
	}
	return end, changes, nil
}
