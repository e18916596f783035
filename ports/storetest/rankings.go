package storetest

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// trader opens a user whose personal account has traded once, with cash
// and shares of 005930 bought at cost.
func (f *fixture) trader(cash string, shares int64, public bool) domain.User {
	f.Helper()
	u := f.user(cash)
	f.restartHistory(u.ID, cash)
	f.tx(func(tx ports.Tx) error {
		usr, err := tx.GetUser(f.ctx, u.ID)
		if err != nil {
			return err
		}
		usr.Public = public
		if err := tx.UpdateUser(f.ctx, usr); err != nil {
			return err
		}
		a, err := tx.LockAccount(f.ctx, u.ID)
		if err != nil {
			return err
		}
		a.BuyCount = 1
		a.Cash = a.Cash.Sub(dec("10000").Mul(decimal.NewFromInt(shares)))
		if err := tx.SaveAccount(f.ctx, a); err != nil {
			return err
		}
		if shares == 0 {
			return nil
		}
		return tx.SaveHolding(f.ctx, domain.Holding{AccountID: u.ID, StockCode: "000660", Quantity: shares, AveragePrice: dec("10000"), CreatedAt: f.tick(), UpdatedAt: f.now})
	})
	return u
}

func testRankings(f *fixture) {
	f.stock("000660", "10000")
	flat := f.trader("1000000", 0, true)     // all cash: 0%
	stock := f.trader("1000000", 50, true)   // half in shares
	hidden := f.trader("1000000", 50, false) // the same, but private
	idle := f.user("1000000")                // never traded
	_ = idle
	_, err := f.s.SnapshotEquity(f.ctx, "2026-03-02", f.tick())
	f.must(err)

	// The price doubles: the half in shares gains 50% over the history
	// (all) and over the day since the snapshot (1d).
	f.tx(func(tx ports.Tx) error { return tx.RecordPrice(f.ctx, "000660", dec("20000"), f.tick()) })
	asOf := f.tick()
	n, err := f.s.RankPersonal(f.ctx, map[string]string{"all": "", "1d": "2026-03-02"}, asOf)
	f.must(err)
	if n != 2 {
		f.Errorf("ranked %d accounts, want 2 (public, traded)", n)
	}
	for _, tc := range []struct{ period, base string }{{"all", ""}, {"1d", "2026-03-02"}} {
		lb, err := f.s.GetLeaderboard(f.ctx, "", tc.period, 10)
		f.must(err)
		f.same(tc.period+" as_of", lb.AsOf, asOf)
		if len(lb.Entries) != 2 || lb.Entries[0].AccountID != stock.ID || lb.Entries[1].AccountID != flat.ID {
			f.Fatalf("%s board = %+v, want the shareholder then the flat account", tc.period, lb.Entries)
		}
		top := lb.Entries[0]
		if top.Rank != 1 || !top.ReturnRate.Round(2).Equal(dec("50")) || !top.Equity.Equal(dec("1500000")) || top.Trades != 1 || top.Nickname == "" {
			f.Errorf("%s top line = %+v, want rank 1, 50%%, equity 1500000, 1 trade", tc.period, top)
		}
		if !lb.Entries[1].ReturnRate.IsZero() {
			f.Errorf("%s flat account returns %s", tc.period, lb.Entries[1].ReturnRate)
		}
	}
	// A deposit is not a gain.
	f.tx(func(tx ports.Tx) error {
		a, err := tx.LockAccount(f.ctx, flat.ID)
		if err != nil {
			return err
		}
		a.Deposit(dec("5000000"))
		return tx.SaveAccount(f.ctx, a)
	})
	n, err = f.s.RankPersonal(f.ctx, map[string]string{"all": "", "1d": "2026-03-02"}, f.tick())
	f.must(err)
	lb, err := f.s.GetLeaderboard(f.ctx, "", "1d", 1)
	f.must(err)
	if len(lb.Entries) != 1 || lb.Entries[0].AccountID != stock.ID {
		f.Errorf("limit 1 board = %+v", lb.Entries)
	}
	// Nothing of the first refresh's working rows is left to count again.
	lb, err = f.s.GetLeaderboard(f.ctx, "", "all", 10)
	f.must(err)
	if n != 2 || len(lb.Entries) != 2 || lb.Entries[0].AccountID != stock.ID || lb.Entries[1].Rank != 2 {
		f.Errorf("second refresh ranked %d accounts into %+v, want the same 2 lines", n, lb.Entries)
	}
	_, err = f.s.GetLeaderboard(f.ctx, "", "1w", 10)
	f.wantErr("a board never computed", err, domain.ErrNotFound)
	_ = hidden

	// Contests.
	start := f.tick()
	c := domain.Contest{ID: f.id(), Name: "봄 리그", StartsAt: start, EndsAt: start.Add(time.Hour),
		InitialCash: dec("1000000"), Listings: []string{"000660", "005930"}, CreatedAt: start}
	f.must(f.s.CreateContest(f.ctx, c, ports.OutboxMessage{ID: f.id(), Kind: "contest.start", Key: c.ID, Payload: []byte(`{}`), CreatedAt: start}))
	got, err := f.s.GetContest(f.ctx, c.ID)
	f.must(err)
	f.same("contest", got, c)
	_, err = f.s.GetContest(f.ctx, f.id())
	f.wantErr("unknown contest", err, domain.ErrNotFound)
	cs, err := f.s.ListContests(f.ctx, 10)
	f.must(err)
	if len(cs) != 1 || cs[0].ID != c.ID {
		f.Errorf("ListContests = %+v", cs)
	}
	var accts []string
	for i, u := range []domain.User{flat, stock} {
		a := domain.Account{ID: f.id(), UserID: u.ID, Kind: domain.ContestAccount, ContestID: c.ID,
			Cash: dec("1000000"), ReservedCash: decimal.Zero, TotalDeposits: dec("1000000"), TotalWithdrawal: decimal.Zero,
			RealizedPnL: decimal.Zero, TotalCommission: decimal.Zero, TotalTax: decimal.Zero, FreeDeposited: decimal.Zero,
			HistoryStart: f.tick(), CreatedAt: f.now, UpdatedAt: f.now}
		if i == 1 {
			a.Cash = dec("800000")
		}
		f.tx(func(tx ports.Tx) error { return tx.CreateAccount(f.ctx, a) })
		accts = append(accts, a.ID)
	}
	ids, err := f.s.ListContestAccountIDs(f.ctx, c.ID)
	f.must(err)
	if len(ids) != 2 {
		f.Errorf("ListContestAccountIDs = %v", ids)
	}
	n, err = f.s.RankContest(f.ctx, c.ID, f.tick())
	f.must(err)
	if n != 2 {
		f.Errorf("RankContest ranked %d", n)
	}
	lb, err = f.s.GetLeaderboard(f.ctx, c.ID, "contest", 10)
	f.must(err)
	if len(lb.Entries) != 2 || lb.Entries[0].AccountID != accts[0] || !lb.Entries[1].ReturnRate.Equal(dec("-20")) {
		f.Errorf("contest board = %+v", lb.Entries)
	}
	final := f.tick()
	done, err := f.s.FreezeContest(f.ctx, c.ID, final)
	f.must(err)
	again, err := f.s.FreezeContest(f.ctx, c.ID, f.tick())
	f.must(err)
	if !done || again {
		f.Errorf("FreezeContest = %v then %v, want true then false", done, again)
	}
	got, err = f.s.GetContest(f.ctx, c.ID)
	f.must(err)
	f.same("final_at", got.FinalAt, final)
}
