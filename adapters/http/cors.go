package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// corsMaxAge is how long, in seconds, a browser may reuse a preflight
// answer. Chromium caps it at two hours; ten minutes keeps a changed
// CORS_ALLOWED_ORIGINS from lingering in browsers for long.
const corsMaxAge = 600

// corsAllowedHeaders are the request headers a browser front end on
// another origin sends: the bearer token, JSON bodies, idempotency keys
// and the resume point of an event stream.
var corsAllowedHeaders = []string{"Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"}

// corsExposedHeaders are the answer headers such a front end may read
// beyond the CORS-safelisted ones: when to retry after a 503 or 429, the
// request id to quote in a report, and why a token was refused.
var corsExposedHeaders = []string{"Retry-After", "X-Request-ID", "WWW-Authenticate"}

// corsMiddleware answers preflights and marks answers to allowed origins
// as readable by them. With no origin allowed it passes requests through
// untouched, so that a server without CORS_ALLOWED_ORIGINS sends no CORS
// header at all (not even Vary).
// Credentials are not allowed: the API authenticates with bearer tokens,
// never cookies, so a cross-origin page gains nothing a token does not
// already give it.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: corsAllowedHeaders,
		ExposedHeaders: corsExposedHeaders,
		MaxAge:         corsMaxAge,
	})
	return c.Handler
}

// ValidateCORSOrigins checks CORS_ALLOWED_ORIGINS entries before the
// server starts: each must be "*" or a scheme and host with an optional
// port, at most one "*" standing for any run of characters
// (http://localhost:*, https://*.example.com). A path or a trailing slash
// would never equal a browser's Origin header and silently allow nothing.
func ValidateCORSOrigins(origins []string) error {
	for _, o := range origins {
		if o == "*" {
			continue
		}
		if strings.Count(o, "*") > 1 {
			return fmt.Errorf("%q has more than one *", o)
		}
		// "1" stands in for the wildcard: it is valid both in a host
		// name and as a port, where url.Parse checks for digits.
		u, err := url.Parse(strings.Replace(o, "*", "1", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an origin such as https://app.example.com or http://localhost:*", o)
		}
		if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("%q must be a scheme and host only, without a path, query or trailing slash", o)
		}
	}
	return nil
}
