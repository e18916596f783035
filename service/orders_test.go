package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func limit(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }

// trader signs a user up (10,000,000 won) and lists 005930 at 70,000.
func trader(t *testing.T, svc *service.Service, email string) service.Target {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.Market.Stock(ctx, "005930"); domain.IsCode(err, domain.CodeNotFound) {
		if _, err := svc.Market.Upsert(ctx, service.StockInput{Code: "005930", Name: "삼성전자", Market: "KOSPI", Price: limit("70000")}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.Users.Signup(ctx, service.SignupInput{Email: email, Password: "correct-horse", Nickname: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return service.Personal(res.User.ID)
}

func TestMarketOrdersSettleAtOnce(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "market@example.com")

	buy, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 10})
	if err != nil {
		t.Fatal(err)
	}
	// At the ask, one tick over the last trade of 70,000: 701,000 + 105
	// commission.
	if o := buy.Order; o.Status != domain.Filled || len(o.Executions) != 1 || !o.Commission.Equal(d("105")) || !o.ReservedAmount.IsZero() {
		t.Fatalf("buy %+v", o)
	}
	b, err := svc.Accounts.Balance(ctx, u)
	if err != nil || !b.Account.Cash.Equal(d("9298895")) || !b.Account.ReservedCash.IsZero() || !b.HoldingsValue.Equal(d("700000")) {
		t.Fatalf("balance %+v %v", b, err)
	}
	// At the bid, 69,900: 279,600, of which 0.20% (559) is tax.
	sell, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Sell, Type: domain.MarketOrder, Quantity: 4})
	if err != nil || sell.Order.Status != domain.Filled || !sell.Order.Tax.Equal(d("559")) {
		t.Fatalf("sell %+v %v", sell.Order, err)
	}
	_, err = svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Sell, Type: domain.MarketOrder, Quantity: 7})
	if !domain.IsCode(err, domain.CodeInsufficientStock) {
		t.Fatalf("selling more than held: %v", err)
	}
	_, err = svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 200})
	if !domain.IsCode(err, domain.CodeInsufficientFunds) {
		t.Fatalf("buying beyond cash: %v", err)
	}
	assertAudit(t, svc)
}

func TestRestingLimitFillsWhenATradeCrossesIt(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "limit@example.com")
	res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC, Quantity: 5, LimitPrice: limit("69500")})
	if err != nil || res.Order.Status != domain.Pending || !res.Order.ReservedAmount.Equal(d("347552")) {
		t.Fatalf("resting buy %+v %v", res.Order, err)
	}
	// A trade above the limit leaves it resting; one at or below fills it.
	if n, err := svc.Market.Tick(ctx, "005930", d("69600")); err != nil || n != 0 {
		t.Fatalf("tick above the limit filled %d: %v", n, err)
	}
	if n, err := svc.Market.Tick(ctx, "005930", d("69400")); err != nil || n != 1 {
		t.Fatalf("crossing tick filled %d: %v", n, err)
	}
	o, err := svc.Orders.Get(ctx, u.UserID, res.Order.ID)
	if err != nil || o.Status != domain.Filled || len(o.Executions) != 1 {
		t.Fatalf("after the tick %+v %v", o, err)
	}
	b, _ := svc.Accounts.Balance(ctx, u)
	if !b.Account.ReservedCash.IsZero() {
		t.Fatalf("the fill left %s reserved", b.Account.ReservedCash)
	}
	assertAudit(t, svc)
}

func TestCancelAndExpiry(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "cancel@example.com")
	other := trader(t, svc, "other@example.com")
	place := func(tif domain.TimeInForce) domain.Order {
		t.Helper()
		res, err := svc.Orders.Place(ctx, u, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: tif, Quantity: 1, LimitPrice: limit("60000")})
		if err != nil {
			t.Fatal(err)
		}
		return res.Order
	}
	o := place(domain.GTC)
	if _, err := svc.Orders.Cancel(ctx, other.UserID, o.ID); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("another user's cancel: %v", err)
	}
	c, err := svc.Orders.Cancel(ctx, u.UserID, o.ID)
	if err != nil || c.Status != domain.Cancelled {
		t.Fatalf("cancel %+v %v", c, err)
	}
	if _, err := svc.Orders.Cancel(ctx, u.UserID, o.ID); !domain.IsCode(err, domain.CodeConflict) {
		t.Fatalf("second cancel: %v", err)
	}

	day := place(domain.Day)
	// Expiring before the close is refused, and says where the order is.
	got, err := svc.Orders.Close(ctx, day.ID, domain.Expired, "test")
	if !domain.IsCode(err, domain.CodeConflict) || got.ID != day.ID || got.Status != domain.Pending {
		t.Fatalf("early expiry: %+v %v", got, err)
	}
	if day.ExpiresAt.Before(time.Now()) {
		t.Fatalf("a DAY order placed now expires at %s", day.ExpiresAt)
	}
	b, _ := svc.Accounts.Balance(ctx, u)
	if !b.Account.ReservedCash.Equal(day.ReservedAmount) {
		t.Fatalf("reserved %s, want the DAY order's %s", b.Account.ReservedCash, day.ReservedAmount)
	}
	assertAudit(t, svc)
}

func TestClientOrderIDAndAccountTargets(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u := trader(t, svc, "cid@example.com")
	other := trader(t, svc, "cid-other@example.com")
	req := domain.OrderRequest{ClientOrderID: "mine-1", StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1}
	first, err := svc.Orders.Place(ctx, u, req)
	if err != nil || !first.Created {
		t.Fatal(err)
	}
	again, err := svc.Orders.Place(ctx, u, req)
	if err != nil || again.Created || again.Order.ID != first.Order.ID {
		t.Fatalf("replay %+v %v", again, err)
	}
	req.Quantity = 2
	if _, err := svc.Orders.Place(ctx, u, req); !domain.IsCode(err, domain.CodeConflict) {
		t.Fatalf("a different order under the same client id: %v", err)
	}
	// Another user's account is not found, whatever the request.
	stranger := service.Target{UserID: other.UserID, AccountID: u.UserID}
	if _, err := svc.Orders.Place(ctx, stranger, domain.OrderRequest{StockCode: "005930", Side: domain.Buy, Type: domain.MarketOrder, Quantity: 1}); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("order on another user's account: %v", err)
	}
	if _, err := svc.Accounts.Deposit(ctx, stranger, d("1000")); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("deposit into another user's account: %v", err)
	}
	if _, err := svc.Accounts.Balance(ctx, stranger); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("another user's balance: %v", err)
	}
	assertAudit(t, svc)
}

func assertAudit(t *testing.T, svc *service.Service) {
	t.Helper()
	rep, err := svc.Audit.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Violations {
		t.Error("audit:", v)
	}
}
