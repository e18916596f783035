package main

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	temporaladapter "github.com/stocking-kr/stocking/adapters/temporal"
)

// syncBuffer is a bytes.Buffer that a command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTemporalCommandServesOtherProcesses starts `stocking temporal` on
// free addresses and connects to it as a `serve` or `worker` would.
func TestTemporalCommandServesOtherProcesses(t *testing.T) {
	if !embeddedTemporalAvailable {
		t.Skip("built without the embedded Temporal server")
	}
	front, ui := freeAddr(t), freeAddr(t)
	getenv := testEnv(t, map[string]string{"TEMPORAL_EMBED_ADDRESS": front, "TEMPORAL_UI_ADDRESS": ui})
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"temporal", "--db", ":memory:"}, &out, getenv) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stocking temporal: %v", err)
		}
	}()
	var c interface{ Close() }
	waitFor(t, "the Temporal frontend", 90*time.Second, func() bool {
		cl, err := temporaladapter.Dial(temporaladapter.Options{HostPort: front, Namespace: "default"})
		if err != nil {
			return false
		}
		if err := (&temporaladapter.Engine{Client: cl}).Ready(context.Background()); err != nil {
			cl.Close()
			return false
		}
		c = cl
		return true
	})
	c.Close()
	waitFor(t, "the addresses printed", 10*time.Second, func() bool { return bytes.Contains([]byte(out.String()), []byte(front)) })
}
