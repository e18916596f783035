package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Outbox message kinds for the order lifecycle.
const (
	// OutboxOrderStart asks the relay to start an order's workflow.
	OutboxOrderStart = "order.start"
	// OutboxOrderClosed tells an order's workflow that the order reached a
	// final status outside of it (a fill by the matcher).
	OutboxOrderClosed = "order.closed"
	// OutboxOrderFilled tells an order's workflow that part of the order
	// filled and the rest still rests.
	OutboxOrderFilled = "order.filled"
	// OutboxOrderTriggered tells a stop order's workflow that a trade
	// reached its stop price.
	OutboxOrderTriggered = "order.triggered"
)

// OrderEvent is the payload of order outbox messages and the input of the
// order workflow.
type OrderEvent struct {
	OrderID     string             `json:"order_id"`
	UserID      string             `json:"user_id"`
	StockCode   string             `json:"stock_code"`
	Side        domain.Side        `json:"side"`
	TimeInForce domain.TimeInForce `json:"time_in_force"`
	ExpiresAt   time.Time          `json:"expires_at,omitzero"`
	Status      domain.OrderStatus `json:"status"`
	// FilledQuantity is how many shares have filled so far.
	FilledQuantity int64 `json:"filled_quantity,omitempty"`
	// Quantity is the order's size, which a modify may change.
	Quantity int64 `json:"quantity,omitempty"`
	// UpdatedAt is when the order last changed, so that a workflow can
	// tell the newer of two reports about it.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// TriggeredAt is when a stop order's trigger was reached; zero before.
	TriggeredAt time.Time `json:"triggered_at,omitzero"`
}

// orderEvent is the outbox event about an order.
func orderEvent(o domain.Order) OrderEvent {
	return OrderEvent{OrderID: o.ID, UserID: o.UserID, StockCode: o.StockCode, Side: o.Side, TimeInForce: o.TimeInForce, ExpiresAt: o.ExpiresAt, Status: o.Status, FilledQuantity: o.FilledQuantity, Quantity: o.Quantity, UpdatedAt: o.UpdatedAt, TriggeredAt: o.TriggeredAt}
}

// Orders places, reads, cancels and expires orders, and fills the resting
// ones that trades cross.
type Orders struct{ *core }

// PlaceResult is a placed order and whether this call created it (false
// when client_order_id matched an earlier order).
type PlaceResult struct {
	Order   domain.Order
	Created bool
}

// Place validates and places an order. A MARKET, IOC or FOK order
// executes at once against the quote (see takeQuote). A DAY or GTC LIMIT
// order that reaches the quote while the market is open (a buy limited at
// or above the ask, a sell at or below the bid) takes it up to its limit
// and rests for the rest (see takeThenRest); any other LIMIT or stop order
// reserves cash (buy) or shares (sell) and rests.
func (s *Orders) Place(ctx context.Context, t Target, req domain.OrderRequest) (PlaceResult, error) {
	userID := t.UserID
	req.Normalize()
	if err := req.ValidateShape(); err != nil {
		return PlaceResult{}, err
	}
	if !domain.ValidStockCode(req.StockCode) {
		return PlaceResult{}, domain.FieldErrorf(domain.CodeInvalid, "stock_code", "%q is not a six-character KRX code such as 005930", req.StockCode)
	}
	if req.ClientOrderID != "" {
		if prev, err := s.store.GetOrderByClientID(ctx, userID, req.ClientOrderID); err == nil {
			return s.replay(ctx, prev, req)
		} else if !domain.IsCode(err, domain.CodeNotFound) {
			return PlaceResult{}, err
		}
	}
	if err := s.checkContestTrade(ctx, t, req.StockCode); err != nil {
		return PlaceResult{}, err
	}
	open := s.cfg.Calendar.IsOpen(s.clock.Now())

	var (
		o domain.Order
		// rejected is why a FOK order was recorded REJECTED.
		rejected error
	)
	// The transaction locks rows of the user's own: an engine that groups
	// transactions keeps it with the user's others.
	err := s.tx(ports.WithTxKey(ctx, userID), func(ctx context.Context, tx ports.Tx) error {
		rejected = nil
		now := s.clock.Now().UTC()
		// The account, the listing and the holding are read together.
		// The listing is read once, inside the transaction: its price is
		// the one a market order executes at, and its previous close the
		// base of the band a limit price is checked against.
		rows, err := tx.LockOrderRows(ctx, t.ID(), req.StockCode)
		acct, err := owned(t, rows.Account, err)
		if err != nil {
			return err
		}
		stock := rows.Stock
		if !rows.Listed || !stock.Active {
			return domain.FieldErrorf(domain.CodeInvalid, "stock_code", "unknown or inactive stock code %s; GET /api/v1/stocks lists what can be traded", req.StockCode)
		}
		if req.LimitPrice.Valid {
			if err := domain.ValidateLimitPrice(req.LimitPrice.Decimal, stock.PrevClose); err != nil {
				return err
			}
		}
		if req.StopPrice.Valid {
			if err := validateStopPrice(req.Side, req.StopPrice.Decimal, stock); err != nil {
				return err
			}
		}
		if (req.Type == domain.MarketOrder || req.TimeInForce.Immediate()) && !open {
			next := s.cfg.Calendar.SessionAt(now).NextOpen
			return domain.Errorf(domain.CodeMarketClosed, "the market is closed; it opens at %s (Asia/Seoul). An order that executes at once needs it open: place a DAY or GTC LIMIT order to rest until then", next.In(domain.Seoul).Format("2006-01-02 15:04"))
		}
		h := rows.Holding
		if !rows.Held {
			h = emptyHolding(acct.ID, req.StockCode, now)
		}
		o = domain.Order{
			ID: s.ids.NewID(), AccountID: acct.ID, UserID: userID, ClientOrderID: req.ClientOrderID, StockCode: req.StockCode,
			Side: req.Side, Type: req.Type, TimeInForce: req.TimeInForce, Quantity: req.Quantity,
			LimitPrice: req.LimitPrice, StopPrice: req.StopPrice, Status: domain.Pending, ReservedAmount: decimal.Zero,
			Commission: decimal.Zero, Tax: decimal.Zero, PriorityAt: now, CreatedAt: now, UpdatedAt: now,
		}
		if req.Type == domain.MarketOrder || req.TimeInForce.Immediate() {
			o, rejected, err = s.takeQuote(ctx, tx, acct, h, o, stock, now)
			return err
		}
		if o.TimeInForce == domain.Day {
			o.ExpiresAt = s.cfg.Calendar.DayOrderExpiry(now).UTC()
		}
		if req.Type == domain.LimitOrder && open {
			// A limit that reaches the quote takes it first, as far as
			// its limit allows; only what is left rests.
			q := s.quoteOf(o.Side, stock, domain.PriceBand(stock.PrevClose))
			if levels, rest := domain.WalkBook(o.Side, o.Quantity, q, o.LimitPrice.Decimal); len(levels) > 0 {
				o, err = s.takeThenRest(ctx, tx, acct, h, o, levels, rest, now)
				return err
			}
		}
		ch, err := o.Reserve(acct, h, reservePrice(o, stock), s.cfg.Fees)
		if err != nil {
			return err
		}
		o = ch.Order
		if err := tx.CreateOrder(ctx, o); err != nil {
			return err
		}
		if o.Side == domain.Buy {
			ch.Account.UpdatedAt = now
			if err := tx.SaveAccount(ctx, ch.Account); err != nil {
				return err
			}
		} else {
			ch.Holding.UpdatedAt = now
			if err := tx.SaveHolding(ctx, ch.Holding); err != nil {
				return err
			}
		}
		return s.enqueueOrder(ctx, tx, OutboxOrderStart, o)
	})
	if err != nil {
		if req.ClientOrderID != "" && errors.Is(err, domain.ErrDuplicate) {
			// A concurrent request with the same client_order_id won.
			prev, gerr := s.store.GetOrderByClientID(ctx, userID, req.ClientOrderID)
			if gerr != nil {
				return PlaceResult{}, gerr
			}
			return s.replay(ctx, prev, req)
		}
		return PlaceResult{}, err
	}
	if o.Open() && s.cfg.OrderWorkflows {
		s.kick()
	}
	if o.Executions == nil {
		o.Executions = []domain.Execution{}
	}
	return PlaceResult{Order: o, Created: true}, rejected
}

// replay answers a repeated client_order_id with the original order, or a
// conflict when the request differs from it.
func (s *Orders) replay(ctx context.Context, prev domain.Order, req domain.OrderRequest) (PlaceResult, error) {
	same := prev.StockCode == req.StockCode && prev.Side == req.Side && prev.Type == req.Type &&
		prev.Quantity == req.Quantity && prev.LimitPrice.Valid == req.LimitPrice.Valid &&
		(!prev.LimitPrice.Valid || prev.LimitPrice.Decimal.Equal(req.LimitPrice.Decimal)) &&
		prev.StopPrice.Valid == req.StopPrice.Valid && (!prev.StopPrice.Valid || prev.StopPrice.Decimal.Equal(req.StopPrice.Decimal)) &&
		prev.TimeInForce == req.TimeInForce
	if !same {
		return PlaceResult{}, domain.FieldErrorf(domain.CodeConflict, "client_order_id",
			"%q was already used for order %s (%s %s %d × %s); use a new client_order_id for a different order",
			req.ClientOrderID, prev.ID, prev.Side, prev.Type, prev.Quantity, prev.StockCode)
	}
	var err error
	prev.Executions, err = s.executionsOf(ctx, prev)
	return PlaceResult{Order: prev}, err
}

// lockHolding locks the user's holding of code, or returns an empty one
// (not yet stored) when there is none.
func (s *Orders) lockHolding(ctx context.Context, tx ports.Tx, accountID, code string, now time.Time) (domain.Holding, error) {
	h, err := tx.LockHolding(ctx, accountID, code)
	if domain.IsCode(err, domain.CodeNotFound) {
		return emptyHolding(accountID, code, now), nil
	}
	return h, err
}

// emptyHolding is an account's holding of none of a listing, not yet
// stored.
func emptyHolding(accountID, code string, now time.Time) domain.Holding {
	return domain.Holding{AccountID: accountID, StockCode: code, AveragePrice: decimal.Zero, CreatedAt: now}
}

func (s *Orders) enqueueOrder(ctx context.Context, tx ports.Tx, kind string, o domain.Order) error {
	if !s.cfg.OrderWorkflows {
		return nil
	}
	payload, err := json.Marshal(orderEvent(o))
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	return tx.Enqueue(ctx, ports.OutboxMessage{ID: s.ids.NewID(), Kind: kind, Key: o.ID, Payload: payload, NextTry: now, CreatedAt: now})
}

func (s *Orders) executionsOf(ctx context.Context, o domain.Order) ([]domain.Execution, error) {
	if o.FilledQuantity == 0 {
		return []domain.Execution{}, nil
	}
	return s.store.ListExecutions(ctx, []string{o.ID})
}

// Get returns one of the user's orders with its executions. Another
// user's order is reported as not found, so ids reveal nothing.
func (s *Orders) Get(ctx context.Context, userID, id string) (domain.Order, error) {
	o, err := s.store.GetOrder(ctx, id)
	if err == nil && o.UserID != userID {
		err = domain.ErrNotFound
	}
	if err != nil {
		if domain.IsCode(err, domain.CodeNotFound) {
			return domain.Order{}, domain.Errorf(domain.CodeNotFound, "no order %s", id)
		}
		return domain.Order{}, err
	}
	o.Executions, err = s.executionsOf(ctx, o)
	return o, err
}

// OrderQuery filters Orders.List.
type OrderQuery struct {
	Status    string
	StockCode string
	Side      string
	Cursor    string
	Limit     int
}

// List returns a page of the user's orders, newest first, with their
// executions, and the cursor of the next page ("" on the last).
func (s *Orders) List(ctx context.Context, t Target, q OrderQuery) ([]domain.Order, string, error) {
	if _, err := s.account(ctx, t); err != nil {
		return nil, "", err
	}
	f := ports.OrderFilter{AccountID: t.ID(), Status: domain.OrderStatus(q.Status), StockCode: q.StockCode, Side: domain.Side(q.Side), Before: q.Cursor, Limit: page(q.Limit, 50, 200)}
	switch f.Status {
	case "", domain.Pending, domain.PartiallyFilled, domain.Filled, domain.Cancelled, domain.Expired, domain.Rejected:
	default:
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "status", "must be one of PENDING, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED")
	}
	switch f.Side {
	case "", domain.Buy, domain.Sell:
	default:
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "side", "must be BUY or SELL")
	}
	limit := f.Limit
	f.Limit++
	orders, err := s.store.ListOrders(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(orders) > limit {
		orders = orders[:limit]
		next = orders[limit-1].ID
	}
	ids := make([]string, 0, len(orders))
	for _, o := range orders {
		if o.FilledQuantity > 0 {
			ids = append(ids, o.ID)
		}
	}
	byOrder := map[string][]domain.Execution{}
	if len(ids) > 0 {
		exs, err := s.store.ListExecutions(ctx, ids)
		if err != nil {
			return nil, "", err
		}
		for _, e := range exs {
			byOrder[e.OrderID] = append(byOrder[e.OrderID], e)
		}
	}
	for i := range orders {
		orders[i].Executions = byOrder[orders[i].ID]
		if orders[i].Executions == nil {
			orders[i].Executions = []domain.Execution{}
		}
	}
	return orders, next, nil
}

// Cancel cancels one of the user's resting orders. When a workflow
// engine owns the order, the cancel goes through it so that the caller
// learns at once whether it beat a fill; otherwise (or when the engine
// cannot take it) the database decides.
func (s *Orders) Cancel(ctx context.Context, userID, id string) (domain.Order, error) {
	o, err := s.Get(ctx, userID, id)
	if err != nil {
		return domain.Order{}, err
	}
	if o.Status.Final() {
		return domain.Order{}, alreadyFinal(o)
	}
	done, fellBack, err := s.throughWorkflow(ctx, userID, id, "cancelling", func(ctx context.Context) error { return s.workflows.CancelOrder(ctx, id) })
	if done.ID != "" || err != nil {
		return done, err
	}
	res, err := s.closeOrder(ctx, id, domain.Cancelled, "cancelled by user", true)
	if err != nil {
		// An update that timed out may still have run: the workflow
		// cancelled the order and only its answer was lost. The cancel
		// this request asked for is then done, not a conflict.
		if fellBack && domain.IsCode(err, domain.CodeConflict) {
			if o, gerr := s.Get(ctx, userID, id); gerr == nil && o.Status == domain.Cancelled {
				return o, nil
			}
		}
		return domain.Order{}, err
	}
	res.Executions, err = s.executionsOf(ctx, res)
	return res, err
}

// throughWorkflow has the order's workflow carry out call (a cancel or
// modify update) when a workflow engine owns orders, so that the change is
// ordered with the workflow's own. It answers the order as it stands after
// the workflow did it (done has an id then), or the workflow's refusal; or
// neither, when no engine owns orders or the engine was away, and then the
// database must decide (fellBack says it was away: an update that timed out may still
// have run).
func (s *Orders) throughWorkflow(ctx context.Context, userID, id, doing string, call func(context.Context) error) (done domain.Order, fellBack bool, err error) {
	if s.workflows == nil || !s.cfg.OrderWorkflows {
		return domain.Order{}, false, nil
	}
	err = call(ctx)
	if errors.Is(err, ports.ErrWorkflowUnavailable) {
		s.log.Warn("workflow engine unavailable; "+doing+" in the database", "order_id", id, "error", err)
		return domain.Order{}, true, nil
	}
	if err != nil {
		return domain.Order{}, false, err
	}
	done, err = s.Get(ctx, userID, id)
	return done, false, err
}

// lockResting takes, in the global lock order, what a change of one
// resting order touches: its account, its holding when it sells, then the
// order itself, as it stands now.
func (s *Orders) lockResting(ctx context.Context, tx ports.Tx, peek domain.Order, now time.Time) (domain.Account, domain.Holding, domain.Order, error) {
	acct, err := tx.LockAccount(ctx, peek.AccountID)
	if err != nil {
		return domain.Account{}, domain.Holding{}, domain.Order{}, err
	}
	var h domain.Holding
	if peek.Side == domain.Sell {
		// A fill may have sold the holding out and deleted it since the
		// peek; the order is then final, which LockOrder shows.
		if h, err = s.lockHolding(ctx, tx, peek.AccountID, peek.StockCode, now); err != nil {
			return domain.Account{}, domain.Holding{}, domain.Order{}, err
		}
	}
	o, err := tx.LockOrder(ctx, peek.ID)
	return acct, h, o, err
}

// saveReservation saves the side of a change that holds an order's
// reservation: the account's cash for a buy, the holding's shares for a
// sell.
func saveReservation(ctx context.Context, tx ports.Tx, side domain.Side, ch domain.Change) error {
	if side == domain.Buy {
		return tx.SaveAccount(ctx, ch.Account)
	}
	return tx.SaveHolding(ctx, ch.Holding)
}

// closeReason is the reason a closed order keeps: for a partially filled
// one it says how much had filled, which stays with the order.
func closeReason(reason string, o domain.Order) string {
	if o.FilledQuantity == 0 {
		return reason
	}
	return fmt.Sprintf("%s after %d of %d shares filled", reason, o.FilledQuantity, o.Quantity)
}

func alreadyFinal(o domain.Order) error {
	return domain.Errorf(domain.CodeConflict, "order %s is already %s and can no longer be cancelled", o.ID, o.Status)
}

// Close moves a resting order to CANCELLED or EXPIRED and releases its
// reservation. It is idempotent in effect: when the order is already final
// it returns a conflict naming the status that won, and changes nothing.
// Workflow activities call it; so does the fallback path of CancelOrder.
func (s *Orders) Close(ctx context.Context, id string, status domain.OrderStatus, reason string) (domain.Order, error) {
	return s.closeOrder(ctx, id, status, reason, false)
}

// closeOrder closes an order; notify tells the order's workflow through
// the outbox, for closes decided outside it.
func (s *Orders) closeOrder(ctx context.Context, id string, status domain.OrderStatus, reason string, notify bool) (domain.Order, error) {
	if status != domain.Cancelled && status != domain.Expired {
		return domain.Order{}, fmt.Errorf("CloseOrder: bad target status %s", status)
	}
	peek, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return domain.Order{}, err
	}
	if peek.Status.Final() {
		return peek, alreadyFinal(peek)
	}
	var o domain.Order
	closedHere := false
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		acct, h, cur, err := s.lockResting(ctx, tx, peek, now)
		o = cur
		if err != nil {
			return err
		}
		if o.Status.Final() {
			return nil
		}
		ch, err := o.Close(acct, h, status, closeReason(reason, o), now)
		if err != nil {
			return err
		}
		ok, err := tx.UpdateOrder(ctx, ch.Order, o.Status)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.CodeConflict, "order %s changed while being closed", o.ID)
		}
		if err := saveReservation(ctx, tx, o.Side, ch); err != nil {
			return err
		}
		o, closedHere = ch.Order, true
		if notify {
			return s.enqueueOrder(ctx, tx, OutboxOrderClosed, o)
		}
		return nil
	})
	if err != nil {
		if domain.IsCode(err, domain.CodeConflict) && o.ID != "" {
			// Not closed (an expiry before its time): the row as it is.
			return o, err
		}
		return domain.Order{}, err
	}
	if !closedHere {
		return o, alreadyFinal(o)
	}
	if notify && s.cfg.OrderWorkflows {
		s.kick()
	}
	return o, nil
}

// ExpireDue expires every DAY order whose expiry has passed. It is the
// in-process replacement for order workflows' timers when no workflow
// engine is configured.
func (s *Orders) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.ListExpiringOrders(ctx, s.clock.Now().UTC(), 100)
		if err != nil || len(due) == 0 {
			return n, err
		}
		progressed := false
		for _, o := range due {
			if _, err := s.closeOrder(ctx, o.ID, domain.Expired, "expired at the close of its trading day", true); err == nil {
				n++
				progressed = true
			} else if !domain.IsCode(err, domain.CodeConflict) {
				return n, err
			}
		}
		if !progressed {
			return n, nil
		}
	}
}
