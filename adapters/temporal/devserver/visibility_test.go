package devserver

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// patchedWorkflow records one change version, waits for a signal, records
// a second and completes: two updates of its keyword list, then a close
// that leaves it as it is.
func patchedWorkflow(ctx workflow.Context) error {
	workflow.GetVersion(ctx, "first-change", workflow.DefaultVersion, 1)
	workflow.GetSignalChannel(ctx, approveSignal).Receive(ctx, nil)
	workflow.GetVersion(ctx, "second-change", workflow.DefaultVersion, 1)
	return nil
}

// The dev server's slimmer visibility schema (fewer indexes, full-text
// entries rewritten only when their columns change) must still answer
// every kind of list: by status and type, by the keyword list the SDK
// writes, after updates and after the close, in memory and on a file.
func TestVisibilityListsAfterUpdatesAndClose(t *testing.T) {
	for _, mode := range []string{"memory", "file"} {
		t.Run(mode, func(t *testing.T) {
			opts := Options{Namespace: "stocking", Logger: testLogger(t)}
			if mode == "file" {
				opts.DBPath = filepath.Join(t.TempDir(), "temporal.db")
			}
			s := startServer(t, opts)
			c, err := client.Dial(client.Options{HostPort: s.FrontendHostPort(), Namespace: s.Namespace(), Logger: quietSDKLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			w := worker.New(c, testTaskQueue, worker.Options{})
			w.RegisterWorkflow(patchedWorkflow)
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "patched-" + mode, TaskQueue: testTaskQueue}, patchedWorkflow)
			if err != nil {
				t.Fatal(err)
			}
			// A second workflow that stays running must never match the
			// second change or the completed status.
			if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "parked-" + mode, TaskQueue: testTaskQueue}, patchedWorkflow); err != nil {
				t.Fatal(err)
			}
			expectList(ctx, t, c, s.Namespace(), "TemporalChangeVersion = 'first-change-1'", 2)
			if err := c.SignalWorkflow(ctx, run.GetID(), "", approveSignal, nil); err != nil {
				t.Fatal(err)
			}
			if err := run.Get(ctx, nil); err != nil {
				t.Fatal(err)
			}
			expectList(ctx, t, c, s.Namespace(), "ExecutionStatus = 'Completed' AND WorkflowType = 'patchedWorkflow'", 1)
			expectList(ctx, t, c, s.Namespace(), "TemporalChangeVersion = 'second-change-1'", 1)
			expectList(ctx, t, c, s.Namespace(), "TemporalChangeVersion = 'first-change-1'", 2)
			expectList(ctx, t, c, s.Namespace(), "TemporalChangeVersion = 'second-change-1' AND ExecutionStatus = 'Running'", 0)
			expectList(ctx, t, c, s.Namespace(), fmt.Sprintf("WorkflowId = 'parked-%s' AND ExecutionStatus = 'Running'", mode), 1)
		})
	}
}

// expectList waits until query lists want workflows; visibility records
// are written shortly after the events.
func expectList(ctx context.Context, t *testing.T, c client.Client, ns, query string, want int) {
	t.Helper()
	var got int
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: query})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		if got = len(resp.GetExecutions()); got == want {
			// Hold on a moment: a late write must not change the answer.
			time.Sleep(200 * time.Millisecond)
			resp, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: query})
			if err == nil && len(resp.GetExecutions()) == want {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("list %q: %d workflows, want %d", query, got, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
