package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The fill model. An order that executes on arrival takes the quote: a buy
// pays the best ask, a sell receives the best bid (the last price one tick
// away when the feed gives no quote). The quote holds depth shares; each
// further depth shares cost one more tick, and no share trades past the
// day's band. A resting limit order fills only against traded volume: a
// trade of V shares fills the orders it crosses, best price first, then
// oldest first, up to V × participation shares, each at its own limit
// price (the session's first trade fills the orders it crosses at its own
// price, as the opening auction would).

// DefaultDepth is the shares a quote holds when the feed does not say.
const DefaultDepth = 1000

// Level is one price an order executes at and the shares it takes there.
type Level struct {
	Price    decimal.Decimal
	Quantity int64
}

// Quote is the best price on the side an arriving order takes, and the
// shares it holds.
type Quote struct {
	Price decimal.Decimal
	Depth int64
}

// QuoteFor is the quote a side takes from a listing's latest trade: the
// ask for a buy, the bid for a sell, or the last price one tick away when
// the trade carried no quote. depth is used when the trade shows none.
func QuoteFor(side Side, last Trade, band Band, depth int64) Quote {
	q := Quote{Depth: depth}
	if side == Buy {
		q.Price, q.Depth = last.Ask, orDepth(last.AskSize, depth)
		if !q.Price.IsPositive() {
			q.Price = band.Clamp(NextTickUp(last.Price))
		}
	} else {
		q.Price, q.Depth = last.Bid, orDepth(last.BidSize, depth)
		if !q.Price.IsPositive() {
			q.Price = band.Clamp(NextTickDown(last.Price))
		}
	}
	return q
}

func orDepth(shown, def int64) int64 {
	if shown > 0 {
		return shown
	}
	if def > 0 {
		return def
	}
	return DefaultDepth
}

// WalkBook lays qty shares of side over the book from the quote: depth
// shares at each price, one tick worse at a time, as far as limit (a buy
// never pays more, a sell never receives less). It returns the levels that
// fit and the shares that did not.
func WalkBook(side Side, qty int64, q Quote, limit decimal.Decimal) ([]Level, int64) {
	var levels []Level
	p := q.Price
	depth := max(q.Depth, 1)
	for qty > 0 {
		if side == Buy && p.GreaterThan(limit) || side == Sell && p.LessThan(limit) {
			break
		}
		n := min(qty, depth)
		levels = append(levels, Level{Price: p, Quantity: n})
		qty -= n
		next := NextTickUp(p)
		if side == Sell {
			next = NextTickDown(p)
		}
		if next.Equal(p) {
			break
		}
		p = next
	}
	return levels, qty
}

// MarketLevels is where a market order of qty shares executes: the whole
// quantity within the band, or a rejection that names the largest size
// that fits.
func MarketLevels(side Side, qty int64, q Quote, band Band) ([]Level, error) {
	edge := band.Upper
	if side == Sell {
		edge = band.Lower
	}
	levels, left := WalkBook(side, qty, q, edge)
	if left > 0 {
		return nil, FieldErrorf(CodeInvalid, "quantity",
			"%d shares would trade past today's price band (%s–%s): the book from %s holds %d shares per tick, so at most %d shares fit in one order now",
			qty, band.Lower, band.Upper, q.Price, max(q.Depth, 1), qty-left)
	}
	return levels, nil
}

// LevelsCost is what buying at the levels costs with commission, each
// level being its own execution.
func LevelsCost(levels []Level, fees Fees) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range levels {
		sum = sum.Add(fees.BuyReservation(l.Quantity, l.Price))
	}
	return sum
}

// Allocation is a share of a trade's volume given to one resting order.
type Allocation struct {
	OrderID  string
	Quantity int64
	Price    decimal.Decimal
}

// Allocate shares out a trade among resting limit orders: those it crosses
// (a buy limited at or above its price, a sell at or below), best limit
// first, then oldest, up to volume × participation shares on each side,
// each filling at its own limit price, or at the trade's price when the
// trade opens the session. Buys and sells share out the volume separately:
// the trade had a buyer and a seller, and each side of the virtual book
// trades alongside its own.
func Allocate(t Trade, orders []Order, volume int64, participation decimal.Decimal, opensSession bool) []Allocation {
	budget := decimal.NewFromInt(volume).Mul(participation).Floor().IntPart()
	if budget <= 0 {
		return nil
	}
	var out []Allocation
	for _, side := range []Side{Buy, Sell} {
		var cands []Order
		for _, o := range orders {
			if o.Side == side && o.Open() && o.LimitPrice.Valid && Crosses(side, o.LimitPrice.Decimal, t.Price) && o.Remaining() > 0 {
				cands = append(cands, o)
			}
		}
		slices.SortStableFunc(cands, func(a, b Order) int { return priority(side, a, b) })
		avail := budget
		for _, o := range cands {
			if avail == 0 {
				break
			}
			n := min(avail, o.Remaining())
			price := o.LimitPrice.Decimal
			if opensSession {
				price = t.Price
			}
			out = append(out, Allocation{OrderID: o.ID, Quantity: n, Price: price})
			avail -= n
		}
	}
	return out
}

// priority orders resting orders of one side: the better limit first (the
// higher bid, the lower offer), then the earlier place in the queue (its
// PriorityAt, which a modify other than a size reduction moves; the
// creation for an order that has none), as the book's index orders them.
func priority(side Side, a, b Order) int {
	if c := a.LimitPrice.Decimal.Cmp(b.LimitPrice.Decimal); c != 0 {
		if side == Buy {
			return -c
		}
		return c
	}
	if c := a.queuedAt().Compare(b.queuedAt()); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// queuedAt is when the order took its place in the queue at its price.
func (o Order) queuedAt() time.Time {
	if o.PriorityAt.IsZero() {
		return o.CreatedAt
	}
	return o.PriorityAt
}
