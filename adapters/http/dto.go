package httpapi

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// The wire types below are the JSON contract with the front end: snake_case
// names, money as decimal strings (never floats, so no won is lost to
// binary rounding), quantities as integers, times in RFC 3339 UTC, and
// nullable fields present as null rather than omitted, so a client can tell
// "no limit price" from "field renamed".

// Envelope wraps every successful body: the existing front end reads data.
type Envelope[T any] struct {
	Data T `json:"data" nullable:"false"`
}

// Page is the body of every list: the rows in data and the cursor of the
// next page beside them, null on the last page (and always null for lists
// that come whole, such as the listings or the watchlist), so that clients
// read every list the same way.
type Page[T any] struct {
	Data       []T     `json:"data" nullable:"false"`
	NextCursor *string `json:"next_cursor" doc:"Pass as cursor to get the next page; null on the last page."`
}

// money renders an amount the way the API always does: a plain decimal
// string without trailing zeros ("70000", "1234.5").
func money(d decimal.Decimal) string { return d.String() }

func nullMoney(d decimal.NullDecimal) *string {
	if !d.Valid {
		return nil
	}
	s := d.Decimal.String()
	return &s
}

// quote is a quote as a nullable amount: zero is none.
func quote(d decimal.Decimal) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: d, Valid: !d.IsZero()}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utc(t time.Time) time.Time { return t.UTC() }

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// User is a profile.
type User struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	Nickname     string     `json:"nickname"`
	Role         string     `json:"role" enum:"user,admin"`
	PremiumUntil *time.Time `json:"premium_until" doc:"End of the premium subscription; null when never subscribed."`
	IsPremium    bool       `json:"is_premium"`
	CreatedAt    time.Time  `json:"created_at"`
	Public       bool       `json:"public" doc:"Shown on leaderboards."`
}

func userDTO(u domain.User, now time.Time) User {
	return User{
		ID: u.ID, Email: u.Email, Nickname: u.Nickname, Role: string(u.Role),
		PremiumUntil: nullTime(u.PremiumUntil), IsPremium: u.Premium(now), CreatedAt: utc(u.CreatedAt),
		Public: u.Public,
	}
}

// Tokens is what signup, login and refresh answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" enum:"Bearer"`
	ExpiresIn    int64  `json:"expires_in" doc:"Lifetime of the access token in seconds."`
	User         User   `json:"user"`
}

func tokensDTO(r service.AuthResult, now time.Time) Tokens {
	return Tokens{
		AccessToken: r.Tokens.AccessToken, RefreshToken: r.Tokens.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int64(r.Tokens.ExpiresIn.Seconds()), User: userDTO(r.User, now),
	}
}

// Stock is a listing with its quote, price band and tick size.
type Stock struct {
	Code       string    `json:"code" example:"005930"`
	Name       string    `json:"name" example:"삼성전자"`
	NameEn     string    `json:"name_en" example:"Samsung Electronics"`
	Market     string    `json:"market" enum:"KOSPI,KOSDAQ"`
	Price      string    `json:"price" example:"70000"`
	PrevClose  string    `json:"prev_close" example:"69500"`
	Change     string    `json:"change" example:"500"`
	ChangeRate string    `json:"change_rate" example:"0.72" doc:"Change since the previous close, in percent."`
	UpperLimit string    `json:"upper_limit" example:"90300" doc:"Highest valid limit price today (+30%, on the tick grid)."`
	LowerLimit string    `json:"lower_limit" example:"48700" doc:"Lowest valid limit price today (-30%, on the tick grid)."`
	TickSize   string    `json:"tick_size" example:"100" doc:"Price step at the current price."`
	Bid        *string   `json:"bid" example:"69900" doc:"Best bid after the latest trade; null when the source gave none."`
	Ask        *string   `json:"ask" example:"70000" doc:"Best ask after the latest trade; null when the source gave none."`
	Volume     int64     `json:"volume" example:"1520340" doc:"Shares traded today (since the day was rolled)."`
	Active     bool      `json:"active"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func stockDTO(s domain.Stock) Stock {
	band := domain.PriceBand(s.PrevClose)
	return Stock{
		Code: s.Code, Name: s.Name, NameEn: s.NameEn, Market: string(s.Market),
		Price: money(s.Price), PrevClose: money(s.PrevClose),
		Change: money(s.Change()), ChangeRate: money(s.ChangeRate()),
		UpperLimit: money(band.Upper), LowerLimit: money(band.Lower),
		TickSize: money(domain.TickSize(s.Price)), Active: s.Active, UpdatedAt: utc(s.UpdatedAt),
		Bid: nullMoney(quote(s.Bid)), Ask: nullMoney(quote(s.Ask)), Volume: s.Volume,
	}
}

// PricePoint is one recorded price.
type PricePoint struct {
	Price      string    `json:"price"`
	RecordedAt time.Time `json:"recorded_at"`
}

// MarketStatus is the session state.
type MarketStatus struct {
	Open       bool       `json:"open"`
	Status     string     `json:"status" enum:"OPEN,CLOSED"`
	Now        time.Time  `json:"now"`
	NextOpen   *time.Time `json:"next_open" doc:"Start of the next session; null while the market is open."`
	NextClose  time.Time  `json:"next_close"`
	Timezone   string     `json:"timezone" example:"Asia/Seoul"`
	AlwaysOpen bool       `json:"always_open" doc:"True when MARKET_HOURS=always keeps the market open around the clock."`
}

// Balance is the cash view of an account.
type Balance struct {
	Cash          string `json:"cash" example:"10000000"`
	ReservedCash  string `json:"reserved_cash" example:"0" doc:"Held by open buy orders."`
	AvailableCash string `json:"available_cash" example:"10000000" doc:"What new orders and withdrawals may use."`
	HoldingsValue string `json:"holdings_value" example:"0"`
	TotalEquity   string `json:"total_equity" example:"10000000"`
	Currency      string `json:"currency" example:"KRW"`
}

func balanceDTO(b service.Balance) Balance {
	a := b.Account
	return Balance{
		Cash: money(a.Cash), ReservedCash: money(a.ReservedCash), AvailableCash: money(a.Available()),
		HoldingsValue: money(b.HoldingsValue), TotalEquity: money(b.TotalEquity()), Currency: domain.Currency,
	}
}

// Execution is one fill of an order.
type Execution struct {
	ID          string    `json:"id"`
	Quantity    int64     `json:"quantity"`
	Price       string    `json:"price"`
	Amount      string    `json:"amount"`
	Commission  string    `json:"commission"`
	Tax         string    `json:"tax"`
	RealizedPnL string    `json:"realized_pnl" doc:"Set on sells; 0 on buys."`
	ExecutedAt  time.Time `json:"executed_at"`
}

// Order is an order and its executions.
type Order struct {
	ID                string      `json:"id"`
	ClientOrderID     *string     `json:"client_order_id"`
	StockCode         string      `json:"stock_code"`
	Side              string      `json:"side" enum:"BUY,SELL"`
	Type              string      `json:"type" enum:"MARKET,LIMIT,STOP,STOP_LIMIT"`
	TimeInForce       *string     `json:"time_in_force" enum:"DAY,GTC,IOC,FOK" doc:"DAY or GTC for resting orders, IOC or FOK for immediate ones; null for a MARKET order sent without one."`
	Quantity          int64       `json:"quantity"`
	LimitPrice        *string     `json:"limit_price"`
	StopPrice         *string     `json:"stop_price" doc:"The trigger of a STOP or STOP_LIMIT order; null for other types."`
	TriggeredAt       *time.Time  `json:"triggered_at" doc:"When a stop order's trigger was reached; null before, and for other types."`
	Status            string      `json:"status" enum:"PENDING,PARTIALLY_FILLED,FILLED,CANCELLED,EXPIRED,REJECTED"`
	FilledQuantity    int64       `json:"filled_quantity"`
	RemainingQuantity int64       `json:"remaining_quantity" doc:"Shares still to fill: quantity − filled_quantity while the order is open, 0 once it is final."`
	AverageFillPrice  *string     `json:"average_fill_price" doc:"The volume-weighted price of the executions; null before the first."`
	ReservedAmount    string      `json:"reserved_amount" doc:"Cash a resting BUY holds; 0 once final."`
	Commission        string      `json:"commission"`
	Tax               string      `json:"tax"`
	ExpiresAt         *time.Time  `json:"expires_at" doc:"When a DAY order expires; null for GTC and MARKET orders."`
	Reason            *string     `json:"reason" doc:"Why an order was cancelled, expired or rejected."`
	PriorityAt        time.Time   `json:"priority_at" doc:"The order's place in the queue at its price: its creation, or its last modification that was more than a size reduction."`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
	Executions        []Execution `json:"executions" nullable:"false"`
}

func orderDTO(o domain.Order) Order {
	exs := make([]Execution, len(o.Executions))
	for i, e := range o.Executions {
		exs[i] = Execution{
			ID: e.ID, Quantity: e.Quantity, Price: money(e.Price), Amount: money(e.Amount),
			Commission: money(e.Commission), Tax: money(e.Tax), RealizedPnL: money(e.RealizedPnL),
			ExecutedAt: utc(e.ExecutedAt),
		}
	}
	remaining := int64(0)
	if o.Open() {
		remaining = o.Remaining()
	}
	return Order{
		ID: o.ID, ClientOrderID: nullString(o.ClientOrderID), StockCode: o.StockCode,
		Side: string(o.Side), Type: string(o.Type), TimeInForce: nullString(string(o.TimeInForce)),
		Quantity: o.Quantity, LimitPrice: nullMoney(o.LimitPrice), Status: string(o.Status),
		StopPrice: nullMoney(o.StopPrice), TriggeredAt: nullTime(o.TriggeredAt),
		FilledQuantity: o.FilledQuantity, RemainingQuantity: remaining, AverageFillPrice: nullMoney(o.AverageFillPrice),
		ReservedAmount: money(o.ReservedAmount), Commission: money(o.Commission), Tax: money(o.Tax),
		ExpiresAt: nullTime(o.ExpiresAt), Reason: nullString(o.Reason), PriorityAt: utc(orTime(o.PriorityAt, o.CreatedAt)),
		CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt), Executions: exs,
	}
}

// Holding is a position priced at the market.
type Holding struct {
	StockCode         string `json:"stock_code"`
	Name              string `json:"name"`
	Quantity          int64  `json:"quantity"`
	ReservedQuantity  int64  `json:"reserved_quantity" doc:"Held by open sell orders."`
	AvailableQuantity int64  `json:"available_quantity"`
	AveragePrice      string `json:"average_price" doc:"Quantity-weighted purchase price, fees excluded."`
	CurrentPrice      string `json:"current_price"`
	CostBasis         string `json:"cost_basis"`
	MarketValue       string `json:"market_value"`
	UnrealizedPnL     string `json:"unrealized_pnl"`
	UnrealizedPnLRate string `json:"unrealized_pnl_rate" doc:"Percent of the cost basis."`
}

// PortfolioTotals sums the holdings and adds cash.
type PortfolioTotals struct {
	CostBasis         string `json:"cost_basis"`
	MarketValue       string `json:"market_value"`
	UnrealizedPnL     string `json:"unrealized_pnl"`
	UnrealizedPnLRate string `json:"unrealized_pnl_rate"`
	Cash              string `json:"cash"`
	TotalEquity       string `json:"total_equity"`
}

// Portfolio is every holding with totals.
type Portfolio struct {
	Holdings []Holding       `json:"holdings" nullable:"false"`
	Totals   PortfolioTotals `json:"totals"`
}

func portfolioDTO(p service.Portfolio) Portfolio {
	hs := make([]Holding, len(p.Holdings))
	for i, h := range p.Holdings {
		hs[i] = Holding{
			StockCode: h.Holding.StockCode, Name: h.Stock.Name, Quantity: h.Holding.Quantity,
			ReservedQuantity: h.Holding.ReservedQuantity, AvailableQuantity: h.Holding.Available(),
			AveragePrice: money(h.Holding.AveragePrice), CurrentPrice: money(h.Stock.Price),
			CostBasis: money(h.CostBasis), MarketValue: money(h.MarketValue),
			UnrealizedPnL: money(h.UnrealizedPnL), UnrealizedPnLRate: money(h.UnrealizedPnLRate),
		}
	}
	t := p.Totals
	return Portfolio{Holdings: hs, Totals: PortfolioTotals{
		CostBasis: money(t.CostBasis), MarketValue: money(t.MarketValue),
		UnrealizedPnL: money(t.UnrealizedPnL), UnrealizedPnLRate: money(t.UnrealizedPnLRate),
		Cash: money(t.Cash), TotalEquity: money(t.TotalEquity),
	}}
}

// Transaction is one ledger row: a real movement of money.
type Transaction struct {
	ID                string    `json:"id"`
	TransactionType   string    `json:"transaction_type" enum:"BUY,SELL,DEPOSIT,WITHDRAW,DIVIDEND,FEE,TAX"`
	StockCode         *string   `json:"stock_code"`
	OrderID           *string   `json:"order_id"`
	PaymentID         *string   `json:"payment_id"`
	Quantity          *int64    `json:"quantity" doc:"Shares traded; null for cash movements."`
	Price             *string   `json:"price"`
	Amount            string    `json:"amount" doc:"Gross amount: quantity × price, or the cash moved."`
	Commission        string    `json:"commission"`
	Tax               string    `json:"tax"`
	CashBalanceBefore string    `json:"cash_balance_before"`
	CashBalanceAfter  string    `json:"cash_balance_after"`
	Memo              string    `json:"memo"`
	TransactionDate   time.Time `json:"transaction_date"`
}

func transactionDTO(l domain.LedgerEntry) Transaction {
	var qty *int64
	if l.StockCode != "" {
		q := l.Quantity
		qty = &q
	}
	return Transaction{
		ID: l.ID, TransactionType: string(l.Type), StockCode: nullString(l.StockCode),
		OrderID: nullString(l.OrderID), PaymentID: nullString(l.PaymentID), Quantity: qty,
		Price: nullMoney(l.Price), Amount: money(l.Amount), Commission: money(l.Commission), Tax: money(l.Tax),
		CashBalanceBefore: money(l.CashBalanceBefore), CashBalanceAfter: money(l.CashBalanceAfter),
		Memo: l.Memo, TransactionDate: utc(l.CreatedAt),
	}
}

// WatchItem is a watchlist entry with its quote.
type WatchItem struct {
	StockCode  string    `json:"stock_code"`
	Name       string    `json:"name"`
	Market     string    `json:"market" enum:"KOSPI,KOSDAQ"`
	Price      string    `json:"price"`
	PrevClose  string    `json:"prev_close"`
	Change     string    `json:"change"`
	ChangeRate string    `json:"change_rate"`
	AddedAt    time.Time `json:"added_at"`
}

func watchDTO(w service.WatchView) WatchItem {
	s := w.Stock
	return WatchItem{
		StockCode: w.Item.StockCode, Name: s.Name, Market: string(s.Market),
		Price: money(s.Price), PrevClose: money(s.PrevClose), Change: money(s.Change()),
		ChangeRate: money(s.ChangeRate()), AddedAt: utc(w.Item.CreatedAt),
	}
}

// Summary is a user's trading statistics.
type Summary struct {
	TotalTrades     int64  `json:"total_trades"`
	BuyTrades       int64  `json:"buy_trades"`
	SellTrades      int64  `json:"sell_trades"`
	WinningTrades   int64  `json:"winning_trades"`
	LosingTrades    int64  `json:"losing_trades"`
	WinRate         string `json:"win_rate" doc:"Percent of sells with a profit."`
	RealizedPnL     string `json:"realized_pnl"`
	UnrealizedPnL   string `json:"unrealized_pnl"`
	TotalCommission string `json:"total_commission"`
	TotalTax        string `json:"total_tax"`
	NetDeposits     string `json:"net_deposits" doc:"Deposits minus withdrawals."`
	TotalEquity     string `json:"total_equity"`
	TotalReturn     string `json:"total_return" doc:"Total equity minus net deposits."`
	ReturnRate      string `json:"return_rate" doc:"Total return in percent of net deposits."`
	TWR             string `json:"twr" doc:"Time-weighted return in percent since the history's start (sign-up or last reset): deposits, withdrawals and top-ups are not gains."`
	MaxDrawdown     string `json:"max_drawdown" doc:"Largest fall from a peak of the time-weighted wealth, in percent."`
	Volatility      string `json:"volatility" doc:"Annualized standard deviation of daily returns, in percent."`
	Sharpe          string `json:"sharpe" doc:"Annualized excess return over RISK_FREE_RATE per unit of volatility."`
}

func summaryDTO(s service.Summary) Summary {
	return Summary{
		TotalTrades: s.TotalTrades, BuyTrades: s.BuyTrades, SellTrades: s.SellTrades,
		WinningTrades: s.WinningTrades, LosingTrades: s.LosingTrades, WinRate: money(s.WinRate),
		RealizedPnL: money(s.RealizedPnL), UnrealizedPnL: money(s.UnrealizedPnL),
		TotalCommission: money(s.TotalCommission), TotalTax: money(s.TotalTax),
		NetDeposits: money(s.NetDeposits), TotalEquity: money(s.TotalEquity),
		TotalReturn: money(s.TotalReturn), ReturnRate: money(s.ReturnRate),
	}
}

// orTime is t, or fallback when t is zero.
func orTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}
