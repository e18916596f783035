package temporal

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/stocking-kr/stocking/workflows"
)

// MarketDaySpec is when the market-day Schedule fires, in UTC so that the
// server needs no time-zone data: 08:00 Seoul (23:00 UTC the evening
// before) Monday to Friday, before the 09:00 open; with always, Seoul
// midnight (15:00 UTC) every day. Holidays are skipped by the workflow.
func MarketDaySpec(always bool) client.ScheduleSpec {
	if always {
		return client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{{
			Hour: []client.ScheduleRange{{Start: 15}},
		}}}
	}
	return client.ScheduleSpec{Calendars: []client.ScheduleCalendarSpec{{
		Hour:      []client.ScheduleRange{{Start: 23}},
		DayOfWeek: []client.ScheduleRange{{Start: 0, End: 4}}, // Sunday–Thursday UTC
	}}}
}

// EnsureMarketDaySchedule creates the market-day Schedule, or brings an
// existing one to the current spec and task queue, so every worker may
// call it at start-up.
func EnsureMarketDaySchedule(ctx context.Context, c client.Client, taskQueue string, always bool) error {
	spec := MarketDaySpec(always)
	action := &client.ScheduleWorkflowAction{
		ID:        "market-day-starter",
		Workflow:  workflows.MarketDayStarterWorkflowName,
		TaskQueue: taskQueue,
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: workflows.MarketDayScheduleID, Spec: spec, Action: action,
		// A day missed while the cluster was down still runs if it is
		// caught up within hours; older ones are gone.
		CatchupWindow: 12 * time.Hour,
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, workflows.MarketDayScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}
