package service

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// bookCash moves cash in or out of a locked (or just created) account and
// writes the ledger row with the balance around it.
func (s *Service) bookCash(ctx context.Context, tx ports.Tx, a *domain.Account, typ domain.TxType, amount decimal.Decimal, paymentID, memo string) error {
	now := s.clock.Now().UTC()
	before := a.Cash
	switch typ {
	case domain.TxDeposit:
		a.Deposit(amount)
	case domain.TxWithdraw:
		if err := a.Withdraw(amount); err != nil {
			return err
		}
	default:
		return domain.Errorf(domain.CodeInternal, "bookCash: unexpected type %s", typ)
	}
	a.UpdatedAt = now
	a.LedgerSeq++
	if err := tx.SaveAccount(ctx, *a); err != nil {
		return err
	}
	return tx.AppendLedger(ctx, domain.LedgerEntry{
		ID: s.ids.NewID(), UserID: a.UserID, Seq: a.LedgerSeq, Type: typ, PaymentID: paymentID,
		Amount: amount, Commission: decimal.Zero, Tax: decimal.Zero,
		CashBalanceBefore: before, CashBalanceAfter: a.Cash, Memo: memo, CreatedAt: now,
	})
}

// Deposit adds virtual cash.
func (s *Service) Deposit(ctx context.Context, userID string, amount decimal.Decimal) (domain.Account, error) {
	return s.moveCash(ctx, userID, domain.TxDeposit, amount)
}

// Withdraw removes available virtual cash.
func (s *Service) Withdraw(ctx context.Context, userID string, amount decimal.Decimal) (domain.Account, error) {
	return s.moveCash(ctx, userID, domain.TxWithdraw, amount)
}

func (s *Service) moveCash(ctx context.Context, userID string, typ domain.TxType, amount decimal.Decimal) (domain.Account, error) {
	if err := domain.ValidateCashAmount("amount", amount); err != nil {
		return domain.Account{}, err
	}
	var a domain.Account
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if a, err = tx.LockAccount(ctx, userID); err != nil {
			return err
		}
		if typ == domain.TxDeposit && a.Cash.Add(amount).GreaterThan(maxCash) {
			return domain.FieldErrorf(domain.CodeInvalid, "amount", "a balance above %s won is not supported", maxCash)
		}
		return s.bookCash(ctx, tx, &a, typ, amount, "", "")
	})
	return a, err
}

// maxCash caps a balance so that sums stay well inside every engine's
// DECIMAL(24,4) column.
var maxCash = decimal.New(1, 15)

// Balance is the cash view of an account.
type Balance struct {
	Account       domain.Account
	HoldingsValue decimal.Decimal
}

// TotalEquity is cash plus the market value of holdings.
func (b Balance) TotalEquity() decimal.Decimal { return b.Account.Cash.Add(b.HoldingsValue) }

// Balance returns the user's cash and the value of their holdings.
func (s *Service) Balance(ctx context.Context, userID string) (Balance, error) {
	a, err := s.store.GetAccount(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	p, err := s.Portfolio(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	return Balance{Account: a, HoldingsValue: p.Totals.MarketValue}, nil
}
