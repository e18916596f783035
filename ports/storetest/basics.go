package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

func testInfo(f *fixture) {
	f.must(f.s.Ping(f.ctx))
	info, err := f.s.Info(f.ctx)
	f.must(err)
	if info.Engine == "" || info.Version == "" {
		f.Errorf("Info = %+v, want engine and version", info)
	}
	if len(info.Migrations) == 0 {
		f.Fatal("Info lists no migrations")
	}
	for _, m := range info.Migrations {
		if !m.Applied || m.AppliedAt.IsZero() || m.Version == 0 || m.Name == "" {
			f.Errorf("migration %+v: want applied, with version, name and time", m)
		}
	}
}

// testTxRollback checks that an error from fn undoes the whole transaction
// and comes back unchanged.
func testTxRollback(f *fixture) {
	u := f.user("1000")
	boom := errors.New("boom")
	err := f.s.WithinTx(f.ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.LockAccount(ctx, u.ID)
		if err != nil {
			return err
		}
		a.Cash = dec("1")
		if err := tx.SaveAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, ports.OutboxMessage{ID: f.id(), Kind: "k", Key: "x", NextTry: f.now, CreatedAt: f.now}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		f.Fatalf("WithinTx returned %v, want the closure's error", err)
	}
	a, err := f.s.GetAccount(f.ctx, u.ID)
	f.must(err)
	f.same("account after rollback", a.Cash, dec("1000"))
	n, err := f.s.OutboxSize(f.ctx)
	f.must(err)
	if n != 0 {
		f.Errorf("outbox after rollback has %d messages, want 0", n)
	}

	// A panic rolls back too and goes on to the caller.
	func() {
		defer func() {
			if recover() == nil {
				f.Error("panic inside WithinTx did not reach the caller")
			}
		}()
		_ = f.s.WithinTx(f.ctx, func(ctx context.Context, tx ports.Tx) error {
			a, _ := tx.LockAccount(ctx, u.ID)
			a.Cash = dec("2")
			_ = tx.SaveAccount(ctx, a)
			panic("boom")
		})
	}()
	a, err = f.s.GetAccount(f.ctx, u.ID)
	f.must(err)
	f.same("account after panic", a.Cash, dec("1000"))
}

func testUsers(f *fixture) {
	u := f.user("0")
	got, err := f.s.GetUser(f.ctx, u.ID)
	f.must(err)
	f.same("GetUser", got, u)
	got, err = f.s.GetUserByEmail(f.ctx, u.Email)
	f.must(err)
	f.same("GetUserByEmail", got, u)

	_, err = f.s.GetUser(f.ctx, f.id())
	f.wantErr("GetUser(unknown)", err, domain.ErrNotFound)
	_, err = f.s.GetUserByEmail(f.ctx, "nobody@example.com")
	f.wantErr("GetUserByEmail(unknown)", err, domain.ErrNotFound)

	dup := u
	dup.ID = f.id()
	dup.Nickname = "other"
	err = f.txErr(func(tx ports.Tx) error { return tx.CreateUser(f.ctx, dup) })
	f.wantErr("CreateUser(same email)", err, domain.ErrDuplicate)

	u.Nickname = "새이름"
	u.PasswordHash = "$2a$10$other"
	u.Role = domain.RoleAdmin
	u.PremiumUntil = f.now.Add(30 * 24 * time.Hour)
	u.UpdatedAt = f.tick()
	f.tx(func(tx ports.Tx) error { return tx.UpdateUser(f.ctx, u) })
	got, err = f.s.GetUser(f.ctx, u.ID)
	f.must(err)
	f.same("GetUser after UpdateUser", got, u)

	// premium_until goes back to "never".
	u.PremiumUntil = time.Time{}
	f.tx(func(tx ports.Tx) error { return tx.UpdateUser(f.ctx, u) })
	got, err = f.s.GetUser(f.ctx, u.ID)
	f.must(err)
	if !got.PremiumUntil.IsZero() {
		f.Errorf("PremiumUntil = %s, want zero", got.PremiumUntil)
	}
}

func testListUserIDs(f *fixture) {
	var want []string
	for range 5 {
		want = append(want, f.user("0").ID)
	}
	var got []string
	after := ""
	for page := 0; ; page++ {
		ids, err := f.s.ListUserIDs(f.ctx, after, 2)
		f.must(err)
		if len(ids) == 0 {
			break
		}
		if len(ids) > 2 {
			f.Fatalf("page of %d ids, limit 2", len(ids))
		}
		got = append(got, ids...)
		after = ids[len(ids)-1]
		if page > 5 {
			f.Fatal("pagination does not end")
		}
	}
	f.same("ListUserIDs pages", got, want)
}

func testAccounts(f *fixture) {
	u := f.user("10000000")
	a, err := f.s.GetAccount(f.ctx, u.ID)
	f.must(err)
	f.same("new account cash", a.Cash, dec("10000000"))

	// Every field survives a round trip, fractions and signs exactly.
	a.Cash = dec("123456789012.5")
	a.ReservedCash = dec("70010.0001")
	a.TotalDeposits = dec("200000000000")
	a.TotalWithdrawal = dec("0.1")
	a.RealizedPnL = dec("-1234.5678")
	a.TotalCommission = dec("9999.9999")
	a.TotalTax = dec("141")
	a.BuyCount, a.SellCount, a.WinCount, a.LossCount, a.LedgerSeq = 7, 5, 3, 2, 19
	a.FreeDepositDay, a.FreeDeposited = "2026-03-02", dec("5000000")
	a.HistoryStart = f.tick()
	a.UpdatedAt = f.tick()
	f.tx(func(tx ports.Tx) error {
		locked, err := tx.LockAccount(f.ctx, u.ID)
		if err != nil {
			return err
		}
		if !locked.Cash.Equal(dec("10000000")) {
			f.Errorf("LockAccount cash = %s", locked.Cash)
		}
		return tx.SaveAccount(f.ctx, a)
	})
	got, err := f.s.GetAccount(f.ctx, u.ID)
	f.must(err)
	f.same("account after SaveAccount", got, a)

	_, err = f.s.GetAccount(f.ctx, f.id())
	f.wantErr("GetAccount(unknown)", err, domain.ErrNotFound)
	err = f.txErr(func(tx ports.Tx) error {
		_, err := tx.LockAccount(f.ctx, f.id())
		return err
	})
	f.wantErr("LockAccount(unknown)", err, domain.ErrNotFound)

	// A contest account beside the personal one: its own money and
	// positions, listed after the personal account.
	f.stock("005930", "70000")
	contest := domain.Account{
		ID: f.id(), UserID: u.ID, Kind: domain.ContestAccount, ContestID: "c-" + f.id(),
		Cash: dec("5000000"), ReservedCash: decimal.Zero, TotalDeposits: dec("5000000"), TotalWithdrawal: decimal.Zero,
		RealizedPnL: decimal.Zero, TotalCommission: decimal.Zero, TotalTax: decimal.Zero, FreeDeposited: decimal.Zero,
		HistoryStart: f.tick(), CreatedAt: f.now, UpdatedAt: f.now,
	}
	f.tx(func(tx ports.Tx) error { return tx.CreateAccount(f.ctx, contest) })
	got, err = f.s.GetAccount(f.ctx, contest.ID)
	f.must(err)
	f.same("contest account", got, contest)
	list, err := f.s.ListAccounts(f.ctx, u.ID)
	f.must(err)
	if len(list) != 2 || list[0].ID != u.ID || list[1].ID != contest.ID {
		f.Errorf("ListAccounts = %+v, want the personal account then the contest one", list)
	}
	f.tx(func(tx ports.Tx) error {
		return tx.SaveHolding(f.ctx, domain.Holding{AccountID: contest.ID, StockCode: "005930", Quantity: 3, AveragePrice: dec("70000"), CreatedAt: f.tick(), UpdatedAt: f.now})
	})
	if _, err := f.s.GetHolding(f.ctx, u.ID, "005930"); !errors.Is(err, domain.ErrNotFound) {
		f.Errorf("a contest account's holding shows in the personal account: %v", err)
	}
	// One personal account per user, one account per contest.
	dup := contest
	dup.ID = f.id()
	f.wantErr("a second account in one contest", f.txErr(func(tx ports.Tx) error { return tx.CreateAccount(f.ctx, dup) }), domain.ErrDuplicate)
	dup.Kind, dup.ContestID = domain.PersonalAccount, ""
	f.wantErr("a second personal account", f.txErr(func(tx ports.Tx) error { return tx.CreateAccount(f.ctx, dup) }), domain.ErrDuplicate)

	ids, err := f.s.ListAccountIDs(f.ctx, "", 100)
	f.must(err)
	if !slices.Contains(ids, u.ID) || !slices.Contains(ids, contest.ID) || !slices.IsSorted(ids) {
		f.Errorf("ListAccountIDs = %v", ids)
	}
}

func testStocks(f *fixture) {
	b := f.stock("000660", "180000")
	a := f.stock("005930", "70000")
	got, err := f.s.GetStock(f.ctx, "005930")
	f.must(err)
	f.same("GetStock", got, a)

	a.Name = "삼성전자"
	a.NameEn = "Samsung Electronics"
	a.Price = dec("70100")
	a.PrevClose = dec("69900")
	a.Active = false
	a.UpdatedAt = f.tick()
	f.tx(func(tx ports.Tx) error { return tx.UpsertStock(f.ctx, a) })
	got, err = f.s.GetStock(f.ctx, "005930")
	f.must(err)
	f.same("GetStock after update", got, a)

	list, err := f.s.ListStocks(f.ctx)
	f.must(err)
	f.same("ListStocks", list, []domain.Stock{b, a})

	_, err = f.s.GetStock(f.ctx, "999999")
	f.wantErr("GetStock(unknown)", err, domain.ErrNotFound)
}

func testPrices(f *fixture) {
	f.stock("005930", "70000")
	f.stock("000660", "180000")
	start := f.now
	var all []domain.PricePoint
	for i := range 6 {
		at := f.tick()
		p := decimal.NewFromInt(int64(70000 + 100*i))
		f.tx(func(tx ports.Tx) error { return tx.RecordPrice(f.ctx, "005930", p, at) })
		all = append(all, domain.PricePoint{StockCode: "005930", Price: p, At: at})
	}
	f.tx(func(tx ports.Tx) error { return tx.RecordPrice(f.ctx, "000660", dec("181000"), f.tick()) })

	s, err := f.s.GetStock(f.ctx, "005930")
	f.must(err)
	f.same("price after RecordPrice", s.Price, dec("70500"))
	f.same("prev close after RecordPrice", s.PrevClose, dec("70000"))

	got, err := f.s.ListPrices(f.ctx, "005930", start, 100)
	f.must(err)
	f.same("ListPrices(all)", got, all)

	// At or after since.
	got, err = f.s.ListPrices(f.ctx, "005930", all[2].At, 100)
	f.must(err)
	f.same("ListPrices(since third)", got, all[2:])

	// The newest limit points, still oldest first.
	got, err = f.s.ListPrices(f.ctx, "005930", start, 2)
	f.must(err)
	f.same("ListPrices(limit 2)", got, all[4:])

	err = f.txErr(func(tx ports.Tx) error { return tx.RecordPrice(f.ctx, "999999", dec("1"), f.tick()) })
	if err == nil {
		f.Error("RecordPrice(unknown listing) succeeded")
	}
}

func testHoldings(f *fixture) {
	u := f.user("0")
	other := f.user("0")
	f.stock("005930", "70000")
	f.stock("000660", "180000")

	_, err := f.s.GetHolding(f.ctx, u.ID, "005930")
	f.wantErr("GetHolding(none)", err, domain.ErrNotFound)

	h1 := domain.Holding{AccountID: u.ID, StockCode: "005930", Quantity: 10, AveragePrice: dec("70123.4567"), CreatedAt: f.tick(), UpdatedAt: f.now}
	h2 := domain.Holding{AccountID: u.ID, StockCode: "000660", Quantity: 3, ReservedQuantity: 1, AveragePrice: dec("180000"), CreatedAt: f.tick(), UpdatedAt: f.now}
	h3 := domain.Holding{AccountID: other.ID, StockCode: "005930", Quantity: 1, AveragePrice: dec("1"), CreatedAt: f.tick(), UpdatedAt: f.now}
	f.tx(func(tx ports.Tx) error {
		if _, err := tx.LockHolding(f.ctx, u.ID, "005930"); !errors.Is(err, domain.ErrNotFound) {
			f.Errorf("LockHolding(none) = %v, want ErrNotFound", err)
		}
		for _, h := range []domain.Holding{h1, h2, h3} {
			if err := tx.SaveHolding(f.ctx, h); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := f.s.GetHolding(f.ctx, u.ID, "005930")
	f.must(err)
	f.same("GetHolding", got, h1)

	list, err := f.s.ListHoldings(f.ctx, u.ID)
	f.must(err)
	f.same("ListHoldings", list, []domain.Holding{h2, h1})
	f.positions(u.ID, h2, h1)
	f.orderRows(u.ID, "000660", &h2)
	f.orderRows(other.ID, "000660", nil)
	f.tx(func(tx ports.Tx) error {
		_, err := tx.LockOrderRows(f.ctx, "no-such-account", "005930")
		f.wantErr("LockOrderRows(unknown account)", err, domain.ErrNotFound)
		rows, err := tx.LockOrderRows(f.ctx, u.ID, "999999")
		f.must(err)
		if rows.Listed || rows.Held {
			f.Errorf("LockOrderRows(unknown listing): listed %v, held %v; want neither", rows.Listed, rows.Held)
		}
		return nil
	})

	// Update in place.
	h1.Quantity, h1.ReservedQuantity, h1.AveragePrice, h1.UpdatedAt = 15, 5, dec("70500"), f.tick()
	f.tx(func(tx ports.Tx) error {
		locked, err := tx.LockHolding(f.ctx, u.ID, "005930")
		if err != nil {
			return err
		}
		if locked.Quantity != 10 {
			f.Errorf("LockHolding quantity = %d, want 10", locked.Quantity)
		}
		return tx.SaveHolding(f.ctx, h1)
	})
	got, err = f.s.GetHolding(f.ctx, u.ID, "005930")
	f.must(err)
	f.same("GetHolding after update", got, h1)

	// A partial sell keeps the row.
	h2.Quantity, h2.ReservedQuantity = 1, 0
	f.tx(func(tx ports.Tx) error { return tx.SaveHolding(f.ctx, h2) })
	if _, err := f.s.GetHolding(f.ctx, u.ID, "000660"); err != nil {
		f.Errorf("holding with one share left is gone: %v", err)
	}
	// Nothing left and nothing reserved: the row goes.
	h2.Quantity, h2.ReservedQuantity, h2.AveragePrice = 0, 0, decimal.Zero
	f.tx(func(tx ports.Tx) error { return tx.SaveHolding(f.ctx, h2) })
	_, err = f.s.GetHolding(f.ctx, u.ID, "000660")
	f.wantErr("GetHolding after selling out", err, domain.ErrNotFound)
	list, err = f.s.ListHoldings(f.ctx, u.ID)
	f.must(err)
	f.same("ListHoldings after selling out", list, []domain.Holding{h1})
	f.positions(u.ID, h1)

	// Saving a zero holding that never existed is fine.
	f.tx(func(tx ports.Tx) error {
		return tx.SaveHolding(f.ctx, domain.Holding{AccountID: other.ID, StockCode: "000660", AveragePrice: decimal.Zero})
	})
}

// orderRows checks LockOrderRows in a transaction that then saves the
// account it locked: the account and listing as read alone, the holding
// when there is one (h), and the account's lock taken.
func (f *fixture) orderRows(accountID, code string, h *domain.Holding) {
	f.Helper()
	acct, err := f.s.GetAccount(f.ctx, accountID)
	f.must(err)
	st, err := f.s.GetStock(f.ctx, code)
	f.must(err)
	f.tx(func(tx ports.Tx) error {
		rows, err := tx.LockOrderRows(f.ctx, accountID, code)
		if err != nil {
			return err
		}
		want := ports.OrderRows{Account: acct, Listed: true, Stock: st, Held: h != nil}
		if h != nil {
			want.Holding = *h
		}
		f.same("LockOrderRows", rows, want)
		return tx.SaveAccount(f.ctx, rows.Account)
	})
}

// positions checks that ListPositions returns the holdings given, in that
// order, each with its listing as GetStock reads it.
func (f *fixture) positions(accountID string, want ...domain.Holding) {
	f.Helper()
	got, err := f.s.ListPositions(f.ctx, accountID)
	f.must(err)
	wantPos := make([]ports.Position, len(want))
	for i, h := range want {
		st, err := f.s.GetStock(f.ctx, h.StockCode)
		f.must(err)
		wantPos[i] = ports.Position{Holding: h, Stock: st}
	}
	f.same("ListPositions", got, wantPos)
}

func testWatchlist(f *fixture) {
	u := f.user("0")
	f.stock("005930", "70000")
	f.stock("000660", "180000")
	w1 := domain.WatchItem{UserID: u.ID, StockCode: "005930", CreatedAt: f.tick()}
	w2 := domain.WatchItem{UserID: u.ID, StockCode: "000660", CreatedAt: f.tick()}
	f.tx(func(tx ports.Tx) error {
		if err := tx.AddWatch(f.ctx, w1); err != nil {
			return err
		}
		return tx.AddWatch(f.ctx, w2)
	})
	err := f.txErr(func(tx ports.Tx) error { return tx.AddWatch(f.ctx, w1) })
	f.wantErr("AddWatch(again)", err, domain.ErrDuplicate)

	got, err := f.s.ListWatchlist(f.ctx, u.ID)
	f.must(err)
	if len(got) != 2 {
		f.Fatalf("ListWatchlist = %d items, want 2", len(got))
	}
	f.same("ListWatchlist", got, []domain.WatchItem{w1, w2})

	var removed, again bool
	f.tx(func(tx ports.Tx) error {
		var err error
		removed, err = tx.RemoveWatch(f.ctx, u.ID, "005930")
		return err
	})
	f.tx(func(tx ports.Tx) error {
		var err error
		again, err = tx.RemoveWatch(f.ctx, u.ID, "005930")
		return err
	})
	if !removed || again {
		f.Errorf("RemoveWatch = %v then %v, want true then false", removed, again)
	}
	got, err = f.s.ListWatchlist(f.ctx, u.ID)
	f.must(err)
	f.same("ListWatchlist after remove", got, []domain.WatchItem{w2})
}

func testPayments(f *fixture) {
	u := f.user("0")
	other := f.user("0")
	mk := func(owner domain.User, product domain.Product) domain.Payment {
		now := f.tick()
		return domain.Payment{
			ID:           "pay-" + f.id(),
			UserID:       owner.ID,
			Product:      product,
			OrderName:    "가상머니 충전",
			Amount:       dec("10000"),
			Currency:     "KRW",
			Status:       domain.PaymentPrepared,
			CreditAmount: dec("1000000"),
			PremiumDays:  30,
			CreatedAt:    now,
			UpdatedAt:    now,
		}
	}
	p1, p2, p3 := mk(u, domain.ProductCash), mk(other, domain.ProductPremium), mk(u, domain.ProductPremium)
	f.tx(func(tx ports.Tx) error {
		for _, p := range []domain.Payment{p1, p2, p3} {
			if err := tx.CreatePayment(f.ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := f.s.GetPayment(f.ctx, p1.ID)
	f.must(err)
	f.same("GetPayment", got, p1)
	_, err = f.s.GetPayment(f.ctx, "pay-unknown")
	f.wantErr("GetPayment(unknown)", err, domain.ErrNotFound)

	paid := p1
	paid.Status = domain.PaymentPaid
	paid.PaidAmount = nullDec("10000")
	paid.PaidCurrency = "KRW"
	paid.TransactionID = "tx-1"
	paid.FulfilledAt = f.tick()
	paid.UpdatedAt = f.now
	var first, second bool
	f.tx(func(tx ports.Tx) error {
		locked, err := tx.LockPayment(f.ctx, p1.ID)
		if err != nil {
			return err
		}
		f.same("LockPayment", locked, p1)
		first, err = tx.UpdatePayment(f.ctx, paid, domain.PaymentPrepared)
		return err
	})
	failed := p1
	failed.Status = domain.PaymentFailed
	failed.Reason = "late"
	f.tx(func(tx ports.Tx) error {
		var err error
		second, err = tx.UpdatePayment(f.ctx, failed, domain.PaymentPrepared)
		return err
	})
	if !first || second {
		f.Errorf("UpdatePayment from PREPARED = %v then %v, want true then false", first, second)
	}
	got, err = f.s.GetPayment(f.ctx, p1.ID)
	f.must(err)
	f.same("payment after UpdatePayment", got, paid)

	list, err := f.s.ListPayments(f.ctx, u.ID, "", 10)
	f.must(err)
	f.same("ListPayments", list, []domain.Payment{p3, paid})
	list, err = f.s.ListPayments(f.ctx, u.ID, "", 1)
	f.must(err)
	f.same("ListPayments(limit 1)", list, []domain.Payment{p3})
	list, err = f.s.ListPayments(f.ctx, u.ID, list[0].ID, 1)
	f.must(err)
	f.same("ListPayments(page 2)", list, []domain.Payment{paid})
	list, err = f.s.ListPayments(f.ctx, u.ID, paid.ID, 1)
	f.must(err)
	if len(list) != 0 {
		f.Errorf("ListPayments past the end = %d payments", len(list))
	}
}

func testOutbox(f *fixture) {
	base := f.now
	m1 := ports.OutboxMessage{ID: f.id(), Kind: "order.start", Key: "o1", Payload: []byte(`{"a":1}`), NextTry: base, CreatedAt: base}
	m2 := ports.OutboxMessage{ID: f.id(), Kind: "order.start", Key: "o2", Payload: []byte(`{"a":2}`), NextTry: base.Add(time.Second), CreatedAt: base}
	m3 := ports.OutboxMessage{ID: f.id(), Kind: "payment.start", Key: "p1", NextTry: base.Add(time.Hour), CreatedAt: base}
	f.tx(func(tx ports.Tx) error {
		for _, m := range []ports.OutboxMessage{m1, m2, m3} {
			if err := tx.Enqueue(f.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	size, err := f.s.OutboxSize(f.ctx)
	f.must(err)
	if size != 3 {
		f.Errorf("OutboxSize = %d, want 3", size)
	}

	due, err := f.s.DueOutbox(f.ctx, base.Add(time.Minute), 10)
	f.must(err)
	f.same("DueOutbox", due, []ports.OutboxMessage{m1, m2})
	due, err = f.s.DueOutbox(f.ctx, base.Add(time.Minute), 1)
	f.must(err)
	f.same("DueOutbox(limit 1)", due, []ports.OutboxMessage{m1})
	due, err = f.s.DueOutbox(f.ctx, base, 10)
	f.must(err)
	f.same("DueOutbox(at the first's next try)", due, []ports.OutboxMessage{m1})

	// A failed delivery moves the message back.
	next := base.Add(10 * time.Minute)
	f.must(f.s.DeferOutbox(f.ctx, m1.ID, next, "temporal unavailable"))
	f.must(f.s.DeferOutbox(f.ctx, m1.ID, next, "temporal unavailable again"))
	due, err = f.s.DueOutbox(f.ctx, base.Add(time.Minute), 10)
	f.must(err)
	f.same("DueOutbox after defer", due, []ports.OutboxMessage{m2})
	due, err = f.s.DueOutbox(f.ctx, next, 10)
	f.must(err)
	m1.Attempts, m1.NextTry, m1.LastError = 2, next, "temporal unavailable again"
	f.same("DueOutbox at the deferred time", due, []ports.OutboxMessage{m2, m1})

	if n, err := f.s.DeleteOutbox(f.ctx, []string{m1.ID, m2.ID, "unknown"}); err != nil || n != 2 {
		f.Errorf("DeleteOutbox of two messages and an unknown id = %d, %v; want 2", n, err)
	}
	if n, err := f.s.DeleteOutbox(f.ctx, nil); err != nil || n != 0 {
		f.Errorf("DeleteOutbox(nil) = %d, %v", n, err)
	}
	size, err = f.s.OutboxSize(f.ctx)
	f.must(err)
	if size != 1 {
		f.Errorf("OutboxSize after delete = %d, want 1", size)
	}
	due, err = f.s.DueOutbox(f.ctx, base.Add(2*time.Hour), 10)
	f.must(err)
	f.same("DueOutbox after delete", due, []ports.OutboxMessage{m3})
}

// testOutboxClaim: a claim takes the due messages, oldest first, and
// hides them from every other claim until its lease runs out; then they
// are due again, for whoever claims next.
func testOutboxClaim(f *fixture) {
	base := f.now
	var msgs []ports.OutboxMessage
	for i := range 3 {
		msgs = append(msgs, ports.OutboxMessage{ID: f.id(), Kind: "order.start", Key: fmt.Sprint("o", i), Payload: []byte(`{}`), NextTry: base.Add(time.Duration(i) * time.Second), CreatedAt: base})
	}
	future := ports.OutboxMessage{ID: f.id(), Kind: "order.start", Key: "later", Payload: []byte(`{}`), NextTry: base.Add(time.Hour), CreatedAt: base}
	f.tx(func(tx ports.Tx) error {
		for _, m := range append(msgs, future) {
			if err := tx.Enqueue(f.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	at := base.Add(time.Minute)
	lease := at.Add(30 * time.Second)
	got, err := f.s.ClaimOutbox(f.ctx, at, lease, "relay-a", 2)
	f.must(err)
	f.same("first claim", got, msgs[:2])
	got, err = f.s.ClaimOutbox(f.ctx, at, lease, "relay-b", 10)
	f.must(err)
	f.same("second claim", got, msgs[2:])
	got, err = f.s.ClaimOutbox(f.ctx, at, lease, "relay-c", 10)
	f.must(err)
	if len(got) != 0 {
		f.Errorf("a claim while every due message is leased took %d", len(got))
	}

	// relay-a dies: at the end of its lease its messages are due again.
	got, err = f.s.ClaimOutbox(f.ctx, lease, lease.Add(30*time.Second), "relay-c", 1)
	f.must(err)
	want := msgs[0]
	want.NextTry = lease
	f.same("claim after the lease", got, []ports.OutboxMessage{want})
}

// testAccountsChanged: the event stream finds the accounts that changed
// since a time, oldest change first, as far as a limit.
func testAccountsChanged(f *fixture) {
	// Far in the fixture clock's future, so that no other account of the
	// store changed then.
	base := time.Date(2031, 5, 1, 9, 0, 0, 250000000, time.UTC)
	a, b := f.user("1000"), f.user("2000")
	save := func(id string, at time.Time, cash string) {
		f.tx(func(tx ports.Tx) error {
			acct, err := tx.LockAccount(f.ctx, id)
			if err != nil {
				return err
			}
			acct.Cash, acct.UpdatedAt = dec(cash), at
			return tx.SaveAccount(f.ctx, acct)
		})
	}
	save(b.ID, base.Add(time.Second), "2500")
	save(a.ID, base.Add(2*time.Second), "1500")
	ids := func(since time.Time, n int) []string {
		f.Helper()
		got, err := f.s.ListAccountsChanged(f.ctx, since, n)
		f.must(err)
		var out []string
		for _, acct := range got {
			out = append(out, acct.ID)
			if acct.ID == a.ID && !acct.Cash.Equal(dec("1500")) {
				f.Errorf("changed account %s has cash %s, want 1500", acct.ID, acct.Cash)
			}
		}
		return out
	}
	if got := ids(base, 10); !slices.Equal(got, []string{b.ID, a.ID}) {
		f.Errorf("changed since base: %v, want [%s %s] (oldest change first)", got, b.ID, a.ID)
	}
	if got := ids(base.Add(2*time.Second), 10); !slices.Equal(got, []string{a.ID}) {
		f.Errorf("changed at or after the second change: %v, want [%s]", got, a.ID)
	}
	if got := ids(base, 1); !slices.Equal(got, []string{b.ID}) {
		f.Errorf("changed since base, limit 1: %v, want [%s]", got, b.ID)
	}
	if got := ids(base.Add(time.Hour), 10); len(got) != 0 {
		f.Errorf("changed after the last change: %v, want none", got)
	}
}
