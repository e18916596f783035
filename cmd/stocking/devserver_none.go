//go:build nodevserver

package main

import (
	"context"
	"errors"
	"log/slog"
)

// embeddedTemporalAvailable is false in builds made with -tags
// nodevserver: they connect to TEMPORAL_ADDRESS and never link the server.
const embeddedTemporalAvailable = false

func startEmbeddedTemporal(context.Context, string, string, string, string, *slog.Logger) (string, string, func() error, error) {
	return "", "", nil, errors.New("this build has no embedded Temporal server (built with -tags nodevserver); set TEMPORAL_ADDRESS to a Temporal frontend, or TEMPORAL_ADDRESS=off")
}
