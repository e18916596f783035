package service

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

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
func (s *Service) Portfolio(ctx context.Context, userID string) (Portfolio, error) {
	a, err := s.store.GetAccount(ctx, userID)
	if err != nil {
		return Portfolio{}, err
	}
	hs, err := s.store.ListHoldings(ctx, userID)
	if err != nil {
		return Portfolio{}, err
	}
	p := Portfolio{Holdings: make([]HoldingView, 0, len(hs))}
	t := &p.Totals
	t.CostBasis, t.MarketValue = decimal.Zero, decimal.Zero
	for _, h := range hs {
		if h.Quantity == 0 {
			continue
		}
		st, err := s.store.GetStock(ctx, h.StockCode)
		if err != nil {
			return Portfolio{}, err
		}
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
func (s *Service) Summary(ctx context.Context, userID string) (Summary, error) {
	a, err := s.store.GetAccount(ctx, userID)
	if err != nil {
		return Summary{}, err
	}
	p, err := s.Portfolio(ctx, userID)
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
