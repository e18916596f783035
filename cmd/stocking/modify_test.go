package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
	"github.com/stocking-kr/stocking/workflows"
)

// TestModifyThroughTemporal modifies a resting order through its
// workflow's modify update on a real Temporal server: the API answers the
// modified order, the workflow's order query follows, a partial fill
// after the modify is heard, a modify to the filled quantity or off the
// grid is refused with nothing changed, the cancel says how much filled,
// and a modify of the final order is a conflict.
func TestModifyThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "modify@example.com")
	ctx := context.Background()

	o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 2, "limit_price": "68000", "time_in_force": "GTC"})
	id := o["id"].(string)
	query := func() (workflows.OrderState, error) {
		v, err := m.Temporal.QueryWorkflow(ctx, workflows.OrderWorkflowID(id), "", workflows.QueryOrder)
		var st workflows.OrderState
		if err == nil {
			err = v.Get(&st)
		}
		return st, err
	}
	waitFor(t, "the order's workflow to accept it", 10*time.Second, func() bool {
		st, err := query()
		return err == nil && st.Status == string(domain.Pending) && st.Quantity == 2
	})

	mod := u.must(200, "PATCH", "/orders/"+id, map[string]any{"quantity": 5})
	if mod["quantity"] != float64(5) || mod["status"] != "PENDING" {
		t.Fatalf("modify: %v", mod)
	}
	if st, err := query(); err != nil || st.Quantity != 5 || st.LimitPrice != "68000" {
		t.Fatalf("order query after the modify: %+v %v", st, err)
	}
	// How long a modify takes through the update: 20 in a row, growing
	// and shrinking the order, each answered once the database has it.
	var took []time.Duration
	for i := range 20 {
		qty := 6 - i%2
		start := time.Now()
		if got := u.must(200, "PATCH", "/orders/"+id, map[string]any{"quantity": qty}); got["quantity"] != float64(qty) {
			t.Fatalf("modify %d: %v", i, got)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("PATCH /orders/{id} through the workflow's update: median %s, max %s of %d", took[len(took)/2].Round(100*time.Microsecond), took[len(took)-1].Round(100*time.Microsecond), len(took))
	if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString("68000"), Volume: new(int64(2))}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the workflow to hear the partial fill", 10*time.Second, func() bool {
		st, err := query()
		return err == nil && st.Status == string(domain.PartiallyFilled) && st.FilledQuantity == 2 && st.Quantity == 5
	})
	before := u.must(200, "GET", "/orders/"+id, nil)
	st, body := u.do("PATCH", "/orders/"+id, map[string]any{"quantity": 2})
	if st != 422 || !strings.Contains(body["detail"].(string), "more than the 2 shares already filled") {
		t.Fatalf("modify to the filled quantity: %d %v", st, body)
	}
	st, body = u.do("PATCH", "/orders/"+id, map[string]any{"limit_price": "68050"})
	if st != 422 || !strings.Contains(body["detail"].(string), "68000 and 68100") {
		t.Fatalf("off-grid modify: %d %v", st, body)
	}
	if after := u.must(200, "GET", "/orders/"+id, nil); after["updated_at"] != before["updated_at"] || after["quantity"] != before["quantity"] {
		t.Fatalf("refused modifies changed the order: %v, then %v", before, after)
	}
	mod = u.must(200, "PATCH", "/orders/"+id, map[string]any{"limit_price": "68100"})
	if mod["limit_price"] != "68100" || mod["filled_quantity"] != float64(2) || mod["status"] != "PARTIALLY_FILLED" {
		t.Fatalf("price modify: %v", mod)
	}
	if st, err := query(); err != nil || st.LimitPrice != "68100" {
		t.Fatalf("order query after the price modify: %+v %v", st, err)
	}

	c := u.must(200, "POST", "/orders/"+id+"/cancel", nil)
	if c["status"] != "CANCELLED" || c["filled_quantity"] != float64(2) || c["reason"] != "cancelled by user after 2 of 5 shares filled" {
		t.Fatalf("cancel: %v", c)
	}
	if out := workflowResult(t, m.Temporal, id); out.Status != string(domain.Cancelled) {
		t.Fatalf("workflow outcome %+v", out)
	}
	st, body = u.do("PATCH", "/orders/"+id, map[string]any{"quantity": 9})
	if st != 409 {
		t.Fatalf("modify of a cancelled order: %d %v", st, body)
	}
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")
	audit(t, m)
}

// TestModifyWhileTemporalIsUnreachable: with no workflow engine to ask,
// the database decides the modify, and the order's workflow is told
// through the outbox.
func TestModifyWhileTemporalIsUnreachable(t *testing.T) {
	env := testEnv(t, map[string]string{"TEMPORAL_ADDRESS": freeAddr(t)})
	m, _ := startMainWith(t, env, Options{Migrate: true, Seed: true, API: true, Relay: true})
	u := signup(t, m, "offline-modify@example.com")
	lo := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000"})
	id := lo["id"].(string)
	if mod := u.must(200, "PATCH", "/orders/"+id, map[string]any{"quantity": 3, "limit_price": "60100"}); mod["quantity"] != float64(3) || mod["limit_price"] != "60100" {
		t.Fatalf("modify while Temporal is down: %v", mod)
	}
	msgs, err := m.Store.DueOutbox(context.Background(), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, msg := range msgs {
		if msg.Key == id {
			kinds[msg.Kind]++
		}
	}
	if kinds[service.OutboxOrderStart] != 1 || kinds[service.OutboxOrderModified] != 1 {
		t.Fatalf("outbox messages of the order: %v, want its start and the modify", kinds)
	}
	audit(t, m)
}

// TestModifiesRacingFillsAndCancelsThroughTemporal races, on each of 20
// resting orders, its modify (through the workflow's update), its cancel
// (likewise) and trades that fill the book in parts. Whatever won, each
// answer matches the row (a 200 modify left its quantity, a refused one
// left the order as it was; a 200 cancel left it CANCELLED, a 409 FILLED),
// every workflow closes with its row's status, and the audit holds.
func TestModifiesRacingFillsAndCancelsThroughTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "modify-racer@example.com")
	ctx := context.Background()
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		o := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 4, "limit_price": "69000", "time_in_force": "GTC"})
		ids[i] = o["id"].(string)
	}
	waitFor(t, "every workflow to start", 20*time.Second, func() bool {
		for _, id := range ids {
			if _, err := m.Temporal.DescribeWorkflowExecution(ctx, workflows.OrderWorkflowID(id), ""); err != nil {
				return false
			}
		}
		return true
	})
	// Even orders grow to 6 shares, odd ones shrink to 2; the younger half,
	// which the trades reach last, is also cancelled.
	want := func(i int) int { return 6 - 4*(i%2) }
	mods, cancels := make([]int, n), make([]int, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { mods[i], _ = u.do("PATCH", "/orders/"+id, map[string]any{"quantity": want(i)}) })
		if i >= n/2 {
			wg.Go(func() { cancels[i], _ = u.do("POST", "/orders/"+id+"/cancel", nil) })
		}
	}
	wg.Go(func() {
		// 40 of the book's 80 shares trade, in four prints spread over
		// the time the updates take.
		for range 4 {
			if _, err := m.Service.Market.Trade(ctx, service.TradeInput{Code: "005930", Price: decimal.RequireFromString("69000"), Volume: new(int64(10))}); err != nil {
				t.Error(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	wg.Wait()
	outcomes := map[string]int{}
	for i, id := range ids {
		o := u.must(200, "GET", "/orders/"+id, nil)
		qty, status := int(o["quantity"].(float64)), o["status"].(string)
		switch {
		case mods[i] == 200 && qty == want(i):
		case (mods[i] == 409 || mods[i] == 422) && qty == 4:
		default:
			t.Errorf("order %d: modify to %d answered %d, row has %d (%s)", i, want(i), mods[i], qty, status)
		}
		if i >= n/2 {
			switch {
			case cancels[i] == 200 && status == "CANCELLED":
			case cancels[i] == 409 && status == "FILLED":
			default:
				t.Errorf("order %d: cancel answered %d, row %s", i, cancels[i], status)
			}
		} else if status != "FILLED" {
			// What the trades left open is cancelled now, through the
			// workflow, which must still know the order.
			if c := u.must(200, "POST", "/orders/"+id+"/cancel", nil); c["status"] != "CANCELLED" {
				t.Fatalf("order %d: cancel after the race: %v", i, c)
			}
		}
		final := u.must(200, "GET", "/orders/"+id, nil)["status"].(string)
		if out := workflowResult(t, m.Temporal, id); out.Status != final {
			t.Errorf("order %d: workflow closed %s, row is %s", i, out.Status, final)
		}
		outcomes[fmt.Sprintf("modify %d, cancel %d, %s", mods[i], cancels[i], status)]++
	}
	t.Logf("outcomes: %v", outcomes)
	eq(t, "reserved cash", u.must(200, "GET", "/balance", nil)["reserved_cash"], "0")
	audit(t, m)
}
