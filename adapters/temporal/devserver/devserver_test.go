package devserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	testTaskQueue = "devserver-test"
	approveSignal = "approve"
)

// greet is the activity every test workflow ends with, so a passing test has
// seen the full round trip: workflow task, activity task, completion.
func greet(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &out)
	return out, err
}

// approvalWorkflow parks until a signal names who approved, like an order
// waiting for a fill.
func approvalWorkflow(ctx workflow.Context) (string, error) {
	var who string
	workflow.GetSignalChannel(ctx, approveSignal).Receive(ctx, &who)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greet, who).Get(ctx, &out)
	return out, err
}

func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

// testLogger shows the server's warnings in the test log, where they explain
// a failure, instead of on the terminal.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// startWorker dials s and runs a worker with the test workflows; it stops
// with the test or when the returned func is called.
func startWorker(t testing.TB, s *Server) (client.Client, func()) {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendHostPort(),
		Namespace: s.Namespace(),
		Logger:    quietSDKLogger(),
	})
	if err != nil {
		t.Fatalf("dial %s: %v", s.FrontendHostPort(), err)
	}
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterWorkflow(approvalWorkflow)
	w.RegisterActivityWithOptions(greet, activity.RegisterOptions{Name: "greet"})
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			w.Stop()
			c.Close()
		}
	}
	t.Cleanup(stop)
	return c, stop
}

// assertFree fails unless addr can be bound, which is what Stop promises.
func assertFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("%s still taken after Stop: %v", addr, err)
		return
	}
	_ = ln.Close()
}

func TestInMemoryRunsWorkflowAndServesUI(t *testing.T) {
	s := startServer(t, Options{
		FrontendAddr: "127.0.0.1:0",
		UIAddr:       "127.0.0.1:0",
		Logger:       testLogger(t),
	})
	if s.Namespace() != DefaultNamespace {
		t.Errorf("Namespace() = %q, want %q", s.Namespace(), DefaultNamespace)
	}
	if strings.HasSuffix(s.FrontendHostPort(), ":0") || !strings.HasPrefix(s.UIURL(), "http://127.0.0.1:") {
		t.Fatalf("addresses not resolved: frontend %q, ui %q", s.FrontendHostPort(), s.UIURL())
	}

	c, stopWorker := startWorker(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "greet-1", TaskQueue: testTaskQueue}, greetWorkflow, "trader")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello trader" {
		t.Errorf("result = %q, want %q", got, "hello trader")
	}

	for _, path := range []string{"/", "/healthz"} {
		resp, err := http.Get(s.UIURL() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		if path == "/" && !strings.Contains(strings.ToLower(string(body)), "<html") {
			t.Errorf("GET /: not the UI page: %.200q", body)
		}
	}

	stopWorker()
	frontend, ui := s.FrontendHostPort(), strings.TrimPrefix(s.UIURL(), "http://")
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertFree(t, frontend)
	assertFree(t, ui)
}

func TestFileModeSurvivesRestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	const workflowID = "approval-1"

	first := startServer(t, Options{DBPath: dbPath, Namespace: "stocking", Logger: testLogger(t)})
	c, stopWorker := startWorker(t, first)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: testTaskQueue}, approvalWorkflow); err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	// Let the worker finish the first workflow task, so the restart has to
	// carry a workflow that is parked on its signal. Stopping the worker
	// while it still holds the task would leave the task to time out (10 s)
	// after the restart.
	waitForEvent(ctx, t, c, workflowID, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
	stopWorker()
	firstFrontend := first.FrontendHostPort()
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if fds := openFDsTo(t, dbPath); len(fds) > 0 {
		t.Errorf("database still open after Stop: %v", fds)
	}

	second := startServer(t, Options{DBPath: dbPath, Namespace: "stocking", Logger: testLogger(t)})
	if second.FrontendHostPort() == firstFrontend {
		t.Logf("second server reused port %s", firstFrontend)
	}
	c, _ = startWorker(t, second)
	if err := c.SignalWorkflow(ctx, workflowID, "", approveSignal, "risk desk"); err != nil {
		t.Fatalf("signal after restart: %v", err)
	}
	var got string
	if err := c.GetWorkflow(ctx, workflowID, "").Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello risk desk" {
		t.Errorf("result = %q, want %q", got, "hello risk desk")
	}
}

// waitForEvent polls the workflow's history until an event of type want
// appears.
func waitForEvent(ctx context.Context, t *testing.T, c client.Client, workflowID string, want enumspb.EventType) {
	t.Helper()
	for {
		it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			event, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", workflowID, err)
			}
			if event.GetEventType() == want {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("history of %s never got %s", workflowID, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// openFDsTo lists this process's descriptors that point at path or its WAL
// companions.
func openFDsTo(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list open files: %v", err)
	}
	var out []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, path) {
			out = append(out, target)
		}
	}
	return out
}

func TestBusyPortIsAnError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	addr := taken.Addr().String()

	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"frontend", Options{FrontendAddr: addr}, "temporal frontend: " + addr + " is in use"},
		{"ui", Options{FrontendAddr: "127.0.0.1:0", UIAddr: addr}, "temporal ui: " + addr + " is in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(context.Background(), tc.opts)
			if err == nil {
				_ = s.Stop()
				t.Fatalf("Start succeeded on a busy port")
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
		})
	}

	// Options are checked before anything starts, so a bad address is an
	// error too rather than a server bound somewhere unexpected.
	if _, err := Start(context.Background(), Options{FrontendAddr: "example.com:7233"}); err == nil {
		t.Errorf("Start with a host name: err = %v, want an address error", err)
	}
}
