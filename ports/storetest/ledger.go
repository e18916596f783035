package storetest

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// entry builds a ledger row moving delta won, after the previous row.
func (f *fixture) entry(u domain.User, typ domain.TxType, code string, before, delta string) domain.LedgerEntry {
	f.ledgerSeq[u.ID]++
	e := domain.LedgerEntry{
		ID:                f.id(),
		AccountID:         u.ID,
		UserID:            u.ID,
		Seq:               f.ledgerSeq[u.ID],
		Type:              typ,
		StockCode:         code,
		Amount:            dec(delta).Abs(),
		Commission:        decimal.Zero,
		Tax:               decimal.Zero,
		CashBalanceBefore: dec(before),
		CashBalanceAfter:  dec(before).Add(dec(delta)),
		CreatedAt:         f.tick(),
	}
	if code != "" {
		e.OrderID = f.id()
		e.Quantity = 2
		e.Price = decimal.NewNullDecimal(e.Amount.Div(decimal.NewFromInt(2)))
		e.Commission = dec("21")
		if typ == domain.TxSell {
			e.Tax = dec("280")
		}
	}
	return e
}

func testLedger(f *fixture) {
	u := f.user("0")
	other := f.user("0")
	f.stock("005930", "70000")
	f.stock("000660", "180000")
	add := func(e domain.LedgerEntry) domain.LedgerEntry {
		f.tx(func(tx ports.Tx) error { return tx.AppendLedger(f.ctx, e) })
		return e
	}
	dep := f.entry(u, domain.TxDeposit, "", "0", "10000000")
	dep.Memo = "signup"
	dep = add(dep)
	b1 := add(f.entry(u, domain.TxBuy, "005930", "10000000", "-140000"))
	s1 := add(f.entry(u, domain.TxSell, "005930", "9860000", "141000"))
	mid := f.tick()
	b2 := add(f.entry(u, domain.TxBuy, "000660", "10001000", "-360000"))
	w := add(f.entry(u, domain.TxWithdraw, "", "9641000", "-1000"))
	f.tx(func(tx ports.Tx) error {
		return tx.AppendLedger(f.ctx, f.entry(other, domain.TxDeposit, "", "0", "5"))
	})
	newest := []domain.LedgerEntry{w, b2, s1, b1, dep}

	list, err := f.s.ListLedger(f.ctx, ports.LedgerFilter{AccountID: u.ID, Limit: 100})
	f.must(err)
	f.same("ListLedger", list, newest)

	cases := []struct {
		name string
		f    ports.LedgerFilter
		want []domain.LedgerEntry
	}{
		{"type", ports.LedgerFilter{Type: domain.TxBuy}, []domain.LedgerEntry{b2, b1}},
		{"stock", ports.LedgerFilter{StockCode: "005930"}, []domain.LedgerEntry{s1, b1}},
		{"type and stock", ports.LedgerFilter{Type: domain.TxSell, StockCode: "005930"}, []domain.LedgerEntry{s1}},
		{"from", ports.LedgerFilter{From: mid}, []domain.LedgerEntry{w, b2}},
		{"from is inclusive", ports.LedgerFilter{From: b2.CreatedAt}, []domain.LedgerEntry{w, b2}},
		{"to is exclusive", ports.LedgerFilter{To: b2.CreatedAt}, []domain.LedgerEntry{s1, b1, dep}},
		{"window", ports.LedgerFilter{From: b1.CreatedAt, To: w.CreatedAt}, []domain.LedgerEntry{b2, s1, b1}},
		{"window and type", ports.LedgerFilter{From: b1.CreatedAt, To: w.CreatedAt.Add(time.Second), Type: domain.TxWithdraw}, []domain.LedgerEntry{w}},
		{"nothing", ports.LedgerFilter{Type: domain.TxDividend}, nil},
	}
	for _, c := range cases {
		c.f.AccountID, c.f.Limit = u.ID, 100
		list, err := f.s.ListLedger(f.ctx, c.f)
		f.must(err)
		f.same("ListLedger("+c.name+")", list, c.want)
	}

	// Pages of two, newest first.
	var paged []domain.LedgerEntry
	cursor := ""
	for page := 0; ; page++ {
		list, err := f.s.ListLedger(f.ctx, ports.LedgerFilter{AccountID: u.ID, Before: cursor, Limit: 2})
		f.must(err)
		paged = append(paged, list...)
		if len(list) < 2 {
			break
		}
		cursor = list[len(list)-1].ID
		if page > 5 {
			f.Fatal("pagination does not end")
		}
	}
	f.same("ListLedger pages", paged, newest)

	// The cursor with a filter.
	list, err = f.s.ListLedger(f.ctx, ports.LedgerFilter{AccountID: u.ID, Type: domain.TxBuy, Before: b2.ID, Limit: 10})
	f.must(err)
	f.same("ListLedger(type, after the first page)", list, []domain.LedgerEntry{b1})
}

// testLedgerPaymentOnce checks the unique payment id that makes a payment
// credit cash at most once.
func testLedgerPaymentOnce(f *fixture) {
	u := f.user("0")
	e := f.entry(u, domain.TxDeposit, "", "0", "1000000")
	e.PaymentID = "pay-1"
	f.tx(func(tx ports.Tx) error { return tx.AppendLedger(f.ctx, e) })
	again := f.entry(u, domain.TxDeposit, "", "1000000", "1000000")
	again.PaymentID = "pay-1"
	err := f.txErr(func(tx ports.Tx) error { return tx.AppendLedger(f.ctx, again) })
	f.wantErr("AppendLedger(same payment)", err, domain.ErrDuplicate)

	// Two rows can never take the same place in a user's ledger.
	dup := f.entry(u, domain.TxDeposit, "", "1000000", "1")
	dup.Seq = e.Seq
	err = f.txErr(func(tx ports.Tx) error { return tx.AppendLedger(f.ctx, dup) })
	f.wantErr("AppendLedger(same seq)", err, domain.ErrDuplicate)

	// Rows without a payment never collide.
	f.tx(func(tx ports.Tx) error {
		if err := tx.AppendLedger(f.ctx, f.entry(u, domain.TxDeposit, "", "1000000", "1")); err != nil {
			return err
		}
		return tx.AppendLedger(f.ctx, f.entry(u, domain.TxDeposit, "", "1000001", "1"))
	})
	list, err := f.s.ListLedger(f.ctx, ports.LedgerFilter{AccountID: u.ID})
	f.must(err)
	if len(list) != 3 {
		f.Fatalf("ledger has %d rows, want 3", len(list))
	}
	f.same("ledger row with payment", list[2], e)
}
