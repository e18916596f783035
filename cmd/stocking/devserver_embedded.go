//go:build !nodevserver

package main

import (
	"context"
	"log/slog"

	"github.com/stocking-kr/stocking/adapters/temporal/devserver"
)

// embeddedTemporalAvailable says this build links the Temporal server, so
// `stocking dev` can run one in-process. Production images build with
// -tags nodevserver and leave it out.
const embeddedTemporalAvailable = true

// startEmbeddedTemporal runs a Temporal server and its Web UI in this
// process and returns the frontend address.
func startEmbeddedTemporal(ctx context.Context, frontend, ui, namespace, dbPath string, log *slog.Logger) (string, string, func() error, error) {
	s, err := devserver.Start(ctx, devserver.Options{
		FrontendAddr: frontend, UIAddr: ui, Namespace: namespace, DBPath: dbPath, Logger: log,
	})
	if err != nil {
		return "", "", nil, err
	}
	return s.FrontendHostPort(), s.UIURL(), s.Stop, nil
}
