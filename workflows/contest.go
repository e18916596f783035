package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Names of the contest and leaderboard workflows.
const (
	ContestWorkflowName     = "ContestWorkflow"
	LeaderboardWorkflowName = "LeaderboardRefreshWorkflow"
	// LeaderboardScheduleID is the Temporal Schedule that refreshes the
	// leaderboards; the worker creates it.
	LeaderboardScheduleID = "leaderboard-refresh"
)

// ContestWorkflowID is the workflow id of a contest: one per contest.
func ContestWorkflowID(contestID string) string { return "contest-" + contestID }

// ContestInput starts (or continues) a contest's workflow.
type ContestInput struct {
	ContestID string `json:"contest_id"`
	// RefreshSeconds is how often the ranking is recomputed while the
	// contest runs; zero means DefaultContestRefresh.
	RefreshSeconds int64 `json:"refresh_seconds,omitempty"`
}

// ContestState is a contest as its workflow sees it.
type ContestState struct {
	ContestID string    `json:"contest_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Final     bool      `json:"final"`
}

// ContestOutcome is how a contest's workflow ended.
type ContestOutcome struct {
	ContestID string `json:"contest_id"`
	Final     bool   `json:"final"`
}

// LeaderboardResult is what one scheduled refresh ranked.
type LeaderboardResult struct {
	Ranked   map[string]int64 `json:"ranked"`
	Contests int              `json:"contests"`
}

// DefaultContestRefresh is how often a running contest is re-ranked.
const DefaultContestRefresh = time.Minute

// ContestWorkflow owns a contest's clock: it waits for the start (orders
// on its accounts are refused until then, by the service), re-ranks the
// contest on a timer while it runs, and at the end cancels every open
// order of its accounts, freezes the final ranking and completes. A long
// contest continues as new when the history grows large.
func ContestWorkflow(ctx workflow.Context, in ContestInput) (ContestOutcome, error) {
	var a *Activities
	out := ContestOutcome{ContestID: in.ContestID}
	every := time.Duration(in.RefreshSeconds) * time.Second
	if every <= 0 {
		every = DefaultContestRefresh
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: forever,
		RetryPolicy:            retryInfra(time.Second, time.Minute),
	})
	var c ContestState
	if err := workflow.ExecuteActivity(actx, a.LoadContest, in.ContestID).Get(ctx, &c); err != nil {
		return out, err
	}
	if c.Final {
		out.Final = true
		return out, nil
	}
	if wait := c.StartsAt.Sub(workflow.Now(ctx)); wait > 0 {
		if err := workflow.Sleep(ctx, wait); err != nil {
			return out, err
		}
	}
	for {
		left := c.EndsAt.Sub(workflow.Now(ctx))
		if left <= 0 {
			break
		}
		if err := workflow.ExecuteActivity(actx, a.RankContest, in.ContestID).Get(ctx, nil); err != nil {
			return out, err
		}
		if err := workflow.Sleep(ctx, min(every, left)); err != nil {
			return out, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return out, workflow.NewContinueAsNewError(ctx, ContestWorkflowName, in)
		}
	}
	if err := workflow.ExecuteActivity(actx, a.FinishContest, in.ContestID).Get(ctx, &c); err != nil {
		return out, err
	}
	out.Final = c.Final
	return out, nil
}

// LeaderboardRefreshWorkflow recomputes every leaderboard once; the
// leaderboard-refresh Schedule starts it.
func LeaderboardRefreshWorkflow(ctx workflow.Context) (LeaderboardResult, error) {
	var a *Activities
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         retryInfra(time.Second, 30*time.Second),
	})
	var res LeaderboardResult
	err := workflow.ExecuteActivity(actx, a.RefreshLeaderboards).Get(ctx, &res)
	return res, err
}

// LoadContest reads a contest's times and whether it is final.
func (a *Activities) LoadContest(ctx context.Context, contestID string) (ContestState, error) {
	c, err := a.Service.Contests.Get(ctx, contestID)
	if err != nil {
		return ContestState{}, ToTemporal(err)
	}
	return ContestState{ContestID: c.ID, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Final: !c.FinalAt.IsZero()}, nil
}

// RankContest recomputes a running contest's ranking.
func (a *Activities) RankContest(ctx context.Context, contestID string) error {
	_, err := a.Service.Contests.Rank(bulk(ctx), contestID)
	return ToTemporal(err)
}

// FinishContest cancels the contest's open orders and freezes its final
// ranking; a finished contest is left as it was.
func (a *Activities) FinishContest(ctx context.Context, contestID string) (ContestState, error) {
	c, err := a.Service.Contests.Finish(bulk(ctx), contestID)
	if err != nil {
		return ContestState{}, ToTemporal(err)
	}
	return ContestState{ContestID: c.ID, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Final: !c.FinalAt.IsZero()}, nil
}

// RefreshLeaderboards recomputes every leaderboard.
func (a *Activities) RefreshLeaderboards(ctx context.Context) (LeaderboardResult, error) {
	res, err := a.Service.Leaderboards.Refresh(bulk(ctx))
	if err != nil {
		return LeaderboardResult{}, ToTemporal(err)
	}
	return LeaderboardResult{Ranked: res.Ranked, Contests: res.Contests}, nil
}
