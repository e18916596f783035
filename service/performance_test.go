package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// seoul is a Seoul wall-clock time on a day of March 2026.
func seoul(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, domain.Seoul) }

func withClock(c *fakeClock) option {
	return func(d *service.Deps, _ *service.Config) { d.Clock = c }
}

// withPlainFees trades without commission, so that hand-computed
// equities stay round.
func withPlainFees(limit string) option {
	return func(_ *service.Deps, cfg *service.Config) {
		cfg.Fees = domain.Fees{CommissionRate: decimal.Zero, SellTaxRate: d("0.002")}
		cfg.FreeDepositDailyLimit = d(limit)
	}
}

// must returns v, or panics (failing the test) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func wantCode(t *testing.T, what string, err error, code domain.Code, detail string) {
	t.Helper()
	if !domain.IsCode(err, code) || !strings.Contains(err.Error(), detail) {
		t.Fatalf("%s: got %v, want %s mentioning %q", what, err, code, detail)
	}
}

func TestFreeDepositLimitGrantAndReset(t *testing.T) {
	clock := &fakeClock{now: seoul(2, 10)}
	svc := newService(t, withClock(clock), withPlainFees("10000000"))
	ctx := context.Background()
	u := trader(t, svc, "fair@example.com")

	must(svc.Accounts.Deposit(ctx, u, d("6000000")))
	_, err := svc.Accounts.Deposit(ctx, u, d("5000000"))
	wantCode(t, "over the daily limit", err, domain.CodeInvalid, "4000000 won is left today")
	must(svc.Accounts.Deposit(ctx, u, d("4000000")))
	_, err = svc.Accounts.Deposit(ctx, u, d("1"))
	wantCode(t, "limit spent", err, domain.CodeInvalid, "0 won is left today")
	// A new Seoul day (midnight in Seoul is 15:00 UTC) has a new limit.
	clock.set(seoul(3, 0).Add(time.Minute))
	must(svc.Accounts.Deposit(ctx, u, d("1")))
	// Operators are not limited.
	must(svc.Accounts.Grant(ctx, u.UserID, d("50000000")))

	// Trade, leave an order open, then reset.
	must(svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 10}))
	open := must(svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Sell, Type: domain.LimitOrder, Quantity: 5, LimitPrice: limit("80000"), TimeInForce: domain.GTC}))
	before := must(svc.Accounts.Balance(ctx, u))
	a := must(svc.Accounts.Reset(ctx, u))
	if !a.Cash.Equal(d("10000000")) || !a.ReservedCash.IsZero() || a.BuyCount != 0 || !a.TotalDeposits.Equal(d("10000000")) {
		t.Fatalf("after reset: %+v", a)
	}
	if o := must(svc.Orders.Get(ctx, u.UserID, open.Order.ID)); o.Status != domain.Cancelled {
		t.Fatalf("open order after reset: %s", o.Status)
	}
	if p := must(svc.Accounts.Portfolio(ctx, u)); len(p.Holdings) != 0 {
		t.Fatalf("holdings after reset: %+v", p.Holdings)
	}
	rows, _ := must2(svc.Accounts.Transactions(ctx, u, service.LedgerQuery{Limit: 1}))
	if len(rows) != 1 || rows[0].Type != domain.TxReset || !rows[0].Amount.Equal(d("10000000").Sub(before.Account.Cash)) ||
		!rows[0].CashBalanceAfter.Equal(d("10000000")) {
		t.Fatalf("newest ledger row: %+v", rows)
	}
	assertAudit(t, svc)
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// A price round trip with a deposit in the middle: the deposit moves
// equity but is no gain, so the time-weighted return ends at zero.
func TestEquityHistoryIsTimeWeighted(t *testing.T) {
	clock := &fakeClock{now: seoul(2, 9)}
	svc := newService(t, withClock(clock), withPlainFees("0"))
	ctx := context.Background()
	u := trader(t, svc, "twr@example.com")
	tick := func(price string) {
		t.Helper()
		must(svc.Market.Tick(ctx, "005930", d(price)))
	}

	// Day 1: 100 shares at 70,000 (a limit at the last price, which fills
	// there; a market order would pay the ask); equity 10,000,000 = the
	// deposit.
	must(svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC, Quantity: 100, LimitPrice: limit("70000")}))
	clock.set(seoul(2, 16))
	must(svc.Accounts.SnapshotEquity(ctx, "2026-03-02"))
	// Day 2: +10% (7,700,000 in shares) and 1,000,000 deposited: equity
	// 11,700,000 on a base of 10,000,000 + 1,000,000: 11.7/11 − 1.
	clock.set(seoul(3, 10))
	tick("77000")
	must(svc.Accounts.Deposit(ctx, u, d("1000000")))
	clock.set(seoul(3, 16))
	must(svc.Accounts.SnapshotEquity(ctx, "2026-03-03"))
	// Day 3: back to 70,000: equity 11,000,000, 11/11.7 − 1.
	clock.set(seoul(4, 10))
	tick("70000")
	clock.set(seoul(4, 16))
	must(svc.Accounts.SnapshotEquity(ctx, "2026-03-04"))
	// Day 4, live, nothing moved.
	clock.set(seoul(5, 10))

	rows := must(svc.Accounts.Equity(ctx, u, "", ""))
	want := []struct{ date, equity, flow, daily, cum string }{
		{"2026-03-02", "10000000", "10000000", "0", "0"},
		{"2026-03-03", "11700000", "1000000", "0.06363636", "0.06363636"},
		{"2026-03-04", "11000000", "0", "-0.05982906", "0"},
		{"2026-03-05", "11000000", "0", "0", "0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Date != w.date || !r.Equity.Equal(d(w.equity)) || !r.NetFlow.Equal(d(w.flow)) ||
			!r.DailyReturn.Round(6).Equal(d(w.daily).Round(6)) || !r.CumulativeReturn.Round(6).Equal(d(w.cum).Round(6)) {
			t.Errorf("row %d = %s equity %s flow %s daily %s cumulative %s, want %+v", i, r.Date, r.Equity, r.NetFlow, r.DailyReturn, r.CumulativeReturn, w)
		}
	}
	if !rows[3].Live || rows[2].Live {
		t.Errorf("only today's point is live: %+v", rows)
	}
	// A range measures from the snapshot before it.
	part := must(svc.Accounts.Equity(ctx, u, "2026-03-04", "2026-03-04"))
	if len(part) != 1 || !part[0].CumulativeReturn.Round(6).Equal(d("-0.05982906").Round(6)) {
		t.Errorf("one-day range: %+v", part)
	}
	perf := must(svc.Accounts.Performance(ctx, u))
	if !perf.TWR.Round(6).IsZero() || !perf.MaxDrawdown.Round(4).Equal(d("0.0598")) || !perf.Volatility.IsPositive() {
		t.Errorf("performance %+v", perf)
	}
	_, err := svc.Accounts.Equity(ctx, u, "2026-13-01", "")
	wantCode(t, "a bad date", err, domain.CodeInvalid, "YYYY-MM-DD")
	_, err = svc.Accounts.Equity(ctx, service.Target{UserID: "someone-else", AccountID: u.UserID}, "", "")
	wantCode(t, "another user's account", err, domain.CodeNotFound, "no account")

	// A reset restarts the history.
	must(svc.Accounts.Reset(ctx, u))
	rows = must(svc.Accounts.Equity(ctx, u, "", ""))
	if len(rows) != 1 || !rows[0].Equity.Equal(d("10000000")) || !rows[0].CumulativeReturn.IsZero() {
		t.Errorf("after a reset: %+v", rows)
	}

	// The leaderboards: the period must be known.
	_, err = svc.Leaderboards.Get(ctx, "2y", 10)
	wantCode(t, "period=2y", err, domain.CodeInvalid, "1d, 1w, 1m, all")
	res := must(svc.Leaderboards.Refresh(ctx))
	if res.Ranked["all"] != 0 {
		t.Errorf("a reset account has no trades yet, but was ranked: %+v", res)
	}
}

func TestContestRules(t *testing.T) {
	clock := &fakeClock{now: seoul(2, 9)}
	svc := newService(t, withClock(clock), withPlainFees("10000000"))
	ctx := context.Background()
	u := trader(t, svc, "league@example.com")
	must(svc.Market.Upsert(ctx, service.StockInput{Code: "000660", Name: "SK하이닉스", Market: "KOSPI", Price: limit("200000")}))

	_, err := svc.Contests.Create(ctx, service.ContestInput{Name: "거꾸로", StartsAt: seoul(3, 9), EndsAt: seoul(2, 9), InitialCash: d("1000000")})
	wantCode(t, "ends_at before starts_at", err, domain.CodeInvalid, "must be after starts_at")
	_, err = svc.Contests.Create(ctx, service.ContestInput{Name: "없는 종목", StartsAt: seoul(3, 9), EndsAt: seoul(4, 9), InitialCash: d("1000000"), Listings: []string{"999999"}})
	wantCode(t, "unknown listing", err, domain.CodeInvalid, "999999")
	c := must(svc.Contests.Create(ctx, service.ContestInput{Name: "봄 리그", StartsAt: seoul(2, 10), EndsAt: seoul(2, 15), InitialCash: d("5000000"), Listings: []string{"005930"}}))

	j := must(svc.Contests.Join(ctx, u.UserID, c.ID))
	again := must(svc.Contests.Join(ctx, u.UserID, c.ID))
	if !j.Created || again.Created || again.Account.ID != j.Account.ID || !j.Account.Cash.Equal(d("5000000")) {
		t.Fatalf("join %+v then %+v", j, again)
	}
	ct := service.Target{UserID: u.UserID, AccountID: j.Account.ID}
	buy := domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 10}
	_, err = svc.Orders.Place(ctx, ct, buy)
	wantCode(t, "before the start", err, domain.CodeConflict, "cannot trade before")
	_, err = svc.Accounts.Deposit(ctx, ct, d("1000"))
	wantCode(t, "a contest deposit", err, domain.CodeConflict, "take no deposits")
	_, err = svc.Accounts.Withdraw(ctx, ct, d("1000"))
	wantCode(t, "a contest withdrawal", err, domain.CodeConflict, "take no withdrawals")
	_, err = svc.Accounts.Reset(ctx, ct)
	wantCode(t, "a contest reset", err, domain.CodeConflict, "take no resets")

	clock.set(seoul(2, 11))
	must(svc.Orders.Place(ctx, ct, buy))
	_, err = svc.Orders.Place(ctx, ct, domain.OrderRequest{StockCode: "000660", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1})
	wantCode(t, "a listing outside the contest", err, domain.CodeInvalid, "trades only 005930")
	open := must(svc.Orders.Place(ctx, ct, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, Quantity: 1, LimitPrice: limit("60000"), TimeInForce: domain.GTC}))
	must(svc.Contests.Rank(ctx, c.ID))

	clock.set(seoul(2, 16))
	fin := must(svc.Contests.Finish(ctx, c.ID))
	if fin.FinalAt.IsZero() {
		t.Fatal("contest not final after Finish")
	}
	if o := must(svc.Orders.Get(ctx, u.UserID, open.Order.ID)); o.Status != domain.Cancelled {
		t.Fatalf("open contest order after the end: %s", o.Status)
	}
	lb, _ := must2(svc.Contests.Leaderboard(ctx, c.ID, 10))
	if len(lb.Entries) != 1 || lb.Entries[0].AccountID != j.Account.ID {
		t.Fatalf("final board %+v", lb)
	}
	_, err = svc.Contests.Join(ctx, u.UserID, c.ID)
	wantCode(t, "joining after the end", err, domain.CodeConflict, "can no longer be joined")
	_, err = svc.Orders.Place(ctx, ct, buy)
	wantCode(t, "trading after the end", err, domain.CodeConflict, "can no longer trade")
	_, err = svc.Contests.Get(ctx, "nope")
	wantCode(t, "unknown contest", err, domain.CodeNotFound, "no contest")
	assertAudit(t, svc)
}

// Reads keep a personal board they checked within the last second, but a
// refresh in this process shows on the next read at once.
func TestLeaderboardReadsFollowARefresh(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "ranked@example.com")
	must(svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1}))
	first := must(svc.Leaderboards.Refresh(ctx))
	if lb := must(svc.Leaderboards.Get(ctx, "all", 10)); len(lb.Entries) != 1 || !lb.AsOf.Equal(first.AsOf) {
		t.Fatalf("board after a refresh: %+v", lb)
	}
	must(svc.Users.SetPublic(ctx, u.UserID, false))
	if lb := must(svc.Leaderboards.Get(ctx, "all", 10)); len(lb.Entries) != 1 {
		t.Fatalf("hiding applies at the next refresh, but the board changed before it: %+v", lb)
	}
	must(svc.Leaderboards.Refresh(ctx))
	if lb := must(svc.Leaderboards.Get(ctx, "all", 10)); len(lb.Entries) != 0 {
		t.Errorf("a hidden user is still ranked right after the refresh: %+v", lb)
	}
}
