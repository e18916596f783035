package temporal

import (
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
)

// NewMetrics exports the SDK's metrics (workflow task latency, activity
// failures, poller counts, ...; their names already start with
// "temporal_") on the service's Prometheus registry, next to its own. Close the returned closer to flush and stop reporting.
func NewMetrics(reg *prometheus.Registry) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg, OnRegisterError: func(error) {}})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &tallyprom.DefaultSanitizerOpts,
	}, time.Second)
	return tallyHandler{scope}, closer
}

// tallyHandler adapts a tally scope to the SDK's metrics interface, which
// mirrors tally's.
type tallyHandler struct{ s tally.Scope }

func (h tallyHandler) WithTags(tags map[string]string) client.MetricsHandler {
	return tallyHandler{h.s.Tagged(tags)}
}
func (h tallyHandler) Counter(name string) client.MetricsCounter { return h.s.Counter(name) }
func (h tallyHandler) Gauge(name string) client.MetricsGauge     { return h.s.Gauge(name) }
func (h tallyHandler) Timer(name string) client.MetricsTimer     { return h.s.Timer(name) }
