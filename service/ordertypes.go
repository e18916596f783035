package service

import (
	"context"
	"errors"
	"fmt"
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
		// A sell holds every share it names, as a resting one would.
		check := h
		if err := check.ReserveShares(o.Quantity); err != nil {
			if h.Quantity == 0 {
				return o, nil, domain.FieldErrorf(domain.CodeInsufficientStock, "quantity", "you hold no shares of %s to sell", o.StockCode)
			}
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

// writeTakes writes the executions and ledger rows of an order's takes,
// then the account and the holding as the last take left them, and
// returns the executions.
func (s *Orders) writeTakes(ctx context.Context, tx ports.Tx, changes []domain.Change) ([]domain.Execution, error) {
	exs := make([]domain.Execution, 0, len(changes))
	for _, ch := range changes {
		ch.Execution.ID, ch.Ledger.ID = s.ids.NewID(), s.ids.NewID()
		if err := tx.CreateExecution(ctx, ch.Execution); err != nil {
			return nil, err
		}
		if err := tx.AppendLedger(ctx, ch.Ledger); err != nil {
			return nil, err
		}
		exs = append(exs, ch.Execution)
	}
	if len(changes) == 0 {
		return exs, nil
	}
	last := changes[len(changes)-1]
	if err := tx.SaveAccount(ctx, last.Account); err != nil {
		return nil, err
	}
	return exs, tx.SaveHolding(ctx, last.Holding)
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
