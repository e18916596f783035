package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// runTemporal runs the embedded Temporal server and UI alone, on the
// addresses `dev` uses (TEMPORAL_EMBED_ADDRESS, TEMPORAL_UI_ADDRESS), so
// that several `serve`, `worker` and `feed` processes on one machine can
// share it through TEMPORAL_ADDRESS without Docker.
func runTemporal(ctx context.Context, getenv func(string) string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("temporal", flag.ContinueOnError)
	fs.SetOutput(out)
	db := fs.String("db", "stocking-temporal.db", "SQLite file that keeps the server's state (\":memory:\" keeps it in memory)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("temporal: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := LoadConfig(getenv, true)
	if err != nil {
		return err
	}
	path := *db
	if path == ":memory:" {
		path = ""
	}
	front, ui, stop, err := startEmbeddedTemporal(ctx, cfg.TemporalEmbedAddr, cfg.TemporalUIAddr, cfg.TemporalNamespace, path, newLogger(cfg.LogLevel, cfg.LogFormat))
	if err != nil {
		return fmt.Errorf("embedded Temporal: %w (TEMPORAL_EMBED_ADDRESS=%s, TEMPORAL_UI_ADDRESS=%s)", err, cfg.TemporalEmbedAddr, cfg.TemporalUIAddr)
	}
	fmt.Fprintf(out, "\n  Temporal frontend %s   (TEMPORAL_ADDRESS=%s, namespace %s)\n  Temporal UI       %s\n\n", front, front, cfg.TemporalNamespace, ui)
	<-ctx.Done()
	return stop()
}
