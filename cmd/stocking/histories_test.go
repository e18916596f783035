package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	temporaladapter "github.com/stocking-kr/stocking/adapters/temporal"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// TestRecordWorkflowHistories records real histories of the order
// workflow's paths from a real server, as fixtures for the replay test in
// workflows/. It runs only when STOCKING_RECORD_HISTORIES names the output
// directory, and writes into its v<workflows.HistoryVersion> folder:
//
//	STOCKING_RECORD_HISTORIES=$PWD/workflows/testdata/histories go test ./cmd/stocking -run 'TestRecord.*Histories'
//
// Record after each change to a workflow (which bumps HistoryVersion). A
// history already recorded is never overwritten: older generations stay
// as long as runs that began under them may still be open.
func TestRecordWorkflowHistories(t *testing.T) {
	dir := os.Getenv("STOCKING_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set STOCKING_RECORD_HISTORIES to a directory to record workflow histories")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	// No relay in the Main: the recorder delivers the outbox itself, so it
	// can choose what reaches the workflows first.
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true})
	relay := temporaladapter.NewRelay(m.Store, m.Temporal, m.Config.TemporalTaskQueue, "test", nil)
	ctx := context.Background()
	deliver := func(skip func(ports.OutboxMessage) bool) {
		t.Helper()
		msgs, err := m.Store.DueOutbox(ctx, time.Now().Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		var drop []string
		for _, msg := range msgs {
			if skip != nil && skip(msg) {
				drop = append(drop, msg.ID)
			}
		}
		if len(drop) > 0 {
			if _, err := m.Store.DeleteOutbox(ctx, drop); err != nil {
				t.Fatal(err)
			}
		}
		for {
			n, err := relay.Pass(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if size, _ := m.Store.OutboxSize(ctx); n == 0 || size == 0 {
				return
			}
		}
	}
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "recorder@example.com")
	uid := userID(t, m, u)
	place := func(limit string, tif domain.TimeInForce) domain.Order {
		res, err := m.Service.Orders.Place(ctx, service.Personal(uid), domain.OrderRequest{
			StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: tif,
			Quantity: 1, LimitPrice: decimal.NewNullDecimal(decimal.RequireFromString(limit)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.Order
	}

	// accepted waits until the workflow has run its first task (a query
	// is answered only after it) and reports the order still resting.
	accepted := func(id string) {
		t.Helper()
		waitFor(t, "the workflow to accept the order", 10*time.Second, func() bool {
			v, err := m.Temporal.QueryWorkflow(ctx, workflows.OrderWorkflowID(id), "", workflows.QueryOrderStatus)
			var st domain.OrderStatus
			return err == nil && v.Get(&st) == nil && st == domain.Pending
		})
	}

	// Accepted, then filled by a crossing tick.
	filled := place("69500", domain.GTC)
	deliver(nil)
	accepted(filled.ID)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69400"})
	deliver(nil)
	workflowResult(t, m.Temporal, filled.ID)
	record(t, m.Temporal, workflows.OrderWorkflowID(filled.ID), filepath.Join(dir, "order-filled.json"))

	// Accepted, then cancelled through the update.
	cancelled := place("60000", domain.Day)
	deliver(nil)
	accepted(cancelled.ID)
	u.must(200, "POST", "/orders/"+cancelled.ID+"/cancel", nil)
	workflowResult(t, m.Temporal, cancelled.ID)
	record(t, m.Temporal, workflows.OrderWorkflowID(cancelled.ID), filepath.Join(dir, "order-cancelled.json"))

	// A DAY order whose close comes in two seconds: its row and its
	// workflow are given the near expiry, so the timer fires for real.
	exp := place("60000", domain.Day)
	exp.ExpiresAt = time.Now().UTC().Add(2 * time.Second)
	if err := m.Store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		_, err := tx.UpdateOrder(ctx, exp, domain.Pending)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ev := workflows.OrderInputFor(exp)
	if _, err := m.Temporal.ExecuteWorkflow(ctx, temporaladapter.StartOptions(workflows.OrderWorkflowID(exp.ID), m.Config.TemporalTaskQueue), workflows.OrderWorkflowName, ev); err != nil {
		t.Fatal(err)
	}
	deliver(nil) // the relay's start joins the running workflow
	if out := workflowResult(t, m.Temporal, exp.ID); out.Status != string(domain.Expired) {
		t.Fatalf("expiring order: %+v", out)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(exp.ID), filepath.Join(dir, "order-expired.json"))

	// Filled before its workflow ever started: the fill's
	// signal-with-start creates the workflow, which finds the row final.
	late := place("69300", domain.GTC)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "69200"})
	deliver(func(msg ports.OutboxMessage) bool { return msg.Kind == service.OutboxOrderStart && msg.Key == late.ID })
	if out := workflowResult(t, m.Temporal, late.ID); out.Status != string(domain.Filled) {
		t.Fatalf("late start: %+v", out)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(late.ID), filepath.Join(dir, "order-filled-before-start.json"))

	// Filled in two parts by trades of one share each, then cancelled:
	// the workflow hears both partial fills before the cancel.
	res, err := m.Service.Orders.Place(ctx, service.Personal(uid), domain.OrderRequest{
		StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC,
		Quantity: 3, LimitPrice: decimal.NewNullDecimal(decimal.RequireFromString("68000")),
	})
	if err != nil {
		t.Fatal(err)
	}
	part := res.Order
	deliver(nil)
	accepted(part.ID)
	for range 2 {
		if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString("68000"), Volume: new(int64(1))}); err != nil {
			t.Fatal(err)
		}
		deliver(nil)
	}
	waitFor(t, "the workflow to hear both partial fills", 10*time.Second, func() bool {
		o, err := m.Store.GetOrder(ctx, part.ID)
		if err != nil || o.FilledQuantity != 2 {
			return false
		}
		v, err := m.Temporal.QueryWorkflow(ctx, workflows.OrderWorkflowID(part.ID), "", workflows.QueryOrderStatus)
		var st domain.OrderStatus
		return err == nil && v.Get(&st) == nil && st == domain.PartiallyFilled
	})
	u.must(200, "POST", "/orders/"+part.ID+"/cancel", nil)
	if out := workflowResult(t, m.Temporal, part.ID); out.Status != string(domain.Cancelled) {
		t.Fatalf("partially filled order: %+v", out)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(part.ID), filepath.Join(dir, "order-partially-filled.json"))

	// Modified through the update twice (a larger size, then after a
	// partial fill a higher price), then filled: the order query follows
	// each change, and the workflow completes on the last fill.
	res, err = m.Service.Orders.Place(ctx, service.Personal(uid), domain.OrderRequest{
		StockCode: "005930", Side: domain.Buy, Type: domain.LimitOrder, TimeInForce: domain.GTC,
		Quantity: 2, LimitPrice: decimal.NewNullDecimal(decimal.RequireFromString("67000")),
	})
	if err != nil {
		t.Fatal(err)
	}
	mod := res.Order
	deliver(nil)
	accepted(mod.ID)
	u.must(200, "PATCH", "/orders/"+mod.ID, map[string]any{"quantity": 4})
	if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString("67000"), Volume: new(int64(1))}); err != nil {
		t.Fatal(err)
	}
	deliver(nil)
	queryOrder := func() workflows.OrderState {
		v, err := m.Temporal.QueryWorkflow(ctx, workflows.OrderWorkflowID(mod.ID), "", workflows.QueryOrder)
		var st workflows.OrderState
		if err == nil {
			err = v.Get(&st)
		}
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitFor(t, "the workflow to hear the partial fill of the modified order", 10*time.Second, func() bool {
		st := queryOrder()
		return st.Status == string(domain.PartiallyFilled) && st.FilledQuantity == 1 && st.Quantity == 4
	})
	u.must(200, "PATCH", "/orders/"+mod.ID, map[string]any{"limit_price": "67500"})
	if st := queryOrder(); st.Quantity != 4 || st.LimitPrice != "67500" || st.FilledQuantity != 1 {
		t.Fatalf("order query after the second modify: %+v", st)
	}
	if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString("67000"), Volume: new(int64(3))}); err != nil {
		t.Fatal(err)
	}
	deliver(nil)
	if out := workflowResult(t, m.Temporal, mod.ID); out.Status != string(domain.Filled) {
		t.Fatalf("modified order: %+v", out)
	}
	if o, err := m.Store.GetOrder(ctx, mod.ID); err != nil || o.FilledQuantity != 4 || o.Quantity != 4 {
		t.Fatalf("modified order in the database: %+v %v", o, err)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(mod.ID), filepath.Join(dir, "order-modified.json"))

	// Stop orders: accepted, then triggered by a trade at their stop
	// price. The STOP_LIMIT buy rests on as a limit that the same trade
	// fills; the STOP sell executes at once at the bid.
	stop := func(side domain.Side, typ domain.OrderType, stopPrice, limitPrice string) domain.Order {
		t.Helper()
		req := domain.OrderRequest{StockCode: "005930", Side: side, Type: typ, TimeInForce: domain.GTC, Quantity: 1,
			StopPrice: decimal.NewNullDecimal(decimal.RequireFromString(stopPrice))}
		if limitPrice != "" {
			req.LimitPrice = decimal.NewNullDecimal(decimal.RequireFromString(limitPrice))
		}
		res, err := m.Service.Orders.Place(ctx, service.Personal(uid), req)
		if err != nil {
			t.Fatal(err)
		}
		deliver(nil)
		accepted(res.Order.ID)
		return res.Order
	}
	trade := func(price string) {
		t.Helper()
		if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString(price), Volume: new(int64(1))}); err != nil {
			t.Fatal(err)
		}
		deliver(nil)
	}
	stopLimit := stop(domain.Buy, domain.StopLimitOrder, "68500", "68600")
	trade("68500")
	if out := workflowResult(t, m.Temporal, stopLimit.ID); out.Status != string(domain.Filled) || out.TriggeredAt.IsZero() {
		t.Fatalf("stop-limit order: %+v", out)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(stopLimit.ID), filepath.Join(dir, "order-stop-limit-triggered.json"))
	stopSell := stop(domain.Sell, domain.StopOrder, "67000", "")
	trade("67000")
	if out := workflowResult(t, m.Temporal, stopSell.ID); out.Status != string(domain.Filled) || out.TriggeredAt.IsZero() {
		t.Fatalf("stop order: %+v", out)
	}
	record(t, m.Temporal, workflows.OrderWorkflowID(stopSell.ID), filepath.Join(dir, "order-stop-filled.json"))
	audit(t, m)
}

func userID(t *testing.T, m *Main, u *apiClient) string {
	t.Helper()
	return u.must(200, "GET", "/users/me", nil)["id"].(string)
}

// record writes a closed workflow's full history as protojson, into the
// folder of the current generation of the workflows.
func record(t *testing.T, c client.Client, workflowID, path string) {
	t.Helper()
	path = filepath.Join(filepath.Dir(path), fmt.Sprintf("v%d", workflows.HistoryVersion), filepath.Base(path))
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists: recorded histories are never overwritten; bump workflows.HistoryVersion after changing a workflow", path)
	}
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(h.Events), workflowID, path)
}

// TestRecordPaymentHistories records the payment workflow's paths against a
// real server and the fake PortOne, like TestRecordWorkflowHistories.
func TestRecordPaymentHistories(t *testing.T) {
	dir := os.Getenv("STOCKING_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set STOCKING_RECORD_HISTORIES to a directory to record workflow histories")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	e := startPayEnv(t, func(extra map[string]string) func(string) string { return temporalEnv(t, ts, extra) },
		Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true}, portonefake.Config{})
	u := signup(t, e.m, "payment-recorder@example.com")
	closed := func(id string) workflows.PaymentOutcome {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out workflows.PaymentOutcome
		if err := e.m.Temporal.GetWorkflow(ctx, workflows.PaymentWorkflowID(id), "").Get(ctx, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	// Paid, then the browser's completion call (the webhook held back).
	p := e.prepare(u, 10000, "")
	id := p["payment_id"].(string)
	e.hooks.hold(id, true)
	if _, err := e.fake.Pay(id, p["order_name"].(string), amountOf(t, p), "KRW"); err != nil {
		t.Fatal(err)
	}
	u.must(200, "POST", "/payments/portone/complete", map[string]any{"payment_id": id})
	if out := closed(id); out.Status != string(domain.PaymentPaid) {
		t.Fatalf("completion path: %+v", out)
	}
	record(t, e.m.Temporal, workflows.PaymentWorkflowID(id), filepath.Join(dir, "payment-completed.json"))

	// Paid, and only the webhook tells.
	p = e.prepare(u, 20000, "")
	id = p["payment_id"].(string)
	if _, err := e.fake.Pay(id, p["order_name"].(string), amountOf(t, p), "KRW"); err != nil {
		t.Fatal(err)
	}
	if out := closed(id); out.Status != string(domain.PaymentPaid) {
		t.Fatalf("webhook path: %+v", out)
	}
	record(t, e.m.Temporal, workflows.PaymentWorkflowID(id), filepath.Join(dir, "payment-webhook.json"))

	// Paid another amount: mismatched and refunded.
	p = e.prepare(u, 30000, "")
	id = p["payment_id"].(string)
	if _, err := e.fake.PayWithAmount(id, p["order_name"].(string), 3000, "KRW"); err != nil {
		t.Fatal(err)
	}
	if out := closed(id); out.Status != string(domain.PaymentMismatched) {
		t.Fatalf("mismatch path: %+v", out)
	}
	record(t, e.m.Temporal, workflows.PaymentWorkflowID(id), filepath.Join(dir, "payment-mismatched.json"))
}
