package servicetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// The workload drives the real use cases over the store under test, the
// way the API and the market feed do, so that what the race tests check
// one method at a time is also checked end to end: after thousands of
// concurrent orders, fills, cancels and cash movements every invariant of
// `stocking audit` must hold.

const (
	// workloadSeed fixes every worker's random stream, so that a failure
	// comes back with the same mix of operations (the interleaving still
	// varies from run to run).
	workloadSeed    = 20260302
	workloadUsers   = 20
	workloadWorkers = 8
	// workloadOps is each worker's share; 8 × 260 = 2,080 operations.
	workloadOps = 260
	// Listings trade around 70,000 won (tick 100); their previous close
	// stays there, so every price in [priceLow, priceHigh] is in the band.
	workloadBase = 70_000
	priceLow     = 60_000
	priceHigh    = 80_000
	priceTick    = 100
)

var workloadCodes = []string{"005930", "000660", "035420"}

// raceCode is the listing of the fill-versus-cancel race, apart from the
// random workload's so that its ticks cross no one else's orders.
const raceCode = "000270"

// fakeHasher stands in for bcrypt: the workload creates users through the
// service, which hashes their passwords, and a real slow hash would only
// cost time.
type fakeHasher struct{}

func (fakeHasher) Hash(pw string) (string, error) { return "fake$" + pw, nil }

func (fakeHasher) Compare(hash, pw string) error {
	if hash != "fake$"+pw {
		return errors.New("password mismatch")
	}
	return nil
}

// wallClock is the real clock: the store's transactions run in real time,
// and DAY orders need a real expiry.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// uuidV7 makes time-ordered ids like the production generator.
type uuidV7 struct{}

func (uuidV7) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// newService builds a Service over the store under test with the market
// always open, the way `stocking dev` runs.
func (f *fixture) newService() *service.Service {
	f.Helper()
	svc, err := service.New(service.Deps{
		Store: f.s, Clock: wallClock{}, IDs: uuidV7{}, Hasher: fakeHasher{},
	}, service.Config{
		InitialCash: decimal.NewFromInt(10_000_000),
		Calendar:    &domain.Calendar{Always: true},
	})
	f.must(err)
	return svc
}

// serviceUsers signs up n users through the service.
func (f *fixture) serviceUsers(svc *service.Service, prefix string, n int) []string {
	f.Helper()
	ids := make([]string, n)
	for i := range ids {
		u, err := svc.Users.Create(f.ctx, service.SignupInput{
			Email:    fmt.Sprintf("%s%d@workload.example.com", prefix, i),
			Password: "workload-password",
			Nickname: fmt.Sprintf("%s%d", prefix, i),
		}, domain.RoleUser)
		f.must(err)
		ids[i] = u.ID
	}
	return ids
}

// serviceStocks lists the workload's listings at the base price.
func (f *fixture) serviceStocks(svc *service.Service) {
	f.Helper()
	for _, code := range append([]string{raceCode}, workloadCodes...) {
		_, err := svc.Market.Upsert(f.ctx, service.StockInput{
			Code: code, Name: "종목" + code, NameEn: "Stock " + code, Market: "KOSPI",
			Price: decimal.NewNullDecimal(decimal.NewFromInt(workloadBase)),
		})
		f.must(err)
	}
}

func testWorkload(f *fixture) {
	svc := f.newService()
	f.serviceStocks(svc)
	f.Run("Random", func(t *testing.T) { f.sub(t).randomWorkload(svc) })
	f.Run("FillRacesCancel", func(t *testing.T) { f.sub(t).serviceFillCancel(svc) })
}

// sub is the fixture seen from a subtest: the same store and clock,
// failures reported to t.
func (f *fixture) sub(t *testing.T) *fixture {
	g := *f
	g.T = t
	g.ctx = t.Context()
	return &g
}

// workloadStats counts what the workload did, by operation and outcome.
type workloadStats struct {
	mu     sync.Mutex
	counts map[string]int
}

func (s *workloadStats) add(op string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = string(domain.ErrorCode(err))
	}
	s.mu.Lock()
	s.counts[op+"/"+outcome]++
	s.mu.Unlock()
}

func (s *workloadStats) get(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// expected lists the failures a trader meets in real life and the
// workload therefore tolerates: not enough cash or shares, and conflicts
// (cancelling an order that a tick filled a moment before).
func expected(err error) bool {
	switch domain.ErrorCode(err) {
	case "", domain.CodeInsufficientFunds, domain.CodeInsufficientStock, domain.CodeConflict:
		return true
	}
	return false
}

// randomWorkload runs workloadWorkers goroutines, each with its own
// fixed-seed random stream, over workloadUsers shared users: market and
// limit orders, cancels, deposits, withdrawals, price ticks that fill
// resting orders, client_order_id retries (some of them raced), IOC and
// FOK orders, STOP and STOP_LIMIT orders, and quoted trades that trigger
// them. Then it checks that stops of both kinds triggered, the audit and
// every order's state.
func (f *fixture) randomWorkload(svc *service.Service) {
	users := f.serviceUsers(svc, "trader", workloadUsers)
	stats := &workloadStats{counts: map[string]int{}}
	var unexpected atomic.Int32
	report := func(op string, err error) {
		stats.add(op, err)
		if !expected(err) && unexpected.Add(1) <= 10 {
			f.Errorf("%s failed: %v", op, err)
		}
	}

	var wg sync.WaitGroup
	for w := range workloadWorkers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(workloadSeed, uint64(w)))
			for n := range workloadOps {
				if f.ctx.Err() != nil {
					return
				}
				f.workloadOp(svc, r, users, fmt.Sprintf("w%d-%d", w, n), report)
			}
		})
	}
	wg.Wait()
	f.Logf("workload outcomes: %v", stats.counts)

	// The workload must have exercised the paths it exists for.
	for _, key := range []string{"market-buy/ok", "market-sell/ok", "limit-buy/ok", "limit-sell/ok", "cancel/ok", "deposit/ok", "withdraw/ok", "tick/ok", "retry/ok",
		"ioc/ok", "fok/ok", "stop-buy/ok", "stop-sell/ok"} {
		if stats.get(key) == 0 {
			f.Errorf("no %s in the workload: %v", key, stats.counts)
		}
	}
	if stats.get("tick-fills/ok") == 0 {
		f.Errorf("no price tick filled a resting order: %v", stats.counts)
	}
	triggered := map[domain.OrderType]int{}
	for _, u := range users {
		all, err := f.s.ListOrders(f.ctx, ports.OrderFilter{AccountID: u, Limit: 10000})
		f.must(err)
		for _, o := range all {
			if !o.TriggeredAt.IsZero() {
				triggered[o.Type]++
			}
		}
	}
	if triggered[domain.StopOrder] == 0 || triggered[domain.StopLimitOrder] == 0 {
		f.Errorf("stop orders triggered by type: %v; want both kinds", triggered)
	}
	f.checkBooks(svc, users)
}

// workloadOp performs one random operation for a random user.
func (f *fixture) workloadOp(svc *service.Service, r *rand.Rand, users []string, tag string, report func(string, error)) {
	ctx := f.ctx
	user := users[r.IntN(len(users))]
	code := workloadCodes[r.IntN(len(workloadCodes))]
	price := func() decimal.Decimal {
		st, err := f.s.GetStock(ctx, code)
		if err != nil {
			report("get-stock", err)
			return decimal.NewFromInt(workloadBase)
		}
		return st.Price
	}
	limitAway := func(side domain.Side) decimal.NullDecimal {
		p := price().IntPart()
		steps := int64(1 + r.IntN(10))
		if side == domain.Buy {
			p = max(priceLow, p-steps*priceTick)
		} else {
			p = min(priceHigh, p+steps*priceTick)
		}
		return decimal.NewNullDecimal(decimal.NewFromInt(p))
	}
	tif := domain.Day
	if r.IntN(2) == 0 {
		tif = domain.GTC
	}
	qty := int64(1 + r.IntN(5))

	switch k := r.IntN(130); {
	case k < 22:
		_, err := svc.Orders.Place(ctx, service.Personal(user), domain.OrderRequest{StockCode: code, Side: domain.Buy, Type: domain.MarketOrder, Quantity: qty})
		report("market-buy", err)
	case k < 36:
		_, err := svc.Orders.Place(ctx, service.Personal(user), domain.OrderRequest{StockCode: code, Side: domain.Sell, Type: domain.MarketOrder, Quantity: qty})
		report("market-sell", err)
	case k < 50:
		_, err := svc.Orders.Place(ctx, service.Personal(user), domain.OrderRequest{StockCode: code, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: tif, Quantity: qty, LimitPrice: limitAway(domain.Buy)})
		report("limit-buy", err)
	case k < 60:
		_, err := svc.Orders.Place(ctx, service.Personal(user), domain.OrderRequest{StockCode: code, Side: domain.Sell, Type: domain.LimitOrder, TimeInForce: tif, Quantity: qty, LimitPrice: limitAway(domain.Sell)})
		report("limit-sell", err)
	case k < 70:
		open, err := f.s.ListOpenOrders(ctx, user)
		if err != nil || len(open) == 0 {
			report("cancel-none", err)
			return
		}
		_, err = svc.Orders.Cancel(ctx, user, open[r.IntN(len(open))].ID)
		report("cancel", err)
	case k < 75:
		_, err := svc.Accounts.Deposit(ctx, service.Personal(user), decimal.NewFromInt(int64(10_000*(1+r.IntN(100)))))
		report("deposit", err)
	case k < 80:
		_, err := svc.Accounts.Withdraw(ctx, service.Personal(user), decimal.NewFromInt(int64(10_000*(1+r.IntN(100)))))
		report("withdraw", err)
	case k < 92:
		// A tick moves the price a few ticks either way; one that moves
		// down crosses resting buys, one that moves up resting sells.
		p := price().IntPart() + int64(r.IntN(17)-8)*priceTick
		p = min(priceHigh, max(priceLow, p))
		n, err := svc.Market.Tick(ctx, code, decimal.NewFromInt(p))
		report("tick", err)
		if err == nil && n > 0 {
			report("tick-fills", nil)
		}
	case k < 100:
		f.retryOrder(svc, r, user, code, tag, limitAway, report)
	case k < 110:
		f.immediateOrder(svc, r, user, code, price(), qty, report)
	case k < 125:
		f.stopOrder(svc, r, user, code, price(), tif, qty, report)
	default:
		// A tick with a quote: a STOP it triggers executes at its ask or
		// bid, each MARKET_DEPTH shares a tick worse.
		p := price().IntPart() + int64(r.IntN(17)-8)*priceTick
		p = min(priceHigh, max(priceLow, p))
		vol := int64(r.IntN(20))
		_, err := svc.Market.Trade(ctx, service.TradeInput{Code: code, Price: decimal.NewFromInt(p), Volume: &vol,
			Bid: decimal.NewNullDecimal(decimal.NewFromInt(p - priceTick)), Ask: decimal.NewNullDecimal(decimal.NewFromInt(p + priceTick))})
		report("tick", err)
	}
}

// immediateOrder places an IOC or FOK order, MARKET or LIMIT (at a limit
// a few ticks through the last price, so that it crosses the quote or
// just misses it), for either side.
func (f *fixture) immediateOrder(svc *service.Service, r *rand.Rand, user, code string, last decimal.Decimal, qty int64, report func(string, error)) {
	side := domain.Buy
	if r.IntN(2) == 0 {
		side = domain.Sell
	}
	tif, op := domain.IOC, "ioc"
	if r.IntN(2) == 0 {
		tif, op = domain.FOK, "fok"
	}
	req := domain.OrderRequest{StockCode: code, Side: side, Type: domain.MarketOrder, TimeInForce: tif, Quantity: qty}
	if r.IntN(2) == 0 {
		steps := int64(r.IntN(4))
		p := last.IntPart() + steps*priceTick
		if side == domain.Sell {
			p = last.IntPart() - steps*priceTick
		}
		req.Type, req.LimitPrice = domain.LimitOrder, decimal.NewNullDecimal(decimal.NewFromInt(p))
	}
	res, err := svc.Orders.Place(f.ctx, service.Personal(user), req)
	if tif == domain.FOK && domain.IsCode(err, domain.CodeInvalid) && res.Order.Status == domain.Rejected {
		report("fok-rejected", nil)
		return
	}
	if err == nil && !res.Order.Status.Final() {
		f.Errorf("%s order %s rests as %s", tif, res.Order.ID, res.Order.Status)
	}
	report(op, err)
}

// stopOrder places a STOP or STOP_LIMIT order whose stop price is a few
// ticks beyond the last trade (above it for a buy, below for a sell). A
// trade may move the price past the stop between the read and the
// placement; the order is then refused as already reached, which counts
// as an outcome of its own.
func (f *fixture) stopOrder(svc *service.Service, r *rand.Rand, user, code string, last decimal.Decimal, tif domain.TimeInForce, qty int64, report func(string, error)) {
	side, op := domain.Buy, "stop-buy"
	steps := int64(1 + r.IntN(6))
	stop := last.IntPart() + steps*priceTick
	if r.IntN(2) == 0 {
		side, op = domain.Sell, "stop-sell"
		stop = last.IntPart() - steps*priceTick
	}
	req := domain.OrderRequest{StockCode: code, Side: side, Type: domain.StopOrder, TimeInForce: tif, Quantity: qty,
		StopPrice: decimal.NewNullDecimal(decimal.NewFromInt(stop))}
	if r.IntN(2) == 0 {
		lim := stop + priceTick
		if side == domain.Sell {
			lim = stop - priceTick
		}
		req.Type, req.LimitPrice = domain.StopLimitOrder, decimal.NewNullDecimal(decimal.NewFromInt(lim))
	}
	_, err := svc.Orders.Place(f.ctx, service.Personal(user), req)
	if domain.IsCode(err, domain.CodeInvalid) && strings.Contains(err.Error(), "stop_price") && strings.Contains(err.Error(), "the last trade") {
		report(op+"-reached", nil)
		return
	}
	report(op, err)
}

// retryOrder places an order with a client_order_id twice: in half the
// cases one call after the other (a client retrying after a timeout), in
// the other half two calls at once (a client that double-submits). Either
// way exactly one order exists afterwards, both calls answer with it, and
// exactly one of them created it.
func (f *fixture) retryOrder(svc *service.Service, r *rand.Rand, user, code, tag string, limitAway func(domain.Side) decimal.NullDecimal, report func(string, error)) {
	req := domain.OrderRequest{ClientOrderID: "retry-" + tag, StockCode: code, Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1}
	if r.IntN(2) == 0 {
		req.Type, req.TimeInForce, req.LimitPrice = domain.LimitOrder, domain.GTC, limitAway(domain.Buy)
	}
	var res [2]service.PlaceResult
	var errs [2]error
	if r.IntN(2) == 0 {
		res[0], errs[0] = svc.Orders.Place(f.ctx, service.Personal(user), req)
		res[1], errs[1] = svc.Orders.Place(f.ctx, service.Personal(user), req)
	} else {
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { res[i], errs[i] = svc.Orders.Place(f.ctx, service.Personal(user), req) })
		}
		wg.Wait()
	}
	if errs[0] != nil || errs[1] != nil {
		_, err := f.s.GetOrderByClientID(f.ctx, user, req.ClientOrderID)
		switch {
		case errs[0] != nil && errs[1] != nil:
			// Without the money for it, neither call places anything.
			report("retry", errs[0])
			if !errors.Is(err, domain.ErrNotFound) {
				f.Errorf("client_order_id %s: both calls failed (%v, %v) but an order exists (%v)", req.ClientOrderID, errs[0], errs[1], err)
			}
		case err == nil:
			// One call placed the order; the other must have answered
			// with it, not with an error.
			failed := errs[0]
			if failed == nil {
				failed = errs[1]
			}
			if expected(failed) {
				report("retry-answer", failed)
			} else {
				f.Errorf("client_order_id %s: one call placed the order, the other failed with %v instead of answering with it", req.ClientOrderID, failed)
			}
		default:
			f.Errorf("client_order_id %s: a call succeeded (%v, %v) but the order is not there: %v", req.ClientOrderID, errs[0], errs[1], err)
		}
		return
	}
	report("retry", nil)
	if res[0].Order.ID != res[1].Order.ID {
		f.Errorf("client_order_id %s placed two orders: %s and %s", req.ClientOrderID, res[0].Order.ID, res[1].Order.ID)
	}
	if res[0].Created == res[1].Created {
		f.Errorf("client_order_id %s: created = %v and %v, want exactly one true", req.ClientOrderID, res[0].Created, res[1].Created)
	}
}

// checkBooks checks the audit and, order by order, that every order is in
// exactly one state and that what it reserves is what the accounts and
// holdings hold reserved.
func (f *fixture) checkBooks(svc *service.Service, users []string) {
	f.Helper()
	rep, err := svc.Audit.Run(f.ctx)
	f.must(err)
	if rep.Accounts < len(users) {
		f.Errorf("audit saw %d accounts, want at least %d", rep.Accounts, len(users))
	}
	for i, v := range rep.Violations {
		if i == 20 {
			f.Errorf("... and %d more violations", len(rep.Violations)-i)
			break
		}
		f.Errorf("audit: %s", v)
	}
	fees := svc.Config().Fees
	for _, u := range users {
		all, err := f.s.ListOrders(f.ctx, ports.OrderFilter{AccountID: u})
		f.must(err)
		open, err := f.s.ListOpenOrders(f.ctx, u)
		f.must(err)
		byID := map[string]domain.Order{}
		for _, o := range all {
			byID[o.ID] = o
		}
		ids := make([]string, len(all))
		for i, o := range all {
			ids[i] = o.ID
		}
		exs, err := f.s.ListExecutions(f.ctx, ids)
		f.must(err)
		filled := map[string]int64{}
		for _, e := range exs {
			filled[e.OrderID] += e.Quantity
		}
		pending := 0
		reservedCash := decimal.Zero
		reservedQty := map[string]int64{}
		for _, o := range all {
			switch o.Status {
			case domain.Pending, domain.PartiallyFilled:
				pending++
				partial := o.FilledQuantity > 0
				rests := o.Type == domain.LimitOrder && !o.TimeInForce.Immediate() || o.Type == domain.StopLimitOrder || o.Type == domain.StopOrder && o.Waiting()
				if !rests || filled[o.ID] != o.FilledQuantity || partial != (o.Status == domain.PartiallyFilled) || o.Remaining() <= 0 || o.Waiting() && partial {
					f.Errorf("order %s is %s but %s %s with %d of %d filled and %d executed", o.ID, o.Status, o.Type, o.TimeInForce, o.FilledQuantity, o.Quantity, filled[o.ID])
				}
				if o.Side == domain.Buy {
					at := o.LimitPrice.Decimal
					if o.Type == domain.StopOrder {
						at = domain.PriceBand(decimal.NewFromInt(workloadBase)).Upper
					}
					if want := fees.BuyReservation(o.Remaining(), at); !o.ReservedAmount.Equal(want) {
						f.Errorf("resting buy %s reserves %s for %d shares, want %s", o.ID, o.ReservedAmount, o.Remaining(), want)
					}
					reservedCash = reservedCash.Add(o.ReservedAmount)
				} else {
					reservedQty[o.StockCode] += o.Remaining()
				}
			case domain.Filled:
				if o.FilledQuantity != o.Quantity || filled[o.ID] != o.Quantity || !o.AverageFillPrice.Valid || !o.ReservedAmount.IsZero() {
					f.Errorf("order %s is FILLED with %d of %d filled, %d executed, average %v, %s still reserved",
						o.ID, o.FilledQuantity, o.Quantity, filled[o.ID], o.AverageFillPrice, o.ReservedAmount)
				}
			case domain.Cancelled, domain.Expired:
				// A partially filled order keeps its executions.
				if o.FilledQuantity >= o.Quantity || filled[o.ID] != o.FilledQuantity || !o.ReservedAmount.IsZero() {
					f.Errorf("order %s is %s but has %d of %d filled, %d executed, %s reserved", o.ID, o.Status, o.FilledQuantity, o.Quantity, filled[o.ID], o.ReservedAmount)
				}
			case domain.Rejected:
				// Only a FOK order that could not trade whole.
				if o.TimeInForce != domain.FOK || o.FilledQuantity != 0 || filled[o.ID] != 0 || !o.ReservedAmount.IsZero() {
					f.Errorf("order %s is REJECTED but %s with %d filled, %d executed, %s reserved", o.ID, o.TimeInForce, o.FilledQuantity, filled[o.ID], o.ReservedAmount)
				}
			default:
				f.Errorf("order %s has status %q", o.ID, o.Status)
			}
		}
		for id := range filled {
			if _, ok := byID[id]; !ok {
				f.Errorf("execution of order %s, which ListOrders does not know", id)
			}
		}
		// The resting-order indexes agree with the table.
		if len(open) != pending {
			f.Errorf("user %s: ListOpenOrders = %d orders, ListOrders has %d open", u, len(open), pending)
		}
		for _, o := range open {
			if byID[o.ID].Status.Final() {
				f.Errorf("ListOpenOrders returned %s order %s", byID[o.ID].Status, o.ID)
			}
		}
		a, err := f.s.GetAccount(f.ctx, u)
		f.must(err)
		if !a.ReservedCash.Equal(reservedCash) {
			f.Errorf("user %s reserves %s cash, its resting buys %s", u, a.ReservedCash, reservedCash)
		}
		hs, err := f.s.ListHoldings(f.ctx, u)
		f.must(err)
		for _, h := range hs {
			if h.ReservedQuantity != reservedQty[h.StockCode] {
				f.Errorf("user %s reserves %d shares of %s, its resting sells %d", u, h.ReservedQuantity, h.StockCode, reservedQty[h.StockCode])
			}
			delete(reservedQty, h.StockCode)
		}
		for code, q := range reservedQty {
			f.Errorf("user %s has resting sells of %d shares of %s but no holding", u, q, code)
		}
	}
}

// serviceFillCancel races a fill of one resting limit order against its
// cancel, through the use cases the matcher and the API call, many times
// over: exactly one of them wins each round, the order ends in the
// winner's status, and the books stay balanced.
func (f *fixture) serviceFillCancel(svc *service.Service) {
	const rounds = 40
	user := f.serviceUsers(svc, "racer", 1)[0]
	code := raceCode
	base := decimal.NewFromInt(workloadBase)
	limit := decimal.NewFromInt(workloadBase - 10*priceTick)
	fills := 0
	for round := range rounds {
		// Put the market back above the limit so that the order rests.
		_, err := svc.Market.Tick(f.ctx, code, base)
		f.must(err)
		placed, err := svc.Orders.Place(f.ctx, service.Personal(user), domain.OrderRequest{
			StockCode: code, Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC,
			Quantity: 1, LimitPrice: decimal.NewNullDecimal(limit),
		})
		f.must(err)
		if placed.Order.Status != domain.Pending {
			f.Fatalf("round %d: the limit order did not rest: %s", round, placed.Order.Status)
		}
		id := placed.Order.ID

		// Rounds vary the contenders: the matcher's tick or a direct fill
		// against the user's cancel or the workflow's close.
		var filled, cancelled bool
		var fillErr, cancelErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			if round%2 == 0 {
				var n int
				n, fillErr = svc.Market.Tick(f.ctx, code, limit)
				filled = n == 1
			} else {
				filled, fillErr = svc.Orders.FillOrder(f.ctx, id, limit)
			}
		})
		wg.Go(func() {
			<-start
			if round%4 < 2 {
				_, cancelErr = svc.Orders.Cancel(f.ctx, user, id)
			} else {
				_, cancelErr = svc.Orders.Close(f.ctx, id, domain.Cancelled, "cancelled by the workflow")
			}
			cancelled = cancelErr == nil
			if domain.IsCode(cancelErr, domain.CodeConflict) {
				cancelErr = nil // lost the race
			}
		})
		close(start)
		wg.Wait()
		if fillErr != nil || cancelErr != nil {
			f.Fatalf("round %d: fill error %v, cancel error %v", round, fillErr, cancelErr)
		}
		if filled == cancelled {
			f.Fatalf("round %d: filled = %v and cancelled = %v, want exactly one winner", round, filled, cancelled)
		}
		got, err := f.s.GetOrder(f.ctx, id)
		f.must(err)
		want := domain.Filled
		if cancelled {
			want = domain.Cancelled
		}
		if got.Status != want {
			f.Fatalf("round %d: order is %s, but the %s won", round, got.Status, strings.ToLower(string(want)))
		}
		if filled {
			fills++
		}
	}
	f.Logf("the fill won %d of %d rounds, the cancel %d", fills, rounds, rounds-fills)
	f.checkBooks(svc, []string{user})
}
