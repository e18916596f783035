package workflows

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/stocking-kr/stocking/domain"
)

// The market day. The Schedule MarketDayScheduleID fires before every
// session (08:00 Seoul on weekdays; at Seoul midnight every day with
// MARKET_HOURS=always) and runs MarketDayStarterWorkflow, which starts the
// day's MarketDayWorkflow under the id market-day-YYYY-MM-DD, once per
// date. That workflow rolls the day (prev_close ← the last price, so the
// band moves), waits for the close, then expires the DAY orders, writes
// the daily bars, snapshots every account's equity, pays the dividends
// due, and completes. A holiday completes at once.
const (
	MarketDayScheduleID          = "market-day"
	MarketDayWorkflowName        = "MarketDayWorkflow"
	MarketDayStarterWorkflowName = "MarketDayStarterWorkflow"
)

// MarketDayWorkflowID is the workflow id of a Seoul date's market day.
func MarketDayWorkflowID(date string) string { return "market-day-" + date }

// MarketDayInput starts a market day.
type MarketDayInput struct {
	Date string `json:"date"` // YYYY-MM-DD, Seoul
}

// MarketDayInfo is a date as the exchange's calendar sees it.
type MarketDayInfo struct {
	Date    string    `json:"date"`
	Trading bool      `json:"trading"`
	Holiday string    `json:"holiday"`
	Open    time.Time `json:"open"`
	Close   time.Time `json:"close"`
}

// MarketDayRoll is what the roll did.
type MarketDayRoll struct {
	Date     string    `json:"date"`
	Rolled   bool      `json:"rolled"`
	RolledAt time.Time `json:"rolled_at"`
}

// MarketDayOutcome is a market day's result.
type MarketDayOutcome struct {
	Date      string `json:"date"`
	Trading   bool   `json:"trading"`
	Holiday   string `json:"holiday,omitempty"`
	Rolled    bool   `json:"rolled"`
	Expired   int    `json:"expired"`
	Bars      int    `json:"bars"`
	Snapshots int    `json:"snapshots"`
	Dividends int    `json:"dividends"`
}

// MarketDayStarterWorkflow is what the Schedule runs: it starts the
// MarketDayWorkflow of the Seoul date it fires on, unless that one exists.
func MarketDayStarterWorkflow(ctx workflow.Context) (string, error) {
	date := domain.SeoulDate(workflow.Now(ctx).Add(time.Minute))
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: MarketDayWorkflowID(date),
		// The day outlives its starter, and a date runs once.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	child := workflow.ExecuteChildWorkflow(cctx, MarketDayWorkflowName, MarketDayInput{Date: date})
	var exec workflow.Execution
	if err := child.GetChildWorkflowExecution().Get(ctx, &exec); err != nil {
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return MarketDayWorkflowID(date), nil
		}
		return "", err
	}
	return exec.ID, nil
}

// MarketDayWorkflow runs one Seoul date's market day.
func MarketDayWorkflow(ctx workflow.Context, in MarketDayInput) (MarketDayOutcome, error) {
	var a *Activities
	actx := workflow.WithActivityOptions(ctx, marketDayOpts)
	out := MarketDayOutcome{Date: in.Date}
	var info MarketDayInfo
	if err := workflow.ExecuteActivity(actx, a.DescribeMarketDay, in.Date).Get(ctx, &info); err != nil {
		return out, err
	}
	out.Trading, out.Holiday = info.Trading, info.Holiday
	if !info.Trading {
		return out, nil
	}
	var roll MarketDayRoll
	if err := workflow.ExecuteActivity(actx, a.RollMarketDay, in.Date).Get(ctx, &roll); err != nil {
		return out, err
	}
	out.Rolled = roll.Rolled
	if wait := info.Close.Sub(workflow.Now(ctx)); wait > 0 {
		if err := workflow.Sleep(ctx, wait); err != nil {
			return out, err
		}
	}
	steps := []struct {
		fn  any
		out *int
	}{
		{a.ExpireDayOrders, &out.Expired},
		{a.WriteDailyBars, &out.Bars},
		{a.SnapshotEquity, &out.Snapshots},
		{a.PayDividends, &out.Dividends},
	}
	for _, st := range steps {
		if err := workflow.ExecuteActivity(actx, st.fn, in.Date).Get(ctx, st.out); err != nil {
			return out, err
		}
	}
	return out, workflow.ExecuteActivity(actx, a.MarkDayClosed, in.Date).Get(ctx, nil)
}

// marketDayOpts give the day's bulk steps time (a snapshot of every
// account) and retry them through outages.
var marketDayOpts = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	RetryPolicy:         retryInfra(time.Second, time.Minute),
}

// DescribeMarketDay reads the calendar's view of a date.
func (a *Activities) DescribeMarketDay(ctx context.Context, date string) (MarketDayInfo, error) {
	d, _, err := a.Service.Market.Day(date)
	if err != nil {
		return MarketDayInfo{}, ToTemporal(err)
	}
	return MarketDayInfo{Date: d.Date, Trading: d.Trading, Holiday: d.Holiday, Open: d.Open, Close: d.Close}, nil
}

// RollMarketDay rolls the date once.
func (a *Activities) RollMarketDay(ctx context.Context, date string) (MarketDayRoll, error) {
	r, err := a.Service.Market.Roll(bulk(ctx), date, false)
	if err != nil {
		return MarketDayRoll{}, ToTemporal(err)
	}
	return MarketDayRoll{Date: r.Date, Rolled: r.Rolled, RolledAt: r.RolledAt}, nil
}

// ExpireDayOrders expires the DAY orders whose close has passed.
func (a *Activities) ExpireDayOrders(ctx context.Context, _ string) (int, error) {
	n, err := a.Service.Market.ExpireDayOrders(bulk(ctx))
	return n, ToTemporal(err)
}

// WriteDailyBars stores the date's daily bars.
func (a *Activities) WriteDailyBars(ctx context.Context, date string) (int, error) {
	n, err := a.Service.Market.DailyBarsOf(bulk(ctx), date)
	return n, ToTemporal(err)
}

// SnapshotEquity records every account's end-of-day equity.
func (a *Activities) SnapshotEquity(ctx context.Context, date string) (int, error) {
	n, err := a.Service.Accounts.SnapshotEquity(bulk(ctx), date)
	return int(n), ToTemporal(err)
}

// PayDividends records the holders of the dividends whose record date is
// date, and pays those whose pay date has come.
func (a *Activities) PayDividends(ctx context.Context, date string) (int, error) {
	n, err := a.Service.Market.PayDividends(bulk(ctx), date)
	return n, ToTemporal(err)
}

// MarkDayClosed records that the date's close was processed.
func (a *Activities) MarkDayClosed(ctx context.Context, date string) error {
	return ToTemporal(a.Service.Market.MarkClosed(ctx, date))
}
