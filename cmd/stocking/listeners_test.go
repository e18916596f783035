package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsAddress: with METRICS_ADDRESS set, /metrics leaves the API's
// port and answers on its own listener, from the same registry.
func TestMetricsAddress(t *testing.T) {
	m, _ := startMain(t, map[string]string{"METRICS_ADDRESS": "127.0.0.1:0"})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(m.URL() + "/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if code, _ := get(m.URL() + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the API port: %d, want 404", code)
	}
	if m.MetricsURL() == "" {
		t.Fatal("no metrics listener")
	}
	code, body := get(m.MetricsURL() + "/metrics")
	if code != 200 || !strings.Contains(body, `stocking_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Errorf("metrics listener: %d\n%.2000s", code, body)
	}
}

func TestSessionAndLogConfig(t *testing.T) {
	get := func(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }
	c, err := LoadConfig(get(map[string]string{}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "text" || !c.AccessLog || c.MetricsAddress != "" || c.AuthLimits.PerAddress.N != 60 || c.AuthLimits.PerEmail.N != 10 {
		t.Errorf("defaults: %+v", c)
	}
	c, err = LoadConfig(get(map[string]string{"STOCKING_ENV": "production", "JWT_SECRET_KEY": strings.Repeat("s", 40),
		"LOG_FORMAT": "json", "AUTH_RATE_LIMIT": "off", "AUTH_RATE_LIMIT_EMAIL": "3/10s", "ACCESS_LOG": "off"}), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "json" || c.AccessLog || c.MetricsAddress != defaultMetricsAddress || c.AuthLimits.PerAddress.N != 0 ||
		c.AuthLimits.PerEmail.N != 3 || c.AuthLimits.PerEmail.Per != 10*time.Second {
		t.Errorf("production: %+v", c)
	}
	_, err = LoadConfig(get(map[string]string{"LOG_FORMAT": "xml", "AUTH_RATE_LIMIT": "lots", "ACCESS_LOG": "maybe"}), false)
	for _, want := range []string{"LOG_FORMAT must be text or json", "AUTH_RATE_LIMIT must be N/DURATION", "ACCESS_LOG must be on or off"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
