package temporal

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/stocking-kr/stocking/workflows"
)

// EnsureLeaderboardSchedule creates the leaderboard-refresh Schedule,
// which starts LeaderboardRefreshWorkflow every interval, unless it exists.
// Any number of workers may call it at once: one creates it, the others
// find it there. An existing schedule is updated to the interval asked.
func EnsureLeaderboardSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.LeaderboardScheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                 workflows.LeaderboardScheduleID,
			Workflow:           workflows.LeaderboardWorkflowName,
			TaskQueue:          taskQueue,
			WorkflowRunTimeout: 10 * time.Minute,
			RetryPolicy:        &temporal.RetryPolicy{MaximumAttempts: 1},
		},
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, workflows.LeaderboardScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			if iv := in.Description.Schedule.Spec.Intervals; len(iv) == 1 && iv[0].Every == every {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s := in.Description.Schedule
			s.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}
