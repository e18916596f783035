package storetest

import (
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// testTrades records a batch of trades with volume and quotes: the tape
// keeps each, the listing shows the last one with the batch's volume.
func testTrades(f *fixture) {
	f.stock("005930", "70000")
	f.stock("000660", "200000")
	t0 := f.tick()
	trades := []domain.Trade{
		{Code: "005930", At: t0, Price: dec("70100"), Volume: 10, Bid: dec("70000"), Ask: dec("70100")},
		{Code: "000660", At: t0.Add(time.Millisecond), Price: dec("201000"), Volume: 3},
		{Code: "005930", At: t0.Add(2 * time.Millisecond), Price: dec("70200"), Volume: 5, Bid: dec("70100"), Ask: dec("70200")},
	}
	f.tx(func(tx ports.Tx) error { return tx.RecordTrades(f.ctx, trades) })
	st, err := f.s.GetStock(f.ctx, "005930")
	if err != nil {
		f.Fatal(err)
	}
	if !st.Price.Equal(dec("70200")) || !st.Bid.Equal(dec("70100")) || !st.Ask.Equal(dec("70200")) || st.Volume != 15 {
		f.Fatalf("listing after trades: %+v", st)
	}
	if hy, _ := f.s.GetStock(f.ctx, "000660"); !hy.Bid.IsZero() || !hy.Ask.IsZero() || hy.Volume != 3 {
		f.Fatalf("listing without quotes: %+v", hy)
	}
	tape, err := f.s.ListTrades(f.ctx, "005930", t0, t0.Add(time.Second), 10)
	if err != nil {
		f.Fatal(err)
	}
	if len(tape) != 2 || tape[0].Volume != 10 || !tape[0].Bid.Equal(dec("70000")) || !tape[1].Price.Equal(dec("70200")) || !tape[1].At.Equal(t0.Add(2*time.Millisecond)) {
		f.Fatalf("tape: %+v", tape)
	}
	if tape, _ := f.s.ListTrades(f.ctx, "005930", t0.Add(time.Millisecond), t0.Add(2*time.Millisecond), 10); len(tape) != 0 {
		f.Fatalf("window [from, to) is half open: %+v", tape)
	}
	err = f.txErr(func(tx ports.Tx) error {
		return tx.RecordTrades(f.ctx, []domain.Trade{{Code: "999999", At: f.tick(), Price: dec("1000"), Volume: 1}})
	})
	if !domain.IsCode(err, domain.CodeNotFound) {
		f.Fatalf("trade of an unknown listing: %v", err)
	}

	// The roll makes the last price the previous close and zeroes the
	// volume; a date rolls once unless forced.
	at := f.tick()
	var first, again, forced bool
	f.tx(func(tx ports.Tx) error {
		var err error
		if first, err = tx.MarkRolled(f.ctx, "2026-03-03", at, false); err != nil {
			return err
		}
		return tx.RollStocks(f.ctx, at)
	})
	f.tx(func(tx ports.Tx) error {
		var err error
		again, err = tx.MarkRolled(f.ctx, "2026-03-03", at, false)
		return err
	})
	f.tx(func(tx ports.Tx) error {
		var err error
		forced, err = tx.MarkRolled(f.ctx, "2026-03-03", at.Add(time.Second), true)
		return err
	})
	if !first || again || !forced {
		f.Fatalf("MarkRolled: first %v, again %v, forced %v", first, again, forced)
	}
	st, _ = f.s.GetStock(f.ctx, "005930")
	if !st.PrevClose.Equal(dec("70200")) || st.Volume != 0 {
		f.Fatalf("listing after the roll: %+v", st)
	}
	day, err := f.s.GetMarketDay(f.ctx, "2026-03-03")
	if err != nil || !day.RolledAt.Equal(at.Add(time.Second)) || !day.ClosedAt.IsZero() {
		f.Fatalf("market day: %+v, %v", day, err)
	}
	f.tx(func(tx ports.Tx) error { return tx.MarkClosed(f.ctx, "2026-03-03", at) })
	if day, _ := f.s.GetMarketDay(f.ctx, "2026-03-03"); !day.ClosedAt.Equal(at) {
		f.Fatalf("closed market day: %+v", day)
	}
	if _, err := f.s.GetMarketDay(f.ctx, "2026-03-04"); !domain.IsCode(err, domain.CodeNotFound) {
		f.Fatalf("a date never rolled: %v", err)
	}
}

// testLeases: a lease goes to its first taker, is renewed by its holder,
// refused to others until it expires, then taken over.
func testLeases(f *fixture) {
	now := f.tick()
	take := func(owner string, at time.Time) bool {
		var ok bool
		err := f.txErr(func(tx ports.Tx) error {
			var err error
			ok, err = tx.TakeLease(f.ctx, "feed", owner, at, at.Add(10*time.Second))
			return err
		})
		if domain.IsCode(err, domain.CodeConflict) {
			return false
		}
		if err != nil {
			f.Fatal(err)
		}
		return ok
	}
	if _, err := f.s.GetLease(f.ctx, "feed"); !domain.IsCode(err, domain.CodeNotFound) {
		f.Fatalf("no lease yet: %v", err)
	}
	if !take("a", now) || take("b", now.Add(time.Second)) || !take("a", now.Add(5*time.Second)) {
		f.Fatal("first taker, then renewal by the holder only")
	}
	if take("b", now.Add(14*time.Second)) {
		f.Fatal("the renewed lease runs until 15 s")
	}
	if !take("b", now.Add(16*time.Second)) {
		f.Fatal("an expired lease is taken over")
	}
	if l, err := f.s.GetLease(f.ctx, "feed"); err != nil || l.Owner != "b" || !l.ExpiresAt.Equal(now.Add(26*time.Second)) {
		f.Fatalf("lease: %+v, %v", l, err)
	}
	f.tx(func(tx ports.Tx) error { return tx.ReleaseLease(f.ctx, "feed", "a") })
	if _, err := f.s.GetLease(f.ctx, "feed"); err != nil {
		f.Fatal("only the holder releases")
	}
	f.tx(func(tx ports.Tx) error { return tx.ReleaseLease(f.ctx, "feed", "b") })
	if !take("c", now.Add(17*time.Second)) {
		f.Fatal("a released lease is free")
	}
}
