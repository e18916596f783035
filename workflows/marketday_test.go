package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/stocking-kr/stocking/domain"
)

func newMarketDayEnv(t *testing.T, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	env.SetStartTime(start)
	return env
}

// TestMarketDay runs a whole trading day in skipped time: the roll before
// the open, nothing during the session, and the close's steps in order
// once 15:30 has passed.
func TestMarketDay(t *testing.T) {
	const date = "2026-11-26"
	open := time.Date(2026, 11, 26, 9, 0, 0, 0, domain.Seoul)
	closeAt := time.Date(2026, 11, 26, 15, 30, 0, 0, domain.Seoul)
	env := newMarketDayEnv(t, time.Date(2026, 11, 26, 8, 0, 0, 0, domain.Seoul))
	var steps []string
	at := map[string]time.Time{}
	step := func(name string) func(mock.Arguments) {
		return func(mock.Arguments) { steps = append(steps, name); at[name] = env.Now() }
	}
	env.OnActivity(acts.DescribeMarketDay, mock.Anything, date).Return(MarketDayInfo{Date: date, Trading: true, Open: open, Close: closeAt}, nil).Once()
	env.OnActivity(acts.RollMarketDay, mock.Anything, date).Return(MarketDayRoll{Date: date, Rolled: true}, nil).Run(step("roll")).Once()
	env.OnActivity(acts.ExpireDayOrders, mock.Anything, date).Return(3, nil).Run(step("expire")).Once()
	env.OnActivity(acts.WriteDailyBars, mock.Anything, date).Return(33, nil).Run(step("bars")).Once()
	env.OnActivity(acts.SnapshotEquity, mock.Anything, date).Return(1000, nil).Run(step("snapshot")).Once()
	env.OnActivity(acts.PayDividends, mock.Anything, date).Return(2, nil).Run(step("dividends")).Once()
	env.OnActivity(acts.MarkDayClosed, mock.Anything, date).Return(nil).Run(step("closed")).Once()

	env.ExecuteWorkflow(MarketDayWorkflowName, MarketDayInput{Date: date})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var out MarketDayOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	want := MarketDayOutcome{Date: date, Trading: true, Rolled: true, Expired: 3, Bars: 33, Snapshots: 1000, Dividends: 2}
	if out != want {
		t.Fatalf("outcome %+v, want %+v", out, want)
	}
	if got := len(steps); got != 6 || steps[0] != "roll" || steps[1] != "expire" || steps[5] != "closed" {
		t.Fatalf("steps %v", steps)
	}
	if !at["roll"].Before(open) {
		t.Fatalf("rolled at %s, after the open", at["roll"])
	}
	if at["expire"].Before(closeAt) {
		t.Fatalf("expired DAY orders at %s, before the close", at["expire"])
	}
	env.AssertExpectations(t)
}

func TestMarketDayHolidaySkips(t *testing.T) {
	const date = "2026-12-25"
	env := newMarketDayEnv(t, time.Date(2026, 12, 25, 8, 0, 0, 0, domain.Seoul))
	env.OnActivity(acts.DescribeMarketDay, mock.Anything, date).Return(MarketDayInfo{Date: date, Holiday: "성탄절"}, nil).Once()
	env.ExecuteWorkflow(MarketDayWorkflowName, MarketDayInput{Date: date})
	var out MarketDayOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	if out.Trading || out.Rolled || out.Holiday != "성탄절" {
		t.Fatalf("holiday outcome %+v", out)
	}
	env.AssertExpectations(t)
}

// TestMarketDayStarter names the day by the Seoul date the Schedule fires
// on, even when it fires at the stroke of midnight.
func TestMarketDayStarter(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(2026, 11, 26, 8, 0, 0, 0, domain.Seoul),
		time.Date(2026, 11, 25, 23, 59, 59, 999_000_000, domain.Seoul),
	} {
		env := newMarketDayEnv(t, start)
		env.OnActivity(acts.DescribeMarketDay, mock.Anything, "2026-11-26").Return(MarketDayInfo{Date: "2026-11-26"}, nil).Once()
		env.ExecuteWorkflow(MarketDayStarterWorkflowName)
		var id string
		if err := env.GetWorkflowResult(&id); err != nil {
			t.Fatal(err)
		}
		if id != "market-day-2026-11-26" {
			t.Fatalf("started %q", id)
		}
		env.AssertExpectations(t)
	}
}
