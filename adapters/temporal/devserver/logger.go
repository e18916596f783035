package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger hands the server's warnings and errors to a slog.Logger and
// drops the rest: at info level the server writes several lines per workflow.
type serverLogger struct {
	sl    *slog.Logger
	quiet *atomic.Bool
	// last receives Panic and Fatal even when sl discards, so a process
	// the server ends never ends without a word.
	last *slog.Logger
	// with holds the tags of With calls unconverted: the server calls With
	// on hot paths, and almost none of those loggers ever write a line.
	with []tag.Tag
}

var _ log.WithLogger = serverLogger{}

// newServerLogger returns the logger for the server and a switch that drops
// its warnings from then on. Stop throws the switch: while the services go
// down one by one, the ones still up warn about every connection the others
// closed, which says nothing to someone who pressed Ctrl-C.
func newServerLogger(sl *slog.Logger) (log.Logger, *atomic.Bool) {
	quiet := new(atomic.Bool)
	last := sl
	if sl == nil {
		sl = slog.New(slog.DiscardHandler)
		last = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return serverLogger{sl: sl, quiet: quiet, last: last}, quiet
}

func (l serverLogger) Debug(string, ...tag.Tag) {}
func (l serverLogger) Info(string, ...tag.Tag)  {}

func (l serverLogger) Warn(msg string, tags ...tag.Tag) {
	if l.quiet.Load() {
		return
	}
	l.emit(slog.LevelWarn, msg, tags)
}

func (l serverLogger) Error(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, msg, tags)
}

// DPanic is a development-mode panic in the server; a dev server should keep
// running, so it is only reported.
func (l serverLogger) DPanic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, msg, tags)
}

// Panic keeps the server's contract that the call does not return.
func (l serverLogger) Panic(msg string, tags ...tag.Tag) {
	l.last.Error(msg, l.attrs(tags)...)
	panic(msg)
}

// Fatal keeps the server's contract that the call does not return: callers
// go on with nil values otherwise. Start checks ports up front so that the
// usual cause, a port taken by someone else, ends in an error instead.
func (l serverLogger) Fatal(msg string, tags ...tag.Tag) {
	l.last.Error(msg, l.attrs(tags)...)
	os.Exit(1)
}

func (l serverLogger) With(tags ...tag.Tag) log.Logger {
	with := make([]tag.Tag, 0, len(l.with)+len(tags))
	l.with = append(append(with, l.with...), tags...)
	return l
}

func (l serverLogger) emit(level slog.Level, msg string, tags []tag.Tag) {
	if !l.sl.Enabled(context.Background(), level) {
		return
	}
	l.sl.Log(context.Background(), level, msg, l.attrs(tags)...)
}

func (l serverLogger) attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(l.with)+len(tags))
	for _, t := range l.with {
		out = append(out, attr(t))
	}
	for _, t := range tags {
		out = append(out, attr(t))
	}
	return out
}

func attr(t tag.Tag) slog.Attr {
	v := t.Value()
	// Server values are often protobufs or errors whose useful form is their
	// String or Error method, which slog would not call.
	switch x := v.(type) {
	case error:
		v = x.Error()
	case fmt.Stringer:
		v = x.String()
	}
	return slog.Any(t.Key(), v)
}
