package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// checkTimeout bounds each readiness check: a load balancer polls /readyz
// every few seconds and must get an answer before its own timeout.
const checkTimeout = 2 * time.Second

// Health is the body of /healthz.
type Health struct {
	Status string `json:"status" example:"ok"`
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status string                 `json:"status" enum:"ok,unavailable"`
	Checks map[string]CheckResult `json:"checks"`
}

// CheckResult is the outcome of one readiness check. Why a check fails is
// written to the log, not here: the cause may name hosts, users and
// databases, and /readyz answers anyone.
type CheckResult struct {
	Status     string  `json:"status" enum:"ok,failing"`
	DurationMS float64 `json:"duration_ms"`
}

type healthOutput struct {
	Body Health
}

type readyOutput struct {
	Status int
	Body   Readiness
}

func (s *server) registerOps(api huma.API, r chi.Router, reg *prometheus.Registry, checks map[string]func(context.Context) error) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"ops"},
		Summary: "Liveness: the process answers",
	}, func(context.Context, *struct{}) (*healthOutput, error) {
		return &healthOutput{Body: Health{Status: "ok"}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"ops"},
		Summary:     "Readiness: every dependency answers",
		Description: "Runs each readiness check (database, workflow engine, ...) with a short timeout; 503 when any fails.",
		Responses: map[string]*huma.Response{
			"503": {Description: "A dependency is failing; the body says which.", Content: map[string]*huma.MediaType{
				"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Readiness](), true, "Readiness")},
			}},
		},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		res := runChecks(ctx, checks, s.log)
		out := &readyOutput{Status: http.StatusOK, Body: res}
		if res.Status != "ok" {
			out.Status = http.StatusServiceUnavailable
		}
		return out, nil
	})

	if !s.metricsElsewhere {
		r.Handle("/metrics", MetricsHandler(reg))
	}
}

// MetricsHandler serves the registry in Prometheus's format: at /metrics
// on the API's port, or on a listener of its own (METRICS_ADDRESS) when
// Options.MetricsElsewhere is set.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// runChecks runs the checks concurrently, so one slow dependency costs one
// timeout rather than the sum of them.
func runChecks(ctx context.Context, checks map[string]func(context.Context) error, log *slog.Logger) Readiness {
	res := Readiness{Status: "ok", Checks: make(map[string]CheckResult, len(checks))}
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	results := make([]CheckResult, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			start := time.Now()
			err := runCheck(cctx, checks[name])
			r := CheckResult{Status: "ok", DurationMS: float64(time.Since(start).Microseconds()) / 1000}
			if err != nil {
				r.Status = "failing"
				log.Warn("readiness check failing", "check", name, "err", err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	for i, name := range names {
		res.Checks[name] = results[i]
		if results[i].Status != "ok" {
			res.Status = "unavailable"
		}
	}
	return res
}

// runCheck gives up when the timeout passes even if the check ignores its
// context.
func runCheck(ctx context.Context, check func(context.Context) error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("check panicked: %v", v)
			}
		}()
		done <- check(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
