package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// Change is what a transition of an order comes to: the order, the
// account and the holding as they are after it, and for a fill the
// execution and the ledger row to write. Transitions change nothing they
// are given, so a caller can throw a Change away when the database says
// that another transition got to the order first; it writes the change
// only after the conditional update of the order succeeded.
type Change struct {
	Order   Order
	Account Account
	Holding Holding
	// Execution and Ledger are set by Fill; their IDs are left to the
	// caller.
	Execution Execution
	Ledger    LedgerEntry
}

// Remaining is how many shares are still to fill.
func (o Order) Remaining() int64 { return o.Quantity - o.FilledQuantity }

// Reserve holds what an order about to rest (or execute) needs: cash for a
// buy, quantity × price + commission, where price is the limit or, for an
// order that executes at once, the price it executes at; shares for a
// sell. Every open order holds its reservation until it fills, and a fill
// or a close releases it.
func (o Order) Reserve(a Account, h Holding, price decimal.Decimal, fees Fees) (Change, error) {
	if o.Side == Buy {
		amount := fees.BuyReservation(o.Remaining(), price)
		if err := a.Reserve(amount); err != nil {
			return Change{}, err
		}
		o.ReservedAmount = o.ReservedAmount.Add(amount)
		return Change{Order: o, Account: a, Holding: h}, nil
	}
	if h.Quantity == 0 {
		return Change{}, FieldErrorf(CodeInsufficientStock, "quantity", "you hold no shares of %s to sell", o.StockCode)
	}
	if err := h.ReserveShares(o.Remaining()); err != nil {
		return Change{}, err
	}
	return Change{Order: o, Account: a, Holding: h}, nil
}

// Fill executes qty of the order's remaining shares at price, paid from
// (or into) the account and the holding. The part of the reservation the
// filled shares held is released first; a buy that stays open keeps what
// its remaining shares need at its limit price. The order is FILLED when
// nothing remains, PARTIALLY_FILLED otherwise. The ledger row takes the
// account's next sequence number.
func (o Order) Fill(a Account, h Holding, qty int64, price decimal.Decimal, fees Fees, now time.Time) (Change, error) {
	if !o.Open() {
		return Change{}, Errorf(CodeConflict, "order %s is already %s and cannot fill", o.ID, o.Status)
	}
	if qty <= 0 || qty > o.Remaining() {
		return Change{}, Errorf(CodeInvalid, "cannot fill %d shares of order %s: %d remain", qty, o.ID, o.Remaining())
	}
	if !price.IsPositive() {
		return Change{}, Errorf(CodeInvalid, "cannot fill order %s at %s", o.ID, price)
	}
	left := o.Remaining() - qty
	if o.Side == Buy {
		keep := decimal.Zero
		if left > 0 && o.LimitPrice.Valid {
			keep = fees.BuyReservation(left, o.LimitPrice.Decimal)
		}
		a.Release(o.ReservedAmount.Sub(keep))
		o.ReservedAmount = keep
	} else {
		if h.ReservedQuantity < qty {
			return Change{}, Errorf(CodeInternal, "order %s sells %d shares of %s but only %d are reserved", o.ID, qty, o.StockCode, h.ReservedQuantity)
		}
		h.ReservedQuantity -= qty
	}
	st := fees.Settle(o.Side, qty, price, h.AveragePrice)
	before := a.Cash
	a.ApplySettlement(st)
	if a.Cash.IsNegative() || a.ReservedCash.IsNegative() {
		return Change{}, Errorf(CodeInsufficientFunds, "order %s would leave cash %s (reserved %s)", o.ID, a.Cash, a.ReservedCash)
	}
	a.LedgerSeq++
	a.UpdatedAt = now
	if o.Side == Buy {
		h.ApplyBuy(qty, price)
	} else {
		h.ApplySell(qty)
	}
	h.UpdatedAt = now

	filled := o.FilledQuantity + qty
	avg := price
	if o.FilledQuantity > 0 && o.AverageFillPrice.Valid {
		paid := o.AverageFillPrice.Decimal.Mul(decimal.NewFromInt(o.FilledQuantity)).Add(price.Mul(decimal.NewFromInt(qty)))
		avg = paid.DivRound(decimal.NewFromInt(filled), MoneyScale)
	}
	o.FilledQuantity = filled
	o.AverageFillPrice = decimal.NewNullDecimal(avg)
	o.Commission = o.Commission.Add(st.Commission)
	o.Tax = o.Tax.Add(st.Tax)
	o.Status = Filled
	if left > 0 {
		o.Status = PartiallyFilled
	}
	o.UpdatedAt = now

	typ := TxBuy
	if o.Side == Sell {
		typ = TxSell
	}
	return Change{
		Order: o, Account: a, Holding: h,
		Execution: Execution{
			OrderID: o.ID, AccountID: o.AccountID, UserID: o.UserID, StockCode: o.StockCode, Side: o.Side,
			Quantity: qty, Price: price, Amount: st.Amount, Commission: st.Commission, Tax: st.Tax,
			RealizedPnL: st.RealizedPnL, ExecutedAt: now,
		},
		Ledger: LedgerEntry{
			AccountID: o.AccountID, UserID: o.UserID, Seq: a.LedgerSeq, Type: typ, StockCode: o.StockCode, OrderID: o.ID,
			Quantity: qty, Price: decimal.NewNullDecimal(price), Amount: st.Amount,
			Commission: st.Commission, Tax: st.Tax, CashBalanceBefore: before, CashBalanceAfter: a.Cash, CreatedAt: now,
		},
	}, nil
}

// Close ends an open order as CANCELLED, EXPIRED or REJECTED and releases
// what its remaining shares held; its executions stay. An order expires
// only once its expiry has passed.
func (o Order) Close(a Account, h Holding, status OrderStatus, reason string, now time.Time) (Change, error) {
	switch status {
	case Cancelled, Expired, Rejected:
	default:
		return Change{}, Errorf(CodeInternal, "an order cannot be closed as %s", status)
	}
	if !o.Open() {
		return Change{}, Errorf(CodeConflict, "order %s is already %s", o.ID, o.Status)
	}
	if status == Expired && !o.ExpiresAt.IsZero() && now.Before(o.ExpiresAt) {
		return Change{}, Errorf(CodeConflict, "order %s does not expire before %s", o.ID, o.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if o.Side == Buy {
		a.Release(o.ReservedAmount)
		a.UpdatedAt = now
	} else {
		h.ReservedQuantity -= o.Remaining()
		h.UpdatedAt = now
	}
	o.ReservedAmount = decimal.Zero
	o.Status = status
	o.Reason = reason
	o.UpdatedAt = now
	return Change{Order: o, Account: a, Holding: h}, nil
}

// ModifyRequest changes a resting order: a new total quantity, a new
// limit price, or both; a zero field keeps what the order has.
type ModifyRequest struct {
	Quantity   int64
	LimitPrice decimal.NullDecimal
}

// Modify changes a resting order's quantity or limit price and holds what
// it now needs in place of what it held: a buy releases its reservation and
// reserves anew at reservePrice (its new limit, or for a STOP buy the
// band's upper limit), a sell reserves more or fewer shares. It fails,
// changing nothing, when the new reservation does not fit. The order keeps
// its place in the queue only when its size goes down and its price stays;
// any other change queues it anew. Checking the new price against the tick
// grid and the band is the caller's, who knows the listing.
func (o Order) Modify(a Account, h Holding, req ModifyRequest, reservePrice decimal.Decimal, fees Fees, now time.Time) (Change, error) {
	if err := o.CheckModify(req); err != nil {
		return Change{}, err
	}
	qty, limit := o.Quantity, o.LimitPrice
	if req.Quantity != 0 {
		qty = req.Quantity
	}
	if req.LimitPrice.Valid {
		limit = req.LimitPrice
	}
	keepsPlace := qty < o.Quantity && limit.Decimal.Equal(o.LimitPrice.Decimal)
	remaining := qty - o.FilledQuantity
	if o.Side == Buy {
		a.Release(o.ReservedAmount)
		need := fees.BuyReservation(remaining, reservePrice)
		if err := a.Reserve(need); err != nil {
			return Change{}, err
		}
		o.ReservedAmount = need
		a.UpdatedAt = now
	} else {
		h.ReservedQuantity -= o.Remaining()
		if err := h.ReserveShares(remaining); err != nil {
			return Change{}, err
		}
		h.UpdatedAt = now
	}
	o.Quantity, o.LimitPrice = qty, limit
	if !keepsPlace {
		o.PriorityAt = now
	}
	o.UpdatedAt = now
	return Change{Order: o, Account: a, Holding: h}, nil
}

// Triggers reports whether a trade at price reaches a stop order's stop
// price that has not been reached before: a buy stop at or above it, a
// sell stop at or below it.
func (o Order) Triggers(price decimal.Decimal) bool {
	if !o.Type.Stop() || !o.TriggeredAt.IsZero() || !o.StopPrice.Valid || !o.Open() {
		return false
	}
	if o.Side == Buy {
		return !price.LessThan(o.StopPrice.Decimal)
	}
	return !price.GreaterThan(o.StopPrice.Decimal)
}

// Waiting reports whether a stop order still waits for its trigger.
func (o Order) Waiting() bool { return o.Type.Stop() && o.TriggeredAt.IsZero() }

// Take executes an order against the levels an arriving (or just
// triggered) order takes from the quote, one execution per level, and
// returns the change of each. held says the order already holds a
// reservation for its remaining shares (a resting stop): it is given back
// first. Then exactly what the levels need is held (their cost with
// commission for a buy, their shares for a sell), so the check of cash or
// shares is made at the prices the order really pays, and each fill
// spends its part. Shares the levels leave over stay unfilled and hold
// nothing: the caller ends the order (IOC, a stop past the band), refuses
// it, or reserves them to rest (a DAY or GTC limit that reached the
// quote). The order is unchanged when levels is empty.
func (o Order) Take(a Account, h Holding, levels []Level, held bool, fees Fees, now time.Time) ([]Change, error) {
	if !o.Open() {
		return nil, Errorf(CodeConflict, "order %s is already %s and cannot fill", o.ID, o.Status)
	}
	if len(levels) == 0 {
		return nil, nil
	}
	if held {
		if o.Side == Buy {
			a.Release(o.ReservedAmount)
			o.ReservedAmount = decimal.Zero
		} else {
			h.ReservedQuantity -= o.Remaining()
		}
	}
	var n int64
	for _, l := range levels {
		n += l.Quantity
	}
	if n > o.Remaining() {
		return nil, Errorf(CodeInternal, "order %s takes %d shares but only %d remain", o.ID, n, o.Remaining())
	}
	if o.Side == Buy {
		cost := LevelsCost(levels, fees)
		if cost.GreaterThan(a.Available()) {
			return nil, Errorf(CodeInsufficientFunds,
				"buying %d shares of %s at the quote (%s to %s) costs %s won with commission, but only %s won is available",
				n, o.StockCode, levels[0].Price, levels[len(levels)-1].Price, cost, a.Available())
		}
		a.ReservedCash = a.ReservedCash.Add(cost)
		o.ReservedAmount = o.ReservedAmount.Add(cost)
	} else {
		if h.Quantity == 0 {
			return nil, FieldErrorf(CodeInsufficientStock, "quantity", "you hold no shares of %s to sell", o.StockCode)
		}
		if err := h.ReserveShares(n); err != nil {
			return nil, err
		}
	}
	// The reservation covers exactly the levels, so no fill keeps back a
	// part of it for shares at a limit: the first releases it all and
	// each pays its own level.
	limit := o.LimitPrice
	o.LimitPrice = decimal.NullDecimal{}
	out := make([]Change, 0, len(levels))
	for _, l := range levels {
		ch, err := o.Fill(a, h, l.Quantity, l.Price, fees, now)
		if err != nil {
			return nil, err
		}
		o, a, h = ch.Order, ch.Account, ch.Holding
		out = append(out, ch)
	}
	for i := range out {
		out[i].Order.LimitPrice = limit
	}
	return out, nil
}
