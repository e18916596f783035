package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/stocking-kr/stocking/workflows"
)

// A contest from creation to its frozen final ranking on the real server,
// with a real in-process Temporal: the outbox starts ContestWorkflow, which
// refuses nothing itself but owns the clock; the API refuses early orders,
// other listings and cash moves; at the end the open order is cancelled and
// the board says final. Around it: fair cash, reset, equity, leaderboards
// and their schedule.
func TestContestAndLeaderboardsEndToEnd(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, map[string]string{"LEADERBOARD_REFRESH": "1m"}),
		Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	ctx := context.Background()
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "league@example.com")
	other := signup(t, m, "other@example.com")

	// The worker created the leaderboard schedule.
	if _, err := m.Temporal.ScheduleClient().GetHandle(ctx, workflows.LeaderboardScheduleID).Describe(ctx); err != nil {
		t.Fatalf("leaderboard-refresh schedule: %v", err)
	}

	// Bad contests.
	now := time.Now().UTC()
	adm.must(422, "POST", "/contests", map[string]any{"name": "거꾸로", "starts_at": now.Add(time.Hour), "ends_at": now, "initial_cash": "1000000"})
	u.must(403, "POST", "/contests", map[string]any{"name": "x", "starts_at": now, "ends_at": now.Add(time.Hour), "initial_cash": "1000000"})

	start, end := now.Add(2*time.Second), now.Add(6*time.Second)
	c := adm.must(201, "POST", "/contests", map[string]any{"name": "번개 리그", "starts_at": start, "ends_at": end, "initial_cash": "5000000", "listings": []string{"005930"}})
	id := c["id"].(string)
	if c["status"] != "SCHEDULED" {
		t.Fatalf("new contest: %v", c)
	}
	j := u.must(201, "POST", "/contests/"+id+"/join", nil)
	acct := j["account_id"].(string)
	if again := u.must(200, "POST", "/contests/"+id+"/join", nil); again["account_id"] != acct {
		t.Fatalf("joining twice: %v then %v", j, again)
	}
	eq(t, "contest cash", u.must(200, "GET", "/balance?account_id="+acct, nil)["cash"], "5000000")
	other.must(404, "GET", "/balance?account_id="+acct, nil)
	buy := map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10, "account_id": acct}
	u.must(409, "POST", "/orders", buy)
	u.must(409, "POST", "/balance/deposit", map[string]any{"amount": "1000", "account_id": acct})
	u.must(409, "POST", "/balance/reset", map[string]any{"account_id": acct})

	waitFor(t, "the contest to start", 10*time.Second, func() bool { return time.Now().After(start) })
	u.must(201, "POST", "/orders", buy)
	u.must(422, "POST", "/orders", map[string]any{"stock_code": "000660", "side": "BUY", "type": "MARKET", "quantity": 1, "account_id": acct})
	open := u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": "GTC", "account_id": acct})

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out workflows.ContestOutcome
	for wctx.Err() == nil {
		if err := m.Temporal.GetWorkflow(wctx, workflows.ContestWorkflowID(id), "").Get(wctx, &out); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !out.Final {
		t.Fatalf("contest workflow outcome %+v", out)
	}
	st, board := u.do("GET", "/contests/"+id+"/leaderboard", nil)
	rows, _ := board["data"].([]any)
	if st != 200 || board["final"] != true || len(rows) != 1 {
		t.Fatalf("final board: %d %v", st, board)
	}
	if o := u.must(200, "GET", "/orders/"+open["id"].(string), nil); o["status"] != "CANCELLED" {
		t.Fatalf("open contest order after the end: %v", o["status"])
	}
	u.must(409, "POST", "/contests/"+id+"/join", nil)
	if got := u.must(200, "GET", "/contests/"+id, nil); got["final"] != true || got["status"] != "ENDED" {
		t.Fatalf("ended contest: %v", got)
	}

	// Fair cash: 10,000,000 free won a day.
	u.must(200, "POST", "/balance/deposit", map[string]any{"amount": "9000000"})
	st, p := u.do("POST", "/balance/deposit", map[string]any{"amount": "2000000"})
	if st != 422 || !contains(p["detail"], "1000000 won is left today") {
		t.Fatalf("over the daily limit: %d %v", st, p)
	}

	// Leaderboards: a personal trade, a refresh, the board; hidden users
	// leave it.
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1})
	adm.must(200, "POST", "/admin/leaderboards/refresh", nil)
	_, lb := u.do("GET", "/leaderboards?period=all", nil)
	if rows, _ := lb["data"].([]any); len(rows) != 1 || lb["as_of"] == nil {
		t.Fatalf("board after a refresh: %v", lb)
	}
	u.must(422, "GET", "/leaderboards?period=2y", nil)
	if me := u.must(200, "PATCH", "/users/me", map[string]any{"public": false}); me["public"] != false {
		t.Fatalf("PATCH /users/me: %v", me)
	}
	adm.must(200, "POST", "/admin/leaderboards/refresh", nil)
	_, lb = u.do("GET", "/leaderboards?period=all", nil)
	if rows, _ := lb["data"].([]any); len(rows) != 0 {
		t.Fatalf("a hidden user is still ranked: %v", lb)
	}

	// Equity: a live point today; a reset starts over.
	adm.must(200, "POST", "/admin/snapshots", map[string]any{})
	pts := u.list("/analytics/equity")
	if len(pts) != 1 || pts[0].(map[string]any)["live"] != true {
		t.Fatalf("equity: %v", pts)
	}
	u.must(422, "GET", "/analytics/equity?from=yesterday", nil)
	sum := u.must(200, "GET", "/analytics/summary", nil)
	for _, k := range []string{"twr", "max_drawdown", "volatility", "sharpe"} {
		if _, ok := sum[k].(string); !ok {
			t.Errorf("summary has no %s: %v", k, sum)
		}
	}
	b := u.must(200, "POST", "/balance/reset", map[string]any{})
	eq(t, "cash after a reset", b["cash"], "10000000")
	eq(t, "holdings after a reset", b["holdings_value"], "0")
	audit(t, m)
}

func contains(v any, sub string) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, sub)
}

// TestRecordContestHistories records a whole contest's ContestWorkflow and
// one LeaderboardRefreshWorkflow for the replay test, like
// TestRecordWorkflowHistories.
func TestRecordContestHistories(t *testing.T) {
	dir := os.Getenv("STOCKING_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set STOCKING_RECORD_HISTORIES to a directory to record workflow histories")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	m, _ := startMainWith(t, temporalEnv(t, ts, map[string]string{"LEADERBOARD_REFRESH": "0s"}),
		Options{Migrate: true, Seed: true, API: true, Worker: true, Relay: true})
	ctx := context.Background()
	adm := admin(t, m)
	adm.must(200, "PUT", "/admin/stocks/005930/price", map[string]any{"price": "70000"})
	u := signup(t, m, "contest-recorder@example.com")

	// A contest of four seconds with one trader and an order left open,
	// which the end cancels.
	now := time.Now().UTC()
	start, end := now.Add(2*time.Second), now.Add(6*time.Second)
	c := adm.must(201, "POST", "/contests", map[string]any{"name": "기록 리그", "starts_at": start, "ends_at": end, "initial_cash": "5000000"})
	id := c["id"].(string)
	acct := u.must(201, "POST", "/contests/"+id+"/join", nil)["account_id"].(string)
	waitFor(t, "the contest to start", 10*time.Second, func() bool { return time.Now().After(start) })
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10, "account_id": acct})
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "LIMIT", "quantity": 1, "limit_price": "60000", "time_in_force": "GTC", "account_id": acct})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out workflows.ContestOutcome
	for wctx.Err() == nil {
		if err := m.Temporal.GetWorkflow(wctx, workflows.ContestWorkflowID(id), "").Get(wctx, &out); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !out.Final {
		t.Fatalf("contest workflow outcome %+v", out)
	}
	record(t, m.Temporal, workflows.ContestWorkflowID(id), filepath.Join(dir, "contest.json"))

	// One refresh, as the leaderboard-refresh Schedule starts it.
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 1})
	run, err := m.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "leaderboard-refresh-recorded", TaskQueue: m.Config.TemporalTaskQueue},
		workflows.LeaderboardWorkflowName)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.LeaderboardResult
	if err := run.Get(wctx, &res); err != nil || res.Ranked["all"] != 1 {
		t.Fatalf("leaderboard refresh: %+v, %v", res, err)
	}
	record(t, m.Temporal, "leaderboard-refresh-recorded", filepath.Join(dir, "leaderboard-refresh.json"))
}
