package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
)

// A whole contest on a skipped clock: nothing before the start, a ranking
// every refresh while it runs, then the end: open orders cancelled and the
// ranking frozen (FinishContest), and the workflow completes.
func TestContestRunsFromStartToFinalRanking(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(created)
	state := ContestState{ContestID: "c1", StartsAt: created.Add(time.Hour), EndsAt: created.Add(3 * time.Hour)}

	var ranked []time.Time
	var finishedAt time.Time
	env.OnActivity(acts.LoadContest, mock.Anything, "c1").Return(state, nil).Once()
	env.OnActivity(acts.RankContest, mock.Anything, "c1").Return(func(context.Context, string) error {
		ranked = append(ranked, env.Now())
		return nil
	})
	final := state
	final.Final = true
	env.OnActivity(acts.FinishContest, mock.Anything, "c1").Return(func(context.Context, string) (ContestState, error) {
		finishedAt = env.Now()
		return final, nil
	}).Once()

	env.ExecuteWorkflow(ContestWorkflowName, ContestInput{ContestID: "c1", RefreshSeconds: 600})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var out ContestOutcome
	if err := env.GetWorkflowResult(&out); err != nil || !out.Final {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	if len(ranked) != 12 {
		t.Fatalf("ranked %d times in two hours at a ten-minute refresh, want 12: %v", len(ranked), ranked)
	}
	if ranked[0].Before(state.StartsAt) {
		t.Errorf("ranked at %s, before the start %s", ranked[0], state.StartsAt)
	}
	if finishedAt.Before(state.EndsAt) {
		t.Errorf("finished at %s, before the end %s", finishedAt, state.EndsAt)
	}
	env.AssertExpectations(t)
}

// A contest already frozen (its workflow ran before, or it was restarted)
// completes at once without touching anything.
func TestFinalContestCompletesAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	env.OnActivity(acts.LoadContest, mock.Anything, "c2").Return(ContestState{ContestID: "c2", Final: true}, nil).Once()
	env.ExecuteWorkflow(ContestWorkflowName, ContestInput{ContestID: "c2"})
	var out ContestOutcome
	if err := env.GetWorkflowResult(&out); err != nil || !out.Final {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	env.AssertExpectations(t)
}

func TestLeaderboardRefreshWorkflow(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger)
	env := s.NewTestWorkflowEnvironment()
	Register(env, acts)
	env.OnActivity(acts.RefreshLeaderboards, mock.Anything).Return(LeaderboardResult{Ranked: map[string]int64{"1d": 3}}, nil).Once()
	env.ExecuteWorkflow(LeaderboardWorkflowName)
	var out LeaderboardResult
	if err := env.GetWorkflowResult(&out); err != nil || out.Ranked["1d"] != 3 {
		t.Fatalf("result %+v, %v", out, err)
	}
}
