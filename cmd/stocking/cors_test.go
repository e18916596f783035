package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCORSConfig(t *testing.T) {
	get := func(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }

	c, err := LoadConfig(get(nil), true)
	if err != nil || !slices.Equal(c.CORSAllowedOrigins, devCORSOrigins) {
		t.Fatalf("dev default: %v %v", c.CORSAllowedOrigins, err)
	}
	c, err = LoadConfig(get(nil), false)
	if err != nil || len(c.CORSAllowedOrigins) != 0 {
		t.Fatalf("serve default: %v %v", c.CORSAllowedOrigins, err)
	}
	c, err = LoadConfig(get(map[string]string{"CORS_ALLOWED_ORIGINS": " https://app.example.com, https://*.example.org ,"}), true)
	if err != nil || !slices.Equal(c.CORSAllowedOrigins, []string{"https://app.example.com", "https://*.example.org"}) {
		t.Fatalf("explicit list: %v %v", c.CORSAllowedOrigins, err)
	}
	_, err = LoadConfig(get(map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.com/"}), false)
	if err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
		t.Fatalf("an origin with a path: %v", err)
	}
}

// TestDevAllowsLocalFrontEnds sends a browser's preflight to the real
// server as `stocking dev` configures it.
func TestDevAllowsLocalFrontEnds(t *testing.T) {
	m, _ := startMain(t, nil)
	req, _ := http.NewRequest(http.MethodOptions, m.URL()+"/api/v1/orders", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
