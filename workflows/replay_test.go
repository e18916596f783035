package workflows

import (
	"fmt"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from a real
// server (testdata/histories, written by the recorder in cmd/stocking)
// against today's workflow code. A change that would make a running
// workflow take a different path fails here instead of in production;
// such a change needs workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "v*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Every generation of the workflows has its own recordings of the
	// order and payment paths, the current one included: a change to a
	// workflow is not done until its histories are recorded.
	for v := 1; v <= HistoryVersion; v++ {
		dir := filepath.Join("testdata", "histories", fmt.Sprintf("v%d", v))
		got, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(got) < 7 {
			t.Errorf("%s holds %d recorded histories; expected the order and payment paths (record them: see cmd/stocking/histories_test.go)", dir, len(got))
		}
	}
	// Every workflow has a recorded history in some generation.
	for _, name := range []string{"market-day.json", "contest.json", "leaderboard-refresh.json"} {
		got, _ := filepath.Glob(filepath.Join("testdata", "histories", "v*", name))
		if len(got) == 0 {
			t.Errorf("no recorded history %s in any generation", name)
		}
	}
	for _, f := range files {
		t.Run(filepath.Join(filepath.Base(filepath.Dir(f)), filepath.Base(f)), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			RegisterWorkflows(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger, f); err != nil {
				t.Fatalf("replaying %s: %v", f, err)
			}
		})
	}
}
