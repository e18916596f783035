// Package httpapi is StocKing's HTTP adapter: the JSON API under /api/v1
// (Huma operations on a chi router), the OpenAPI 3.1 document and Swagger
// UI, and the operations endpoints /healthz, /readyz and /metrics.
//
// Handlers are thin: they decode, call one service method and encode. The
// wire contract (snake_case, {"data": ...} envelopes, money as decimal
// strings, RFC 9457 problems) lives in dto.go and errors.go.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stocking-kr/stocking/service"
)

// BasePath prefixes every API operation.
const BasePath = "/api/v1"

// SecurityScheme is the name of the bearer-token scheme in the OpenAPI
// document. An operation whose Security lists it requires a valid access
// token; routes added through Options.Mount opt in the same way.
const SecurityScheme = "bearer"

// maxBodyBytes caps request bodies. The largest legitimate body (an admin
// listing update) is a few hundred bytes; the cap keeps a client from
// making the server buffer megabytes before validation rejects them.
const maxBodyBytes = 64 << 10

// Options configure the handler.
type Options struct {
	Service *service.Service
	// Logger receives server errors; nil discards them. Requests are not
	// logged one by one: /metrics counts them.
	Logger *slog.Logger
	// Registry is the process's Prometheus registry: the HTTP metrics are
	// registered on it and /metrics serves it. Nil gives the handler a
	// private registry.
	Registry *prometheus.Registry
	// Checks are the readiness checks /readyz runs ("database",
	// "temporal", ...).
	Checks map[string]func(context.Context) error
	// Version is reported in the OpenAPI document.
	Version string
	// Mount lets cmd add routes (payments webhook, dev pages). It is called
	// with the chi router and the root Huma API after the core routes are
	// registered; Huma operations it adds get the same problem documents,
	// and the same bearer authentication when their Security names
	// SecurityScheme. Their paths must include BasePath where wanted.
	// Routes are already defined on r, so chi refuses r.Use there; scope
	// extra middleware with r.With or r.Group.
	Mount func(r chi.Router, api huma.API)
	// CORSAllowedOrigins are the browser origins, besides the server's
	// own, allowed to call the API (CORS_ALLOWED_ORIGINS); an entry may
	// hold one * wildcard. Empty: no CORS headers at all.
	CORSAllowedOrigins []string
	// AccessLog receives one line per request (request id, method, path,
	// route, status, bytes, duration, client); nil writes none.
	AccessLog *slog.Logger
	// ClientIPHeader names the header a trusted proxy in front of the
	// server puts the client's address in (X-Forwarded-For, X-Real-IP);
	// its last address is the client the rate limits count. Empty: the
	// connection's peer.
	ClientIPHeader string
	// StreamPoll is how often the event stream looks for changes made
	// through other processes (DefaultStreamPoll when zero);
	// StreamHeartbeat how often an idle stream gets a comment line
	// (DefaultStreamHeartbeat when zero).
	StreamPoll      time.Duration
	StreamHeartbeat time.Duration
	// Shutdown, once closed, ends every event stream, which would
	// otherwise keep http.Server.Shutdown waiting (register its closing
	// with http.Server.RegisterOnShutdown).
	Shutdown <-chan struct{}
	// MetricsElsewhere leaves /metrics off the API's routes, because cmd
	// serves MetricsHandler on a listener of its own.
	MetricsElsewhere bool
	// AuthLimits bound login and signup attempts; nil applies
	// DefaultAuthLimits. A zero RateLimit turns that limit off.
	AuthLimits *AuthLimits
	// CheckoutURL is the payment window the web app at /app/ sends a
	// top-up to (the development fake PortOne's checkout page), as a URL
	// or a path on this server. Empty: the app offers no top-up.
	CheckoutURL string
}

// NewHandler builds the HTTP handler: API, docs, health, readiness and
// metrics.
func NewHandler(opts Options) http.Handler {
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	r, _ := build(opts, newMetrics(reg), reg)
	return r
}

// OpenAPI returns the OpenAPI 3.1 document of the API as JSON, for
// `stocking openapi`. It registers nothing on Options.Registry.
func OpenAPI(opts Options) ([]byte, error) {
	reg := prometheus.NewRegistry()
	_, api := build(opts, newMetrics(reg), reg)
	return json.MarshalIndent(api.OpenAPI(), "", "  ")
}

// server holds what the handlers need.
type server struct {
	svc    *service.Service
	log    *slog.Logger
	users  *userCache
	login  *authLimiter
	signup *authLimiter

	metricsElsewhere bool
	hub              *hub
	shutdown         <-chan struct{}
	// days keeps the JSON of equity histories' stored days.
	days *renderedDays
	// boards keeps the JSON of computed leaderboards.
	boards *renderedBoards
}

// userTTL is how long a token's user is trusted to exist without a
// database read.
const userTTL = 5 * time.Second

func build(opts Options, m *metrics, reg *prometheus.Registry) (chi.Router, huma.API) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limits := DefaultAuthLimits
	if opts.AuthLimits != nil {
		limits = *opts.AuthLimits
	}
	s := &server{
		svc: opts.Service, log: log, users: newUserCache(userTTL),
		login: newAuthLimiter("login", limits), signup: newAuthLimiter("signup", limits),
		metricsElsewhere: opts.MetricsElsewhere,
		hub:              newHub(opts.Service, log, opts.StreamPoll, opts.StreamHeartbeat),
		shutdown:         opts.Shutdown,
		days:             &renderedDays{m: map[string]*keptDays{}},
		boards:           &renderedBoards{m: map[boardRender][]byte{}},
	}

	r := chi.NewRouter()
	r.Use(requestContext(opts.AccessLog, opts.ClientIPHeader))
	r.Use(m.middleware, recoverer(log), cleanInputs, s.hub.kickAfterWrites)
	r.Use(corsMiddleware(opts.CORSAllowedOrigins))
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, newProblem(http.StatusNotFound, "", "no route for "+req.Method+" "+req.URL.Path+"; the API lives under "+BasePath+" and /docs lists every operation"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		writeProblem(w, newProblem(http.StatusMethodNotAllowed, "", req.Method+" is not allowed on "+req.URL.Path+"; /docs lists the methods each path takes"))
	})

	api := humachi.New(r, humaConfig(opts.Version, log))
	api.UseMiddleware(s.authenticate)

	v1 := huma.NewGroup(api, BasePath)
	s.registerAuth(v1)
	s.registerStocks(v1)
	s.registerBars(v1)
	s.registerMarketDay(v1)
	s.registerBalance(v1)
	s.registerAccounts(v1)
	s.registerOrders(v1)
	s.registerModifyOrder(v1)
	s.registerPortfolio(v1)
	s.registerLedger(v1)
	s.registerWatchlist(v1)
	s.registerAnalytics(v1)
	s.registerPayments(v1)
	s.registerAdmin(v1)
	s.registerPerformance(v1)
	s.registerStream(v1)
	s.registerOps(api, r, reg, opts.Checks)
	mountWeb(r, opts)

	if opts.Mount != nil {
		opts.Mount(r, api)
	}
	documentProblems(api)
	documentAPI(api)
	return r, api
}

// documentProblems makes the OpenAPI document show the error body clients
// actually get. Huma documents its own ErrorModel for operations that do
// not name their errors (ops endpoints, routes added by Mount), but the
// transformer answers every error with a Problem.
func documentProblems(api huma.API) {
	oapi := api.OpenAPI()
	problem := problemResponse(api, "").Content
	const errRef = "#/components/schemas/ErrorModel"
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op == nil {
				continue
			}
			for _, resp := range op.Responses {
				for _, mt := range resp.Content {
					if mt != nil && mt.Schema != nil && mt.Schema.Ref == errRef {
						resp.Content = problem
						break
					}
				}
			}
		}
	}
	schemas := oapi.Components.Schemas.Map()
	delete(schemas, "ErrorModel")
	delete(schemas, "ErrorDetail")
}

func humaConfig(version string, log *slog.Logger) huma.Config {
	if version == "" {
		version = "dev"
	}
	// DefaultConfig brings the registry settings and JSON formats; its
	// schema-link transformer (a $schema field in every body and a Link
	// header) is left out, because the front end's contract is the bare
	// envelope and the hot path should not pay for it.
	cfg := huma.DefaultConfig("StocKing API", version)
	cfg.CreateHooks = nil
	cfg.SchemasPath = ""
	// Huma's docs page loads Swagger UI from a CDN; mountWeb serves an
	// embedded copy instead.
	cfg.DocsPath = ""
	cfg.OpenAPIPath = "/openapi"
	cfg.Info.Description = "Virtual stock trading on KRX listings. Money is sent and received as decimal strings " +
		"(\"70000\", \"1234.5\"), quantities as integers, times as RFC 3339. Successful bodies are wrapped as " +
		"{\"data\": ...}; errors are RFC 9457 problem documents with a code and a detail that says what to fix. " +
		"Use Authorize with the access_token from /api/v1/auth/login."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		SecurityScheme: {
			Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "The access_token from signup, login or refresh.",
		},
	}
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	cfg.Transformers = []huma.Transformer{problemTransformer(log)}
	return cfg
}

// access says who may call an operation.
type access int

const (
	public access = iota
	signedIn
	adminOnly
)

// metaAdmin marks admin operations in Operation.Metadata; the auth
// middleware checks the caller's role for them.
const metaAdmin = "stocking.admin"

// register adds an operation under the rules every core operation shares:
// access control, the body cap, documented problem answers, and errors
// mapped through the one table in errors.go with field names turned into
// request locations (limit_price → body.limit_price).
func register[I, O any](api huma.API, acc access, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = maxBodyBytes
	if acc != public {
		op.Security = []map[string][]string{{SecurityScheme: {}}}
	}
	if acc == adminOnly {
		if op.Metadata == nil {
			op.Metadata = map[string]any{}
		}
		op.Metadata[metaAdmin] = true
	}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	problem := problemResponse(api, "A problem document (RFC 9457) whose detail says what to fix.")
	op.Responses["default"] = problem
	if acc != public {
		op.Responses["401"] = problemResponse(api, "Missing, expired or invalid access token.")
	}
	if acc == adminOnly {
		op.Responses["403"] = problemResponse(api, "The caller is not an admin.")
	}

	locs := locations(reflect.TypeFor[I]())
	huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			if p := domainProblem(err, locs); p != nil {
				return nil, p
			}
			return nil, err
		}
		return out, nil
	})
}

func problemResponse(api huma.API, desc string) *huma.Response {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")
	return &huma.Response{
		Description: desc,
		Content:     map[string]*huma.MediaType{"application/problem+json": {Schema: schema}},
	}
}

// locations maps the names the core uses in field errors (the JSON, query
// and path names) to where they sit in the request.
func locations(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		for _, loc := range []string{"path", "query", "header"} {
			if name := f.Tag.Get(loc); name != "" {
				out[name] = loc + "." + name
			}
		}
		if f.Name == "Body" && f.Type.Kind() == reflect.Struct {
			for j := 0; j < f.Type.NumField(); j++ {
				name, _, _ := strings.Cut(f.Type.Field(j).Tag.Get("json"), ",")
				if name != "" && name != "-" {
					out[name] = "body." + name
				}
			}
		}
	}
	return out
}
