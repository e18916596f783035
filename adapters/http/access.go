package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// RequestIDHeader carries the id of a request: taken from the client when
// it sends a sane one (a proxy's or a front end's), else made here, and
// always sent back, so that a report, a log line and a trace agree.
const RequestIDHeader = "X-Request-ID"

type requestKey struct{}

// requestInfo is what the outer middleware learns of a request and the
// handlers below it may read.
type requestInfo struct {
	id     string
	client string
}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	ri, _ := ctx.Value(requestKey{}).(*requestInfo)
	if ri == nil {
		return ""
	}
	return ri.id
}

// clientAddr is the address of the client ctx belongs to, as the rate
// limits see it.
func clientAddr(ctx context.Context) string {
	ri, _ := ctx.Value(requestKey{}).(*requestInfo)
	if ri == nil {
		return ""
	}
	return ri.client
}

// saneRequestID accepts ids of 1 to 128 letters, digits and . _ : -, which
// covers UUIDs and the ids proxies make, and keeps anything that could
// forge a log line or a header out.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientOf is the client's address: the connection's peer, or the last
// address in header (the one the trusted proxy in front of the server
// saw) when the server sits behind one.
func clientOf(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// securityHeaders are sent with every answer.
var securityHeaders = map[string]string{
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"X-Frame-Options":        "DENY",
}

// The Content-Security-Policy of API answers, which are data that nothing
// may run or frame, and of every other page unless it sets its own (the
// browser pages /docs and /app/ allow this server only; pages that cmd
// mounts, such as the development payment window, keep their inline
// styles).
const (
	apiCSP   = "default-src 'none'; frame-ancestors 'none'"
	pagesCSP = "frame-ancestors 'none'"
)

func cspFor(path string) string {
	if strings.HasPrefix(path, BasePath+"/") || path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/openapi") {
		return apiCSP
	}
	return pagesCSP
}

// requestContext is the outermost middleware: it gives the request its id
// and client address, sets the security headers, and writes the access
// line when log is not nil.
func requestContext(log *slog.Logger, clientHeader string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get(RequestIDHeader)
			if !saneRequestID(id) {
				id = newRequestID()
			}
			ri := &requestInfo{id: id, client: clientOf(r, clientHeader)}
			h := w.Header()
			h.Set(RequestIDHeader, id)
			for k, v := range securityHeaders {
				h.Set(k, v)
			}
			h.Set("Content-Security-Policy", cspFor(r.URL.Path))
			if log == nil {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, ri)))
				return
			}
			sw := &countingWriter{statusWriter: statusWriter{ResponseWriter: w}}
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestKey{}, ri)))
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := ""
			if rc := chi.RouteContext(r.Context()); rc != nil {
				route = rc.RoutePattern()
			}
			// Info whatever the status, so that a log handler that folds
			// repeated warnings never folds access lines.
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", route), slog.Int("status", status), slog.Int64("bytes", sw.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("client", ri.client))
		})
	}
}

// countingWriter counts the bytes of the answer for the access line.
type countingWriter struct {
	statusWriter
	bytes int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.statusWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
