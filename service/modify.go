package service

import (
	"context"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// OutboxOrderModified tells an order's workflow that the order was
// modified outside it (the database decided a modify while the workflow
// engine was away).
const OutboxOrderModified = "order.modified"

// Modify changes the quantity or the limit price of one of the user's
// resting orders (정정). A request the order cannot take is refused
// before anything else is asked: another user's order (or one outside the
// account t names) is not found, a final one is a conflict, and a quantity
// at or below what has filled, an off-grid or out-of-band price or a
// request that changes nothing are invalid. When a workflow engine owns
// the order the modify is an update of its workflow, so that it is ordered
// with the workflow's cancel and expiry; otherwise, or when the engine
// cannot take it, the database decides, as for Cancel.
func (s *Orders) Modify(ctx context.Context, t Target, id string, req domain.ModifyRequest) (domain.Order, error) {
	o, err := s.Get(ctx, t.UserID, id)
	if err != nil {
		return domain.Order{}, err
	}
	if t.AccountID != "" && o.AccountID != t.ID() {
		return domain.Order{}, domain.Errorf(domain.CodeNotFound, "no order %s in account %s", id, t.ID())
	}
	if err := o.CheckModify(req); err != nil {
		return domain.Order{}, err
	}
	if req.LimitPrice.Valid {
		// Checked here too, so that the caller hears which field was
		// wrong and the nearest valid prices even when a workflow would
		// have carried the request.
		stock, err := s.store.GetStock(ctx, o.StockCode)
		if err != nil {
			return domain.Order{}, err
		}
		if err := domain.ValidateLimitPrice(req.LimitPrice.Decimal, stock.PrevClose); err != nil {
			return domain.Order{}, err
		}
	}
	done, fellBack, err := s.throughWorkflow(ctx, t.UserID, id, "modifying", func(ctx context.Context) error { return s.workflows.ModifyOrder(ctx, id, req) })
	if done.ID != "" || err != nil {
		return done, err
	}
	res, err := s.modifyOrder(ctx, id, req, true)
	if err != nil {
		// An update that timed out may still have run: the order is
		// already what was asked and only the answer was lost. The
		// modify this request asked for is then done.
		if fellBack && domain.IsCode(err, domain.CodeInvalid) {
			if cur, gerr := s.Get(ctx, t.UserID, id); gerr == nil && cur.Open() && cur.Applied(req) && !cur.UpdatedAt.Equal(o.UpdatedAt) {
				return cur, nil
			}
		}
		return domain.Order{}, err
	}
	res.Executions, err = s.executionsOf(ctx, res)
	return res, err
}

// ApplyModify modifies a resting order in one database transaction: the
// new price is checked against the tick grid and today's band, and the
// order's reservation is released and taken anew (cash at the new limit
// for a buy, shares for a sell), or nothing changes. The order's workflow
// calls it from its modify update.
func (s *Orders) ApplyModify(ctx context.Context, id string, req domain.ModifyRequest) (domain.Order, error) {
	return s.modifyOrder(ctx, id, req, false)
}

// modifyOrder carries a modify out in the database; notify tells the
// order's workflow through the outbox, for modifies decided outside it.
// Locks follow the global order: account, holding, then the order.
func (s *Orders) modifyOrder(ctx context.Context, id string, req domain.ModifyRequest, notify bool) (domain.Order, error) {
	peek, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return domain.Order{}, err
	}
	if err := peek.CheckModify(req); err != nil {
		return domain.Order{}, err
	}
	var o domain.Order
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		acct, h, cur, err := s.lockResting(ctx, tx, peek, now)
		if err != nil {
			return err
		}
		if err := cur.CheckModify(req); err != nil {
			return err
		}
		reserveAt := cur.LimitPrice.Decimal
		if req.LimitPrice.Valid || !cur.LimitPrice.Valid {
			stock, err := tx.GetStock(ctx, cur.StockCode)
			if err != nil {
				return err
			}
			if req.LimitPrice.Valid {
				if err := domain.ValidateLimitPrice(req.LimitPrice.Decimal, stock.PrevClose); err != nil {
					return err
				}
				reserveAt = req.LimitPrice.Decimal
			} else {
				// A STOP order has no limit: a buy holds what the
				// band's upper limit would cost, as when it was placed.
				reserveAt = domain.PriceBand(stock.PrevClose).Upper
			}
		}
		ch, err := cur.Modify(acct, h, req, reserveAt, s.cfg.Fees, now)
		if err != nil {
			return err
		}
		ok, err := tx.UpdateOrder(ctx, ch.Order, cur.Status)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.CodeConflict, "order %s changed while being modified", id)
		}
		if err := saveReservation(ctx, tx, cur.Side, ch); err != nil {
			return err
		}
		o = ch.Order
		if notify {
			return s.enqueueOrder(ctx, tx, OutboxOrderModified, o)
		}
		return nil
	})
	if err != nil {
		return domain.Order{}, err
	}
	if notify && s.cfg.OrderWorkflows {
		s.kick()
	}
	return o, nil
}
