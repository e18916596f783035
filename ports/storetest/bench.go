package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Trader is a funded user and a listing, ready for the market-order
// transaction every engine's benchmark measures.
type Trader struct {
	s      ports.Store
	userID string
	code   string
	fees   domain.Fees
}

// NewTraders creates a listing and n users with practically unlimited
// cash in the store.
func NewTraders(tb testing.TB, s ports.Store, n int) []Trader {
	tb.Helper()
	ctx := tb.Context()
	now := time.Now().UTC()
	code := "005930"
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		return tx.UpsertStock(ctx, domain.Stock{Code: code, Name: "삼성전자", Market: domain.KOSPI,
			Price: decimal.NewFromInt(70000), PrevClose: decimal.NewFromInt(70000), Active: true, UpdatedAt: now})
	})
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]Trader, n)
	for i := range out {
		id := uuid.Must(uuid.NewV7()).String()
		err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
			if err := tx.CreateUser(ctx, domain.User{ID: id, Email: id + "@example.com", Nickname: "bench", Role: domain.RoleUser, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			cash := decimal.New(1, 15)
			return tx.CreateAccount(ctx, domain.Account{ID: id, UserID: id, Kind: domain.PersonalAccount, Cash: cash, TotalDeposits: cash, UpdatedAt: now})
		})
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = Trader{s: s, userID: id, code: code, fees: domain.DefaultFees()}
	}
	return out
}

// Buy runs the transaction of one market buy: the statements the order
// service issues, in the same order (lock account, read stock, lock
// holding, create order and execution, save account and holding, append
// ledger, commit).
func (m Trader) Buy(ctx context.Context, qty int64) error {
	return m.s.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := time.Now().UTC()
		a, err := tx.LockAccount(ctx, m.userID)
		if err != nil {
			return err
		}
		st, err := tx.GetStock(ctx, m.code)
		if err != nil {
			return err
		}
		h, err := tx.LockHolding(ctx, m.userID, m.code)
		if errors.Is(err, domain.ErrNotFound) {
			h = domain.Holding{AccountID: m.userID, StockCode: m.code, CreatedAt: now}
		} else if err != nil {
			return err
		}
		set := m.fees.Settle(domain.Buy, qty, st.Price, h.AveragePrice)
		o := domain.Order{
			ID: uuid.Must(uuid.NewV7()).String(), AccountID: m.userID, UserID: m.userID, StockCode: m.code,
			Side: domain.Buy, Type: domain.MarketOrder, Quantity: qty, Status: domain.Filled,
			FilledQuantity: qty, AverageFillPrice: decimal.NewNullDecimal(st.Price),
			Commission: set.Commission, Tax: set.Tax, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.CreateExecution(ctx, domain.Execution{
			ID: uuid.Must(uuid.NewV7()).String(), OrderID: o.ID, AccountID: m.userID, UserID: m.userID, StockCode: m.code,
			Side: domain.Buy, Quantity: qty, Price: st.Price, Amount: set.Amount,
			Commission: set.Commission, Tax: set.Tax, ExecutedAt: now,
		}); err != nil {
			return err
		}
		before := a.Cash
		a.ApplySettlement(set)
		a.LedgerSeq++
		a.UpdatedAt = now
		if err := tx.SaveAccount(ctx, a); err != nil {
			return err
		}
		h.ApplyBuy(qty, st.Price)
		h.UpdatedAt = now
		if err := tx.SaveHolding(ctx, h); err != nil {
			return err
		}
		return tx.AppendLedger(ctx, domain.LedgerEntry{
			ID: uuid.Must(uuid.NewV7()).String(), AccountID: m.userID, UserID: m.userID, Seq: a.LedgerSeq, Type: domain.TxBuy,
			StockCode: m.code, OrderID: o.ID, Quantity: qty, Price: decimal.NewNullDecimal(st.Price),
			Amount: set.Amount, Commission: set.Commission, Tax: set.Tax,
			CashBalanceBefore: before, CashBalanceAfter: a.Cash, CreatedAt: now,
		})
	})
}
