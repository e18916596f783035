package storetest

import (
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// sameIndex compares wealth indexes to nine places: SQLite divides in
// binary floating point, the other engines in decimal.
func (f *fixture) sameIndex(what string, got decimal.Decimal, want string) {
	f.Helper()
	if got.Sub(dec(want)).Abs().GreaterThan(dec("0.000000001")) {
		f.Errorf("%s: index %s, want %s", what, got, want)
	}
}

// restartHistory moves the start of an account's performance history to
// now, with deposits less withdrawals equal to what is in it.
func (f *fixture) restartHistory(id string, deposits string) {
	f.Helper()
	f.tx(func(tx ports.Tx) error {
		a, err := tx.LockAccount(f.ctx, id)
		if err != nil {
			return err
		}
		a.HistoryStart = f.tick()
		a.TotalDeposits, a.TotalWithdrawal = dec(deposits), decimal.Zero
		return tx.SaveAccount(f.ctx, a)
	})
}

func testEquitySnapshots(f *fixture) {
	f.stock("005930", "70000")
	rich := f.user("1000000")
	poor := f.user("500000")
	f.restartHistory(rich.ID, "1000000")
	f.restartHistory(poor.ID, "500000")
	f.tx(func(tx ports.Tx) error {
		return tx.SaveHolding(f.ctx, domain.Holding{AccountID: rich.ID, StockCode: "005930", Quantity: 10, AveragePrice: dec("65000"), CreatedAt: f.tick(), UpdatedAt: f.now})
	})

	// The first snapshot opens each history: the index is equity over the
	// money put in (the holding here came for free: a 70% gain).
	day1 := f.tick()
	n, err := f.s.SnapshotEquity(f.ctx, "2026-03-02", day1)
	f.must(err)
	if n < 2 {
		f.Fatalf("SnapshotEquity wrote %d rows, want at least 2", n)
	}
	// Idempotent per date: a second run rewrites the same rows.
	_, err = f.s.SnapshotEquity(f.ctx, "2026-03-02", day1)
	f.must(err)
	got, err := f.s.ListEquitySnapshots(f.ctx, rich.ID, "2026-01-01", "2026-12-31")
	f.must(err)
	if len(got) != 1 {
		f.Fatalf("snapshots after two runs for one date = %d, want 1", len(got))
	}
	f.sameIndex("day 1", got[0].Index, "1.7")
	got[0].Index = decimal.Zero
	f.same("day 1 snapshot", got[0], domain.EquitySnapshot{
		AccountID: rich.ID,
		EquityPoint: domain.EquityPoint{Date: "2026-03-02", Cash: dec("1000000"), HoldingsValue: dec("700000"),
			Equity: dec("1700000"), NetFlow: dec("1000000")},
		FlowTotal: dec("1000000"), Index: decimal.Zero, TakenAt: day1,
	})
	p, err := f.s.LastEquitySnapshot(f.ctx, poor.ID, "2026-03-02")
	f.must(err)
	f.sameIndex("no holdings", p.Index, "1")
	f.same("poor equity", p.Equity, dec("500000"))

	// Day 2: the price rises 10% and 100,000 won is deposited. The flow is
	// not a gain: 1.7 × 1,870,000 ÷ (1,700,000 + 100,000).
	f.tx(func(tx ports.Tx) error { return tx.RecordPrice(f.ctx, "005930", dec("77000"), f.tick()) })
	f.tx(func(tx ports.Tx) error {
		a, err := tx.LockAccount(f.ctx, rich.ID)
		if err != nil {
			return err
		}
		a.Deposit(dec("100000"))
		return tx.SaveAccount(f.ctx, a)
	})
	day2 := f.tick()
	_, err = f.s.SnapshotEquity(f.ctx, "2026-03-03", day2)
	f.must(err)
	got, err = f.s.ListEquitySnapshots(f.ctx, rich.ID, "2026-03-01", "2026-03-03")
	f.must(err)
	if len(got) != 2 || got[0].Date != "2026-03-02" || got[1].Date != "2026-03-03" {
		f.Fatalf("snapshots = %+v, want 2026-03-02 and 2026-03-03", got)
	}
	f.same("day 2 equity", got[1].Equity, dec("1870000"))
	f.same("day 2 holdings", got[1].HoldingsValue, dec("770000"))
	f.same("day 2 net flow", got[1].NetFlow, dec("100000"))
	f.same("day 2 flow total", got[1].FlowTotal, dec("1100000"))
	f.sameIndex("day 2", got[1].Index, "1.766111111111")

	// A history restarted after day 2 (a reset) opens again: the earlier
	// snapshots no longer chain into the new one.
	f.restartHistory(rich.ID, "1870000")
	_, err = f.s.SnapshotEquity(f.ctx, "2026-03-04", f.tick())
	f.must(err)
	last, err := f.s.LastEquitySnapshot(f.ctx, rich.ID, "2026-12-31")
	f.must(err)
	if last.Date != "2026-03-04" {
		f.Fatalf("LastEquitySnapshot date = %s", last.Date)
	}
	f.sameIndex("after a restart", last.Index, "1")
	f.same("net flow after a restart", last.NetFlow, dec("1870000"))

	// Ranges and misses.
	got, err = f.s.ListEquitySnapshots(f.ctx, rich.ID, "2026-03-03", "2026-03-03")
	f.must(err)
	if len(got) != 1 || got[0].Date != "2026-03-03" {
		f.Errorf("one-day range = %+v", got)
	}
	_, err = f.s.LastEquitySnapshot(f.ctx, rich.ID, "2026-03-01")
	f.wantErr("LastEquitySnapshot before the first", err, domain.ErrNotFound)
	none, err := f.s.ListEquitySnapshots(f.ctx, f.id(), "2026-01-01", "2026-12-31")
	f.must(err)
	if len(none) != 0 {
		f.Errorf("unknown account has %d snapshots", len(none))
	}
}
