package system

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestThrottledHandlerWritesOneWarningPerInterval(t *testing.T) {
	var buf bytes.Buffer
	h := NewThrottledHandler(slog.NewTextHandler(&buf, nil), 10*time.Second)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.now = func() time.Time { return now }
	log := slog.New(h).With("component", "api")

	for i := 0; i < 500; i++ {
		log.Warn("database unavailable", "err", "connection refused")
		now = now.Add(10 * time.Millisecond) // 5 s in all
	}
	log.Error("request failed", "instance", "a")
	log.Error("request failed", "instance", "b")
	log.Info("started")
	log.Info("started")
	now = now.Add(6 * time.Second)
	log.Warn("database unavailable", "err", "connection refused")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var warns, errs, infos []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "level=WARN"):
			warns = append(warns, l)
		case strings.Contains(l, "level=ERROR"):
			errs = append(errs, l)
		case strings.Contains(l, "level=INFO"):
			infos = append(infos, l)
		}
	}
	if len(warns) != 2 || len(errs) != 2 || len(infos) != 2 {
		t.Fatalf("warns %d, errors %d, infos %d, want 2 each:\n%s", len(warns), len(errs), len(infos), buf.String())
	}
	if strings.Contains(warns[0], "repeated") {
		t.Errorf("the first warning carries a count: %s", warns[0])
	}
	// 499 were held back in the first interval; the second line stands
	// for them and itself.
	if !strings.Contains(warns[1], "repeated=500") || !strings.Contains(warns[1], "component=api") {
		t.Errorf("second warning: %s", warns[1])
	}
}
