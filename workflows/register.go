package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// RegisterWorkflows puts StocKing's workflows on a worker, a replayer or a
// test environment under their stable names, so that what runs and what CI
// replays are registered the same way.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(LimitOrderWorkflow, workflow.RegisterOptions{Name: OrderWorkflowName})
	r.RegisterWorkflowWithOptions(PaymentWorkflow, workflow.RegisterOptions{Name: PaymentWorkflowName})
	r.RegisterWorkflowWithOptions(ContestWorkflow, workflow.RegisterOptions{Name: ContestWorkflowName})
	r.RegisterWorkflowWithOptions(LeaderboardRefreshWorkflow, workflow.RegisterOptions{Name: LeaderboardWorkflowName})
	r.RegisterWorkflowWithOptions(MarketDayWorkflow, workflow.RegisterOptions{Name: MarketDayWorkflowName})
	r.RegisterWorkflowWithOptions(MarketDayStarterWorkflow, workflow.RegisterOptions{Name: MarketDayStarterWorkflowName})
}

// Register puts the workflows and their activities on a worker or a test
// environment.
func Register(r worker.Registry, acts *Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}
