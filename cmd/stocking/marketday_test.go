package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/workflows"
)

// runMarketDay starts a worker on a real server, checks the Schedule it
// created, and runs yesterday's market day (MARKET_HOURS=always, so its
// close has passed and the day runs through at once); it returns the
// workflow id.
func runMarketDay(t *testing.T, m *Main) string {
	t.Helper()
	ctx := context.Background()
	desc, err := m.Temporal.ScheduleClient().GetHandle(ctx, workflows.MarketDayScheduleID).Describe(ctx)
	if err != nil {
		t.Fatalf("the worker did not create the market-day schedule: %v", err)
	}
	if cal := desc.Schedule.Spec.Calendars; len(cal) != 1 || len(cal[0].Hour) != 1 || cal[0].Hour[0].Start != 15 {
		t.Fatalf("MARKET_HOURS=always fires at Seoul midnight (15:00 UTC): %+v", desc.Schedule.Spec)
	}
	if act, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || act.Workflow != workflows.MarketDayStarterWorkflowName {
		t.Fatalf("schedule action: %+v", desc.Schedule.Action)
	}

	date := domain.SeoulDate(time.Now().AddDate(0, 0, -1))
	st0, err := m.Service.Market.Stock(ctx, "005930")
	if err != nil {
		t.Fatal(err)
	}
	last := st0.Price.Add(domain.TickSize(st0.Price))
	// Yesterday's tape: the day's bar is built from it at the close.
	if err := m.Service.Market.ApplyTrades(ctx, []domain.Trade{{Code: "005930", At: time.Now().AddDate(0, 0, -1), Price: last, Volume: 9}}); err != nil {
		t.Fatal(err)
	}
	id := workflows.MarketDayWorkflowID(date)
	run, err := m.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: m.Config.TemporalTaskQueue},
		workflows.MarketDayWorkflowName, workflows.MarketDayInput{Date: date})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out workflows.MarketDayOutcome
	if err := run.Get(wctx, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Trading || !out.Rolled || out.Bars < 1 {
		t.Fatalf("market day outcome: %+v", out)
	}
	st, err := m.Service.Market.Stock(ctx, "005930")
	if err != nil || !st.PrevClose.Equal(last) || st.Volume != 0 {
		t.Fatalf("the roll makes the last price the previous close: %+v, %v", st, err)
	}
	day, err := m.Store.GetMarketDay(ctx, date)
	if err != nil || day.ClosedAt.IsZero() {
		t.Fatalf("market day record: %+v, %v", day, err)
	}
	bars, err := m.Store.ListDailyBars(ctx, "005930", date, "", 10)
	if err != nil || len(bars) != 1 || bars[0].Volume != 9 {
		t.Fatalf("daily bar of %s: %+v, %v", date, bars, err)
	}
	audit(t, m)
	return id
}

func TestMarketDayOnTemporal(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true})
	runMarketDay(t, m)
}

// TestRecordMarketDayHistories records the market day's history for the
// replay test, like TestRecordWorkflowHistories.
func TestRecordMarketDayHistories(t *testing.T) {
	dir := os.Getenv("STOCKING_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set STOCKING_RECORD_HISTORIES to a directory to record workflow histories")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, nil), Options{Migrate: true, Seed: true, API: true, Worker: true})
	id := runMarketDay(t, m)
	record(t, m.Temporal, id, filepath.Join(dir, "market-day.json"))
}
