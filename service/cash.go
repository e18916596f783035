package service

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// contestCashRefused is the answer to moving cash in or out of a contest
// account: everyone in a contest starts from the same initial cash.
func contestCashRefused(a domain.Account, what string) error {
	return domain.FieldErrorf(domain.CodeConflict, "account_id",
		"account %s belongs to contest %s, whose accounts take no %s: every entrant trades the contest's initial cash", a.ID, a.ContestID, what)
}

// freeCash applies the rules of free (unpaid) cash to a deposit or
// withdrawal on a locked account: contest accounts take none, and a
// personal account's free deposits are capped per Seoul day. It counts an
// accepted deposit against the day's cap.
func (s *core) freeCash(a *domain.Account, typ domain.TxType, amount decimal.Decimal) error {
	if a.Kind == domain.ContestAccount {
		if typ == domain.TxDeposit {
			return contestCashRefused(*a, "deposits")
		}
		return contestCashRefused(*a, "withdrawals")
	}
	limit := s.cfg.FreeDepositDailyLimit
	if typ != domain.TxDeposit || !limit.IsPositive() {
		return nil
	}
	today := domain.SeoulDate(s.clock.Now())
	if a.FreeDepositDay != today {
		a.FreeDepositDay, a.FreeDeposited = today, decimal.Zero
	}
	left := decimal.Max(limit.Sub(a.FreeDeposited), decimal.Zero)
	if amount.GreaterThan(left) {
		return domain.FieldErrorf(domain.CodeInvalid, "amount",
			"free deposits are limited to %s won per day (Asia/Seoul); %s won is left today, so %s won cannot be deposited. Paid top-ups (PortOne) are not limited",
			limit, left, amount)
	}
	a.FreeDeposited = a.FreeDeposited.Add(amount)
	return nil
}

// Grant deposits cash into an account without the daily cap on free
// deposits: for operators and load tests (POST /admin/accounts/{id}/deposit),
// never for users. Contest accounts refuse it like any deposit.
func (s *Accounts) Grant(ctx context.Context, accountID string, amount decimal.Decimal) (domain.Account, error) {
	if err := domain.ValidateCashAmount("amount", amount); err != nil {
		return domain.Account{}, err
	}
	var a domain.Account
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if a, err = tx.LockAccount(ctx, accountID); err != nil {
			return err
		}
		if a.Kind == domain.ContestAccount {
			return contestCashRefused(a, "deposits")
		}
		if a.Cash.Add(amount).GreaterThan(maxCash) {
			return domain.FieldErrorf(domain.CodeInvalid, "amount", "a balance above %s won is not supported", maxCash)
		}
		return s.bookCash(ctx, tx, &a, domain.TxDeposit, amount, "", "granted by an operator")
	})
	return a, err
}

// Reset returns a personal account to the initial cash: its open orders
// are cancelled, its holdings cleared, one RESET ledger row moves the cash
// to INITIAL_CASH (its amount is the change, which may be negative), and
// its statistics and performance history start again from there.
func (s *Accounts) Reset(ctx context.Context, t Target) (domain.Account, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return domain.Account{}, err
	}
	if a.Kind == domain.ContestAccount {
		return domain.Account{}, contestCashRefused(a, "resets")
	}
	open, err := s.store.ListOpenOrders(ctx, a.ID)
	if err != nil {
		return domain.Account{}, err
	}
	orders := &Orders{core: s.core}
	for _, o := range open {
		if _, err := orders.closeOrder(ctx, o.ID, domain.Cancelled, "cancelled by an account reset", true); err != nil && !domain.IsCode(err, domain.CodeConflict) {
			return domain.Account{}, err
		}
	}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if a, err = lockAccount(ctx, tx, t); err != nil {
			return err
		}
		hs, err := tx.ListHoldings(ctx, a.ID)
		if err != nil {
			return err
		}
		if !a.ReservedCash.IsZero() {
			return domain.Errorf(domain.CodeConflict, "an order was placed on account %s during the reset; reset again", a.ID)
		}
		now := s.clock.Now().UTC()
		for _, h := range hs {
			if h.ReservedQuantity != 0 {
				return domain.Errorf(domain.CodeConflict, "an order was placed on account %s during the reset; reset again", a.ID)
			}
			h.Quantity, h.AveragePrice, h.UpdatedAt = 0, decimal.Zero, now
			if err := tx.SaveHolding(ctx, h); err != nil {
				return err
			}
		}
		initial := s.cfg.InitialCash
		before := a.Cash
		a.Cash = initial
		a.TotalDeposits, a.TotalWithdrawal = initial, decimal.Zero
		a.RealizedPnL, a.TotalCommission, a.TotalTax = decimal.Zero, decimal.Zero, decimal.Zero
		a.BuyCount, a.SellCount, a.WinCount, a.LossCount = 0, 0, 0, 0
		a.HistoryStart, a.UpdatedAt = now, now
		a.LedgerSeq++
		if err := tx.SaveAccount(ctx, a); err != nil {
			return err
		}
		return tx.AppendLedger(ctx, domain.LedgerEntry{
			ID: s.ids.NewID(), AccountID: a.ID, UserID: a.UserID, Seq: a.LedgerSeq, Type: domain.TxReset,
			Amount: initial.Sub(before), Commission: decimal.Zero, Tax: decimal.Zero,
			CashBalanceBefore: before, CashBalanceAfter: initial,
			Memo: fmt.Sprintf("reset to the initial %s won", initial), CreatedAt: now,
		})
	})
	if err != nil {
		return domain.Account{}, err
	}
	s.kick()
	return a, nil
}
