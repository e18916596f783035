package kis

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// KIS's domains. The WebSocket paths are where KIS's own samples connect.
const (
	RealRESTBase = "https://openapi.koreainvestment.com:9443"
	MockRESTBase = "https://openapivts.koreainvestment.com:29443"
	RealWSURL    = "ws://ops.koreainvestment.com:21000/tryitout"
	MockWSURL    = "ws://ops.koreainvestment.com:31000/tryitout"
)

// Environments for Config.Env.
const (
	EnvReal = "real"
	EnvMock = "mock"
)

// DefaultMaxSubscriptions is the number of real-time subscriptions KIS
// documents for one WebSocket session.
const DefaultMaxSubscriptions = 40

// Config configures a Client. Only AppKey and AppSecret are required.
type Config struct {
	AppKey    string
	AppSecret string
	// Env is "real" (default) or "mock" (모의투자); it picks the default
	// REST and WebSocket domains.
	Env string
	// RESTBase replaces the REST domain, e.g. a kisfake server's URL.
	RESTBase string
	// WSURL replaces the WebSocket URL (ws:// or wss://), path included.
	WSURL string
	// HTTPClient is used for REST calls and the WebSocket handshake; the
	// default has a 10 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// MaxSubscriptions caps the codes one WebSocket session subscribes;
	// default DefaultMaxSubscriptions.
	MaxSubscriptions int

	// TokenRenewBefore is how long before its expiry the access token is
	// renewed; default 30 minutes, which leaves room for KIS's
	// one-issue-a-minute limit to refuse a renewal or two.
	TokenRenewBefore time.Duration
	// RateLimitRetries bounds how often one call is repeated after EGW00201;
	// default 5. RateLimitBackoff is the first pause (default 100 ms); each
	// further pause doubles, up to 2 s, with jitter.
	RateLimitRetries int
	RateLimitBackoff time.Duration
	// ReconnectMin and ReconnectMax bound the pause between WebSocket
	// reconnects; defaults 500 ms and 30 s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// SubscribeInterval spaces subscription messages; KIS's samples pause
	// 50 ms between them, which is the default. Negative means no pause.
	SubscribeInterval time.Duration
	// Now replaces time.Now for token expiry (tests).
	Now func() time.Time
}

// Client talks to the KIS Open API's REST side and holds the process-wide
// access token and approval key. It is safe for concurrent use; build one
// per process and share it.
type Client struct {
	cfg  Config
	rest string
	ws   string
	http *http.Client
	log  *slog.Logger
	now  func() time.Time

	issue singleflight.Group

	mu           sync.Mutex
	token        string
	tokenExpires time.Time
	// tokenRetryAt holds back a renewal after a failed one while the old
	// token is still good: KIS refuses more than one issue a minute.
	tokenRetryAt time.Time
	// tokenLimitErr is KIS's one-a-minute refusal, answered again to
	// callers until tokenRetryAt instead of asking KIS again.
	tokenLimitErr error
	tokenIssues   int
	approval      string
	approvalExp   time.Time
}

// NewClient validates cfg, fills in defaults and builds a Client. It does no
// I/O: the token is issued on first use.
func NewClient(cfg Config) (*Client, error) {
	cfg.AppKey = strings.TrimSpace(cfg.AppKey)
	cfg.AppSecret = strings.TrimSpace(cfg.AppSecret)
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("kis: AppKey and AppSecret are required")
	}
	rest, ws := RealRESTBase, RealWSURL
	switch strings.ToLower(strings.TrimSpace(cfg.Env)) {
	case "", EnvReal:
		cfg.Env = EnvReal
	case EnvMock:
		cfg.Env = EnvMock
		rest, ws = MockRESTBase, MockWSURL
	default:
		return nil, fmt.Errorf("kis: Env %q is neither %q nor %q", cfg.Env, EnvReal, EnvMock)
	}
	if cfg.RESTBase != "" {
		rest = cfg.RESTBase
	}
	if cfg.WSURL != "" {
		ws = cfg.WSURL
	}
	rest = strings.TrimRight(rest, "/")
	if u, err := url.Parse(rest); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kis: REST base %q is not an absolute http(s) URL", rest)
	}
	if u, err := url.Parse(ws); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("kis: WebSocket URL %q is not an absolute ws(s) URL", ws)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSubscriptions <= 0 {
		cfg.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if cfg.TokenRenewBefore <= 0 {
		cfg.TokenRenewBefore = 30 * time.Minute
	}
	if cfg.RateLimitRetries <= 0 {
		cfg.RateLimitRetries = 5
	}
	if cfg.RateLimitBackoff <= 0 {
		cfg.RateLimitBackoff = 100 * time.Millisecond
	}
	if cfg.ReconnectMin <= 0 {
		cfg.ReconnectMin = 500 * time.Millisecond
	}
	if cfg.ReconnectMax <= 0 {
		cfg.ReconnectMax = 30 * time.Second
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		cfg.ReconnectMax = cfg.ReconnectMin
	}
	if cfg.SubscribeInterval == 0 {
		cfg.SubscribeInterval = 50 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		cfg:  cfg,
		rest: rest,
		ws:   ws,
		http: cfg.HTTPClient,
		log:  cfg.Logger,
		now:  cfg.Now,
	}, nil
}

// MaxSubscriptions is the configured per-session subscription cap.
func (c *Client) MaxSubscriptions() int { return c.cfg.MaxSubscriptions }

// TokenIssues counts the access tokens this Client has been issued.
func (c *Client) TokenIssues() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokenIssues
}
