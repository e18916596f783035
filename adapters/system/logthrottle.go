package system

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// ThrottledHandler keeps a flood of one warning from drowning the log.
// During an outage every request, feed tick and relay pass meets the same
// failure; this handler writes the first WARN record of a message at once,
// then at most one record of that message per Interval, carrying how many
// it stood for ("repeated"). ERROR records always pass: each is a bug worth
// its own line, and an answer may quote its instance id. INFO and DEBUG
// pass untouched.
type ThrottledHandler struct {
	next     slog.Handler
	interval time.Duration
	now      func() time.Time
	st       *throttleState
}

type throttleState struct {
	mu   sync.Mutex
	seen map[string]*throttled
}

type throttled struct {
	last   time.Time
	hidden int
}

// maxThrottled bounds the messages remembered; past it the memory starts
// over, which at worst lets one extra line of each through.
const maxThrottled = 1024

// NewThrottledHandler wraps next; interval ≤ 0 means ten seconds.
func NewThrottledHandler(next slog.Handler, interval time.Duration) *ThrottledHandler {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &ThrottledHandler{next: next, interval: interval, now: time.Now, st: &throttleState{seen: map[string]*throttled{}}}
}

// Enabled implements slog.Handler.
func (h *ThrottledHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *ThrottledHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level != slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	now := h.now()
	h.st.mu.Lock()
	t := h.st.seen[r.Message]
	if t == nil {
		if len(h.st.seen) >= maxThrottled {
			h.st.seen = map[string]*throttled{}
		}
		t = &throttled{}
		h.st.seen[r.Message] = t
	}
	if !t.last.IsZero() && now.Sub(t.last) < h.interval {
		t.hidden++
		h.st.mu.Unlock()
		return nil
	}
	hidden := t.hidden
	t.last, t.hidden = now, 0
	h.st.mu.Unlock()
	if hidden > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", hidden+1), slog.Duration("within", h.interval))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler; the derived handler shares the
// throttling state, so a message is throttled whichever logger wrote it.
func (h *ThrottledHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	return &c
}

// WithGroup implements slog.Handler.
func (h *ThrottledHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}
