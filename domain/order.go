package domain

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Side of an order.
type Side string

// Order sides.
const (
	Buy  Side = "BUY"
	Sell Side = "SELL"
)

// OrderType says how an order is priced.
type OrderType string

// Order types.
const (
	MarketOrder OrderType = "MARKET"
	LimitOrder  OrderType = "LIMIT"
	// StopOrder rests until a trade reaches its stop price (a buy at or
	// above it, a sell at or below), then executes as a MARKET order.
	StopOrder OrderType = "STOP"
	// StopLimitOrder rests until its stop price is reached, then rests on
	// as a LIMIT order at its limit price.
	StopLimitOrder OrderType = "STOP_LIMIT"
)

// Stop reports whether the order waits for a trigger.
func (t OrderType) Stop() bool { return t == StopOrder || t == StopLimitOrder }

// TimeInForce says how long an order lives.
type TimeInForce string

// Times in force.
const (
	// Day orders expire at the close of their trading day.
	Day TimeInForce = "DAY"
	// GTC orders rest until filled or cancelled.
	GTC TimeInForce = "GTC"
	// IOC (immediate or cancel) fills what the quote allows at once and
	// cancels the rest.
	IOC TimeInForce = "IOC"
	// FOK (fill or kill) fills all at once or nothing: it is REJECTED
	// when the whole quantity cannot trade now.
	FOK TimeInForce = "FOK"
)

// Immediate reports whether the time in force allows no resting.
func (t TimeInForce) Immediate() bool { return t == IOC || t == FOK }

// OrderStatus is where an order is in its lifecycle.
type OrderStatus string

// Order statuses. PENDING and PARTIALLY_FILLED are open; the others are
// final.
const (
	Pending         OrderStatus = "PENDING"
	PartiallyFilled OrderStatus = "PARTIALLY_FILLED"
	Filled          OrderStatus = "FILLED"
	Cancelled       OrderStatus = "CANCELLED"
	Expired         OrderStatus = "EXPIRED"
	Rejected        OrderStatus = "REJECTED"
)

// Final reports whether no further transition is possible.
func (s OrderStatus) Final() bool { return s != Pending && s != PartiallyFilled }

// MaxOrderQuantity bounds the shares in one order. The largest KRX listings
// trade a few tens of millions of shares a day; a single virtual order of
// more than a million shares is a typo, not a trade.
const MaxOrderQuantity = 1_000_000

// MaxClientOrderIDLen bounds client_order_id.
const MaxClientOrderIDLen = 64

// Order is a request to buy or sell shares and everything that happened to
// it.
type Order struct {
	ID            string
	AccountID     string
	UserID        string
	ClientOrderID string // "" when the client sent none
	StockCode     string
	Side          Side
	Type          OrderType
	TimeInForce   TimeInForce
	Quantity      int64
	LimitPrice    decimal.NullDecimal // set for LIMIT and STOP_LIMIT orders
	// StopPrice is the trigger of STOP and STOP_LIMIT orders.
	StopPrice decimal.NullDecimal
	// TriggeredAt is when a stop order's trigger was reached; zero before.
	TriggeredAt      time.Time
	Status           OrderStatus
	FilledQuantity   int64
	AverageFillPrice decimal.NullDecimal
	// ReservedAmount is the cash a BUY holds while it rests: quantity ×
	// limit price + commission. Zero once the order is final.
	ReservedAmount decimal.Decimal
	Commission     decimal.Decimal
	Tax            decimal.Decimal
	// ExpiresAt is when a DAY order expires; zero for GTC and market orders.
	ExpiresAt time.Time
	// Reason explains a REJECTED, CANCELLED or EXPIRED status.
	Reason string
	// PriorityAt is the order's place in the queue at its price: its
	// creation, or its last modification that was more than a size
	// reduction.
	PriorityAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Executions []Execution
}

// Open reports whether the order can still fill.
func (o Order) Open() bool { return !o.Status.Final() }

// Execution is one fill of an order.
type Execution struct {
	ID         string
	OrderID    string
	AccountID  string
	UserID     string
	StockCode  string
	Side       Side
	Quantity   int64
	Price      decimal.Decimal
	Amount     decimal.Decimal // quantity × price
	Commission decimal.Decimal
	Tax        decimal.Decimal
	// RealizedPnL is set on sells: (price − average price) × quantity −
	// commission − tax.
	RealizedPnL decimal.Decimal
	ExecutedAt  time.Time
}

// OrderRequest is what a client asks for, before validation.
type OrderRequest struct {
	ClientOrderID string
	StockCode     string
	Side          Side
	Type          OrderType
	TimeInForce   TimeInForce
	Quantity      int64
	LimitPrice    decimal.NullDecimal
	StopPrice     decimal.NullDecimal
}

// Normalize fills defaults: resting order types are DAY unless told
// otherwise; a MARKET order without a time in force fills in full or is
// refused.
func (r *OrderRequest) Normalize() {
	r.Side = Side(strings.ToUpper(string(r.Side)))
	r.Type = OrderType(strings.ToUpper(string(r.Type)))
	r.TimeInForce = TimeInForce(strings.ToUpper(string(r.TimeInForce)))
	r.ClientOrderID = strings.TrimSpace(r.ClientOrderID)
	if r.Type != MarketOrder && r.TimeInForce == "" {
		r.TimeInForce = Day
	}
}

// ValidateShape checks everything about a request that does not depend on
// the listing: side, type, quantity, time in force, client order id and
// the form of the limit price.
func (r OrderRequest) ValidateShape() error {
	switch r.Side {
	case Buy, Sell:
	default:
		return FieldErrorf(CodeInvalid, "side", "must be BUY or SELL, got %q", r.Side)
	}
	if err := ValidateQuantity(r.Quantity); err != nil {
		return err
	}
	if len(r.ClientOrderID) > MaxClientOrderIDLen {
		return FieldErrorf(CodeInvalid, "client_order_id", "must be at most %d characters", MaxClientOrderIDLen)
	}
	switch r.Type {
	case MarketOrder, LimitOrder, StopOrder, StopLimitOrder:
	default:
		return FieldErrorf(CodeInvalid, "type", "must be MARKET, LIMIT, STOP or STOP_LIMIT, got %q", r.Type)
	}
	needsLimit := r.Type == LimitOrder || r.Type == StopLimitOrder
	switch {
	case needsLimit && !r.LimitPrice.Valid:
		return FieldErrorf(CodeInvalid, "limit_price", "is required for %s orders", r.Type)
	case !needsLimit && r.LimitPrice.Valid:
		if r.Type == MarketOrder {
			return FieldErrorf(CodeInvalid, "limit_price", "must be omitted for MARKET orders; use type LIMIT to set a price")
		}
		return FieldErrorf(CodeInvalid, "limit_price", "must be omitted for STOP orders, which execute at the market once triggered; use STOP_LIMIT to set a price")
	case r.Type.Stop() && !r.StopPrice.Valid:
		return FieldErrorf(CodeInvalid, "stop_price", "is required for %s orders: the price whose trade triggers them", r.Type)
	case !r.Type.Stop() && r.StopPrice.Valid:
		return FieldErrorf(CodeInvalid, "stop_price", "is only for STOP and STOP_LIMIT orders, not %s", r.Type)
	}
	for _, p := range []struct {
		field string
		v     decimal.NullDecimal
	}{{"limit_price", r.LimitPrice}, {"stop_price", r.StopPrice}} {
		if !p.v.Valid {
			continue
		}
		if !p.v.Decimal.IsPositive() {
			return FieldErrorf(CodeInvalid, p.field, "must be a positive price in won, got %s", p.v.Decimal)
		}
		if !p.v.Decimal.Equal(p.v.Decimal.Truncate(0)) {
			return FieldErrorf(CodeInvalid, p.field, "must be a whole number of won on the tick grid, got %s (nearest: %s or %s)", p.v.Decimal, FloorTick(p.v.Decimal), CeilTick(p.v.Decimal))
		}
	}
	switch r.Type {
	case MarketOrder:
		switch r.TimeInForce {
		case "", IOC, FOK:
		default:
			return FieldErrorf(CodeInvalid, "time_in_force", "a MARKET order executes at once: omit time_in_force, or send IOC or FOK; got %q", r.TimeInForce)
		}
	case LimitOrder:
		switch r.TimeInForce {
		case Day, GTC, IOC, FOK:
		default:
			return FieldErrorf(CodeInvalid, "time_in_force", "must be DAY, GTC, IOC or FOK, got %q", r.TimeInForce)
		}
	default:
		switch r.TimeInForce {
		case Day, GTC:
		default:
			return FieldErrorf(CodeInvalid, "time_in_force", "%s orders wait for their trigger: DAY or GTC, got %q", r.Type, r.TimeInForce)
		}
	}
	return nil
}

// ValidateQuantity checks a share count.
func ValidateQuantity(q int64) error {
	if q <= 0 {
		return FieldErrorf(CodeInvalid, "quantity", "must be a positive whole number of shares, got %d", q)
	}
	if q > MaxOrderQuantity {
		return FieldErrorf(CodeInvalid, "quantity", "must be at most %d shares, got %d", MaxOrderQuantity, q)
	}
	return nil
}

// ValidateLimitPrice checks a limit price against the tick grid and the
// daily band around base (the previous close). Its message names the
// nearest valid prices.
func ValidateLimitPrice(price, base decimal.Decimal) error {
	band := PriceBand(base)
	if !band.Contains(price) {
		return FieldErrorf(CodeInvalid, "limit_price",
			"%s is outside today's price band %s–%s (±30%% of the previous close %s); the nearest valid price is %s",
			price, band.Lower, band.Upper, base, band.Clamp(price))
	}
	if !OnTickGrid(price) {
		below, okB, above, okA := NearestValidPrices(price, base)
		switch {
		case okB && okA:
			return FieldErrorf(CodeInvalid, "limit_price", "%s is not on the tick grid (tick %s won at this price); the nearest valid prices are %s and %s", price, TickSize(price), below, above)
		case okB:
			return FieldErrorf(CodeInvalid, "limit_price", "%s is not on the tick grid; the nearest valid price is %s", price, below)
		default:
			return FieldErrorf(CodeInvalid, "limit_price", "%s is not on the tick grid; the nearest valid price is %s", price, above)
		}
	}
	return nil
}

// Crosses reports whether a market price reaches a resting limit order: a
// buy fills at or below its limit, a sell at or above.
func Crosses(side Side, limit, marketPrice decimal.Decimal) bool {
	if side == Buy {
		return !marketPrice.GreaterThan(limit)
	}
	return !marketPrice.LessThan(limit)
}
