package service

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// dividendBatch is how many holders one payment transaction pays.
const dividendBatch = 100

// PayDividends keeps the holders of record of the dividends whose record
// date is date (or earlier, if missed), and pays the dividends due by
// date: each holder gets a DIVIDEND ledger row of per_share × quantity and
// a TAX row withholding 15.4% of it, once. It reports the holders paid.
func (s *Market) PayDividends(ctx context.Context, date string) (int, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return 0, domain.FieldErrorf(domain.CodeInvalid, "date", "%q is not a YYYY-MM-DD date", date)
	}
	toRecord, err := s.store.ListDividendsToRecord(ctx, date)
	if err != nil {
		return 0, err
	}
	for _, d := range toRecord {
		if err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
			_, err := tx.RecordDividendHolders(ctx, d, s.clock.Now().UTC())
			return err
		}); err != nil {
			return 0, err
		}
	}
	due, err := s.store.ListDividendsDue(ctx, date)
	if err != nil {
		return 0, err
	}
	paid := 0
	for _, d := range due {
		for {
			holders, err := s.store.ListUnpaidHolders(ctx, d.ID, dividendBatch)
			if err != nil {
				return paid, err
			}
			if len(holders) == 0 {
				if err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
					return tx.SetDividendPaid(ctx, d.ID, s.clock.Now().UTC())
				}); err != nil {
					return paid, err
				}
				break
			}
			n := 0
			// Holders come in account order, the order accounts are
			// locked in everywhere.
			err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
				n = 0
				for _, h := range holders {
					ok, err := s.payHolder(ctx, tx, d, h)
					if err != nil {
						return err
					}
					if ok {
						n++
					}
				}
				return nil
			})
			if err != nil {
				return paid, err
			}
			paid += n
		}
	}
	return paid, nil
}

// payHolder books one holder's dividend and its withholding, once.
func (s *Market) payHolder(ctx context.Context, tx ports.Tx, d domain.Dividend, h domain.DividendHolder) (bool, error) {
	a, err := tx.LockAccount(ctx, h.AccountID)
	if err != nil {
		return false, err
	}
	now := s.clock.Now().UTC()
	ok, err := tx.SetHolderPaid(ctx, d.ID, h.AccountID, now)
	if err != nil || !ok {
		return false, err
	}
	gross, tax := domain.DividendPayout(d.PerShare, h.Quantity)
	memo := "dividend " + d.StockCode + " of record " + d.RecordDate
	rows := []struct {
		typ   domain.TxType
		delta decimal.Decimal
	}{{domain.TxDividend, gross}, {domain.TxTax, tax.Neg()}}
	for _, r := range rows {
		if r.delta.IsZero() {
			continue
		}
		before := a.Cash
		a.Cash = a.Cash.Add(r.delta)
		a.LedgerSeq++
		if err := tx.AppendLedger(ctx, domain.LedgerEntry{
			ID: s.ids.NewID(), AccountID: a.ID, UserID: a.UserID, Seq: a.LedgerSeq, Type: r.typ,
			StockCode: d.StockCode, Quantity: h.Quantity, Price: decimal.NewNullDecimal(d.PerShare),
			Amount: r.delta.Abs(), Commission: decimal.Zero, Tax: decimal.Zero,
			CashBalanceBefore: before, CashBalanceAfter: a.Cash, Memo: memo, CreatedAt: now,
		}); err != nil {
			return false, err
		}
	}
	a.UpdatedAt = now
	return true, tx.SaveAccount(ctx, a)
}
