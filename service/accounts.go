package service

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Accounts is the money side of a user: cash in and out, the balance, the
// portfolio valued at market prices, trading statistics and the ledger.
type Accounts struct{ *core }

// bookCash moves cash in or out of a locked (or just created) account and
// writes the ledger row with the balance around it.
func (s *core) bookCash(ctx context.Context, tx ports.Tx, a *domain.Account, typ domain.TxType, amount decimal.Decimal, paymentID, memo string) error {
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
		ID: s.ids.NewID(), AccountID: a.ID, UserID: a.UserID, Seq: a.LedgerSeq, Type: typ, PaymentID: paymentID,
		Amount: amount, Commission: decimal.Zero, Tax: decimal.Zero,
		CashBalanceBefore: before, CashBalanceAfter: a.Cash, Memo: memo, CreatedAt: now,
	})
}

// Deposit adds virtual cash.
func (s *Accounts) Deposit(ctx context.Context, t Target, amount decimal.Decimal) (domain.Account, error) {
	return s.moveCash(ctx, t, domain.TxDeposit, amount)
}

// Withdraw removes available virtual cash.
func (s *Accounts) Withdraw(ctx context.Context, t Target, amount decimal.Decimal) (domain.Account, error) {
	return s.moveCash(ctx, t, domain.TxWithdraw, amount)
}

func (s *Accounts) moveCash(ctx context.Context, t Target, typ domain.TxType, amount decimal.Decimal) (domain.Account, error) {
	if err := domain.ValidateCashAmount("amount", amount); err != nil {
		return domain.Account{}, err
	}
	var a domain.Account
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		if a, err = lockAccount(ctx, tx, t); err != nil {
			return err
		}
		if err := s.freeCash(&a, typ, amount); err != nil {
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

// List returns the user's accounts, the personal one first, each with its
// balance.
func (s *Accounts) List(ctx context.Context, userID string) ([]Balance, error) {
	as, err := s.store.ListAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Balance, 0, len(as))
	for _, a := range as {
		p, err := s.portfolio(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, Balance{Account: a, HoldingsValue: p.Totals.MarketValue})
	}
	return out, nil
}

// Balance is the cash view of an account.
type Balance struct {
	Account       domain.Account
	HoldingsValue decimal.Decimal
}

// TotalEquity is cash plus the market value of holdings.
func (b Balance) TotalEquity() decimal.Decimal { return b.Account.Cash.Add(b.HoldingsValue) }

// Balance returns the user's cash and the value of their holdings.
func (s *Accounts) Balance(ctx context.Context, t Target) (Balance, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return Balance{}, err
	}
	p, err := s.portfolio(ctx, a)
	if err != nil {
		return Balance{}, err
	}
	return Balance{Account: a, HoldingsValue: p.Totals.MarketValue}, nil
}

// HoldingView is a holding priced at the market.
type HoldingView struct {
	Holding domain.Holding
	Stock   domain.Stock
	domain.Valuation
}

// PortfolioTotals sums the holdings.
type PortfolioTotals struct {
	CostBasis         decimal.Decimal
	MarketValue       decimal.Decimal
	UnrealizedPnL     decimal.Decimal
	UnrealizedPnLRate decimal.Decimal
	Cash              decimal.Decimal
	TotalEquity       decimal.Decimal
}

// Portfolio is every holding with totals.
type Portfolio struct {
	Holdings []HoldingView
	Totals   PortfolioTotals
}

// Portfolio values the user's holdings at current prices.
func (s *Accounts) Portfolio(ctx context.Context, t Target) (Portfolio, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return Portfolio{}, err
	}
	return s.portfolio(ctx, a)
}

func (s *Accounts) portfolio(ctx context.Context, a domain.Account) (Portfolio, error) {
	ps, err := s.store.ListPositions(ctx, a.ID)
	if err != nil {
		return Portfolio{}, err
	}
	p := Portfolio{Holdings: make([]HoldingView, 0, len(ps))}
	t := &p.Totals
	t.CostBasis, t.MarketValue = decimal.Zero, decimal.Zero
	for _, pos := range ps {
		h, st := pos.Holding, pos.Stock
		v := domain.Value(h.Quantity, h.AveragePrice, st.Price)
		p.Holdings = append(p.Holdings, HoldingView{Holding: h, Stock: st, Valuation: v})
		t.CostBasis = t.CostBasis.Add(v.CostBasis)
		t.MarketValue = t.MarketValue.Add(v.MarketValue)
	}
	t.UnrealizedPnL = t.MarketValue.Sub(t.CostBasis)
	t.UnrealizedPnLRate = domain.Percent(t.UnrealizedPnL, t.CostBasis)
	t.Cash = a.Cash
	t.TotalEquity = a.Cash.Add(t.MarketValue)
	return p, nil
}

// Summary is the trading statistics of a user.
type Summary struct {
	TotalTrades     int64
	BuyTrades       int64
	SellTrades      int64
	WinningTrades   int64
	LosingTrades    int64
	WinRate         decimal.Decimal // percent of sells with a profit
	RealizedPnL     decimal.Decimal
	UnrealizedPnL   decimal.Decimal
	TotalCommission decimal.Decimal
	TotalTax        decimal.Decimal
	NetDeposits     decimal.Decimal // deposits − withdrawals
	TotalEquity     decimal.Decimal
	TotalReturn     decimal.Decimal // equity − net deposits
	ReturnRate      decimal.Decimal // percent of net deposits
}

// Summary computes the user's trading statistics from the running totals
// kept on the account and the current portfolio value.
func (s *Accounts) Summary(ctx context.Context, t Target) (Summary, error) {
	a, err := s.account(ctx, t)
	if err != nil {
		return Summary{}, err
	}
	p, err := s.portfolio(ctx, a)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{
		TotalTrades: a.BuyCount + a.SellCount, BuyTrades: a.BuyCount, SellTrades: a.SellCount,
		WinningTrades: a.WinCount, LosingTrades: a.LossCount,
		WinRate:     domain.Percent(decimal.NewFromInt(a.WinCount), decimal.NewFromInt(a.SellCount)),
		RealizedPnL: a.RealizedPnL, UnrealizedPnL: p.Totals.UnrealizedPnL,
		TotalCommission: a.TotalCommission, TotalTax: a.TotalTax,
		NetDeposits: a.TotalDeposits.Sub(a.TotalWithdrawal), TotalEquity: p.Totals.TotalEquity,
	}
	sum.TotalReturn = sum.TotalEquity.Sub(sum.NetDeposits)
	sum.ReturnRate = domain.Percent(sum.TotalReturn, sum.NetDeposits)
	return sum, nil
}

// LedgerQuery filters the ledger.
type LedgerQuery struct {
	Type      string
	StockCode string
	From, To  time.Time
	Cursor    string
	Limit     int
}

// Transactions returns a page of the user's ledger, newest first, and the
// next cursor.
func (s *Accounts) Transactions(ctx context.Context, t Target, q LedgerQuery) ([]domain.LedgerEntry, string, error) {
	if _, err := s.account(ctx, t); err != nil {
		return nil, "", err
	}
	typ := domain.TxType(strings.ToUpper(q.Type))
	switch typ {
	case "", domain.TxBuy, domain.TxSell, domain.TxDeposit, domain.TxWithdraw, domain.TxDividend, domain.TxFee, domain.TxTax:
	default:
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "type", "must be one of BUY, SELL, DEPOSIT, WITHDRAW, DIVIDEND, FEE, TAX")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "from", "must be before to")
	}
	limit := page(q.Limit, 50, 200)
	rows, err := s.store.ListLedger(ctx, ports.LedgerFilter{AccountID: t.ID(), Type: typ, StockCode: q.StockCode, From: q.From, To: q.To, Before: q.Cursor, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	return rows, next, nil
}
