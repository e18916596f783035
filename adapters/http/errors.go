package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

// statusByCode is the one table from the core's error codes to HTTP
// statuses. A code missing here is a bug in the core and answers 500.
var statusByCode = map[domain.Code]int{
	domain.CodeInvalid:           http.StatusUnprocessableEntity,
	domain.CodeNotFound:          http.StatusNotFound,
	domain.CodeConflict:          http.StatusConflict,
	domain.CodeInsufficientFunds: http.StatusUnprocessableEntity,
	domain.CodeInsufficientStock: http.StatusUnprocessableEntity,
	domain.CodeMarketClosed:      http.StatusConflict,
	domain.CodeUnauthorized:      http.StatusUnauthorized,
	domain.CodeForbidden:         http.StatusForbidden,
	domain.CodeUnavailable:       http.StatusServiceUnavailable,
}

// codeByStatus names the problems that HTTP itself raises (router, body
// limits, Huma's validation) in the same vocabulary as the core's codes, so
// that a client can switch on code alone.
var codeByStatus = map[int]string{
	http.StatusBadRequest:            string(domain.CodeInvalid),
	http.StatusUnauthorized:          string(domain.CodeUnauthorized),
	http.StatusForbidden:             string(domain.CodeForbidden),
	http.StatusNotFound:              string(domain.CodeNotFound),
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusNotAcceptable:         "not_acceptable",
	http.StatusRequestTimeout:        "timeout",
	http.StatusConflict:              string(domain.CodeConflict),
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   string(domain.CodeInvalid),
	http.StatusTooManyRequests:       codeRateLimited,
	http.StatusServiceUnavailable:    string(domain.CodeUnavailable),
}

// internalDetail is all a client learns about a failure that is ours: the
// cause may name tables, hosts or queries, so it goes to the log only.
const internalDetail = "an unexpected error occurred on the server; it has been logged, and the instance field identifies it"

// Problem is an RFC 9457 problem document, the body of every error answer.
// Code carries the core's error code (invalid, not_found, conflict,
// insufficient_funds, ...); Errors lists the offending inputs when there
// are any.
type Problem struct {
	Type     string       `json:"type" doc:"A URI reference for the problem type; about:blank when the status says it all."`
	Title    string       `json:"title" doc:"The HTTP status text."`
	Status   int          `json:"status" doc:"The HTTP status code."`
	Detail   string       `json:"detail" doc:"What went wrong and what to send instead."`
	Instance string       `json:"instance,omitempty" doc:"Identifies this occurrence; quote it when reporting a server error."`
	Code     string       `json:"code" doc:"Machine-readable error code: invalid, not_found, conflict, insufficient_funds, insufficient_quantity, market_closed, unauthorized, forbidden, rate_limited, unavailable, internal, ..."`
	Errors   []FieldError `json:"errors,omitempty" doc:"The inputs at fault, when the problem is about inputs."`

	// header is sent with the problem (WWW-Authenticate on 401,
	// Retry-After on 503).
	header http.Header
	// cause is what made a dependency unavailable, for the log only.
	cause error
}

// FieldError is one input at fault.
type FieldError struct {
	Location string `json:"location" doc:"Where the input is: body.quantity, query.limit, path.code, ..."`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty" doc:"The value received, for scalar inputs."`
}

// Error implements error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders implements huma.HeadersError.
func (p *Problem) GetHeaders() http.Header { return p.header }

// ContentType makes Huma send problems as application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

func newProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = codeByStatus[status]
		if code == "" {
			code = string(domain.CodeInternal)
			if status < 500 {
				code = string(domain.CodeInvalid)
			}
		}
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// ProblemFor turns an error from the service into the problem document the
// API answers with. Routes that cmd mounts return its result so that they
// answer exactly like the core routes. Errors that are not the core's own
// (or carry CodeInternal) are returned unchanged: Huma then reports them as
// a 500, which the API's transformer logs and strips of detail.
func ProblemFor(err error) error {
	if p := domainProblem(err, nil); p != nil {
		return p
	}
	return err
}

// domainProblem maps a core error to a problem, or returns nil for errors
// that must be treated as internal. locs maps the core's field names to
// request locations (limit_price → body.limit_price).
func domainProblem(err error, locs map[string]string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return unavailable("the request took too long; try again in a few seconds", err)
		case errors.Is(err, context.Canceled):
			// The client went away; nobody reads this answer.
			return newProblem(http.StatusServiceUnavailable, "", "the request was cancelled")
		}
		return nil
	}
	if de.Code == domain.CodeUnavailable {
		return unavailable(de.Message, err)
	}
	status, ok := statusByCode[de.Code]
	if !ok {
		return nil
	}
	p = newProblem(status, string(de.Code), de.Message)
	if de.Field != "" {
		loc := de.Field
		if l, ok := locs[de.Field]; ok {
			loc = l
		}
		p.Detail = loc + ": " + de.Message
		p.Errors = []FieldError{{Location: loc, Message: de.Message}}
	}
	if status == http.StatusUnauthorized {
		p.header = http.Header{"Www-Authenticate": {`Bearer realm="stocking"`}}
	}
	return p
}

// retryAfter is what a 503 asks clients to wait: outages the service rides
// out (a database failover, a restarting connection) last seconds.
const retryAfter = "5"

// unavailable is the answer while a dependency cannot be reached: nothing
// was changed, and the same request may be sent again after Retry-After.
func unavailable(detail string, cause error) *Problem {
	p := newProblem(http.StatusServiceUnavailable, string(domain.CodeUnavailable), detail)
	p.header = http.Header{"Retry-After": {retryAfter}}
	p.cause = cause
	return p
}

// logUnavailable notes a 503 answer. The message is constant so that the
// process's throttled log handler folds an outage's thousands of answers
// into one line per interval with a count.
func logUnavailable(log *slog.Logger, p *Problem, method, path string) {
	if p.cause == nil || errors.Is(p.cause, context.Canceled) {
		return
	}
	log.Warn("a dependency is unavailable; answering 503", "err", p.cause, "method", method, "path", path)
}

// errorID names one occurrence of a server error in the log and in the
// answer, so a user's report can be matched to the log line.
func errorID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "urn:stocking:error:" + hex.EncodeToString(b[:])
}

// maxDetailErrors bounds how many field errors detail repeats; the errors
// array keeps all of them.
const maxDetailErrors = 3

// problemTransformer rewrites the error bodies Huma builds itself
// (validation, malformed JSON, body limits, unexpected handler errors) into
// the API's problem shape, with a detail that says what to fix instead of
// "validation failed". Everything else passes through untouched.
func problemTransformer(log *slog.Logger) huma.Transformer {
	return func(ctx huma.Context, _ string, v any) (any, error) {
		switch v := v.(type) {
		case *huma.ErrorModel:
			return fromHuma(ctx, log, v), nil
		case *Problem:
			if v.Status == http.StatusServiceUnavailable && ctx != nil {
				logUnavailable(log, v, ctx.Method(), ctx.URL().Path)
			}
		}
		return v, nil
	}
}

func fromHuma(ctx huma.Context, log *slog.Logger, em *huma.ErrorModel) *Problem {
	status := em.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		p := newProblem(status, "", internalDetail)
		p.Instance = errorID()
		causes := make([]string, 0, len(em.Errors))
		for _, e := range em.Errors {
			if e != nil {
				causes = append(causes, e.Message)
			}
		}
		attrs := []any{"instance", p.Instance, "status", status, "detail", em.Detail, "errors", causes}
		if ctx != nil {
			if op := ctx.Operation(); op != nil {
				attrs = append(attrs, "operation", op.OperationID)
			}
			u := ctx.URL()
			attrs = append(attrs, "method", ctx.Method(), "path", u.Path)
		}
		log.Error("request failed", attrs...)
		return p
	}

	p := newProblem(status, "", em.Detail)
	for _, e := range em.Errors {
		if e == nil {
			continue
		}
		loc, msg, value := e.Location, e.Message, echoValue(e.Location, e.Value)
		if loc == "body" {
			if l, m, ok := bodyLocation(msg); ok {
				loc, msg = l, m
			}
		}
		p.Errors = append(p.Errors, FieldError{Location: loc, Message: plainNumbers(msg), Value: value})
	}
	switch {
	case status == http.StatusBadRequest && len(p.Errors) > 0 && p.Errors[0].Location == "body":
		p.Detail = "the request body is not valid JSON: " + p.Errors[0].Message
	case status == http.StatusRequestEntityTooLarge:
		p.Detail = "the request body is too large; send at most " + fmt.Sprint(maxBodyBytes/1024) + " KiB"
	case len(p.Errors) > 0:
		parts := make([]string, 0, maxDetailErrors+1)
		for i, e := range p.Errors {
			if i == maxDetailErrors {
				parts = append(parts, fmt.Sprintf("and %d more (see errors)", len(p.Errors)-maxDetailErrors))
				break
			}
			if e.Location == "" {
				parts = append(parts, e.Message)
			} else {
				parts = append(parts, e.Location+": "+e.Message)
			}
		}
		p.Detail = strings.Join(parts, "; ")
	}
	return p
}

// plainNumbers rewrites the exponent notation Huma prints schema bounds in
// ("expected number <= 1e+06") as plain digits, the way users write them.
func plainNumbers(msg string) string {
	if !strings.Contains(msg, "e+") {
		return msg
	}
	words := strings.Fields(msg)
	for i, w := range words {
		if !strings.Contains(w, "e+") {
			continue
		}
		if f, err := strconv.ParseFloat(w, 64); err == nil {
			words[i] = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return strings.Join(words, " ")
}

// echoValue returns the received value worth echoing: scalars only, not
// the raw body Huma attaches to parse errors, and never a secret.
func echoValue(loc string, v any) any {
	if loc == "body" || strings.Contains(loc, "password") || strings.Contains(loc, "token") {
		return nil
	}
	switch v.(type) {
	case string, float64, bool, int, int64:
		if s, ok := v.(string); ok && len(s) > 100 {
			return s[:100] + "…"
		}
		return v
	}
	return nil
}

// writeProblem answers a plain net/http request (router misses, panics,
// auth failures) with a problem document.
func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	for k, vs := range p.header {
		h[k] = vs
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	encodeProblem(w, p)
}

// writeHumaProblem is writeProblem for Huma middleware, which holds a
// huma.Context rather than a ResponseWriter.
func writeHumaProblem(ctx huma.Context, p *Problem) {
	for k, vs := range p.header {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetHeader("Cache-Control", "no-store")
	ctx.SetStatus(p.Status)
	encodeProblem(ctx.BodyWriter(), p)
}

// encodeProblem writes p as JSON the way Huma's own encoder does, without
// HTML escaping, so that "<token>" in a detail reads as written.
func encodeProblem(w io.Writer, p *Problem) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}
