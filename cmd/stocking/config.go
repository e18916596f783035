package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/domain"
)

// devJWTSecret is the secret `stocking dev` uses when none is set. Production
// refuses to start with it.
const devJWTSecret = "stocking-development-secret-do-not-use-in-production"

// Config is everything the environment can set; the README lists each
// variable.
type Config struct {
	Env          string // development | production
	Addr         string // listen address; PORT sets its port
	DatabaseURI  string
	JWTSecret    string
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	BcryptCost   int
	MarketHours  string // "always" or "krx"
	HolidaysFile string
	InitialCash  decimal.Decimal
	Fees         domain.Fees
	LogLevel     string
	FeedInterval time.Duration
	// FeedLeaseTTL is how long a feed's lease lasts unrenewed
	// (FEED_LEASE_TTL): a standby takes over within 4/3 of it.
	FeedLeaseTTL time.Duration

	// MarketData chooses the feed: simulated, replay or kis (MARKET_DATA).
	MarketData string
	// MarketDataCodes are the listings a KIS feed subscribes to
	// (MARKET_DATA_CODES); empty: held, watched and open-order listings.
	MarketDataCodes []string
	// ReplayFile is the CSV a replay feed plays (MARKET_DATA_REPLAY).
	ReplayFile string
	KISAppKey  string
	KISSecret  string
	KISEnv     string // real | mock
	KISAPIBase string
	KISWSURL   string
	// ReconcileInterval is how often a worker looks for open orders and
	// payments whose workflow is not running (RECONCILE_INTERVAL).
	ReconcileInterval time.Duration
	// ReconcileMinAge spares rows younger than this from the check
	// (RECONCILE_MIN_AGE): the relay may be starting their workflow.
	ReconcileMinAge time.Duration
	// DBTimeout bounds every database statement or transaction attempt,
	// connecting and waiting for a pooled connection (DB_TIMEOUT); past it
	// a request answers 503 unavailable instead of waiting for the outage
	// to end.
	DBTimeout time.Duration
	// GroupLanes is how many lanes group concurrent order transactions
	// on PostgreSQL into one commit (DB_GROUP_COMMIT): 0 when off, -1 for
	// the store's default.
	GroupLanes int
	// FreeDepositDailyLimit caps free deposits per personal account and
	// Seoul day (FREE_DEPOSIT_DAILY_LIMIT; 0: no cap).
	FreeDepositDailyLimit decimal.Decimal
	// RiskFreeRate is the annual rate of the Sharpe ratio (RISK_FREE_RATE).
	RiskFreeRate decimal.Decimal
	// FillParticipation is the share of a trade's volume that resting
	// orders may fill (FILL_PARTICIPATION, default 1).
	FillParticipation decimal.Decimal
	// MarketDepth is the shares a quote holds when the feed does not say,
	// and the volume of a trade that gives none (MARKET_DEPTH).
	MarketDepth int64
	// LeaderboardRefresh is the leaderboard-refresh Schedule's interval
	// (LEADERBOARD_REFRESH).
	LeaderboardRefresh time.Duration

	TemporalAddress   string
	TemporalNamespace string
	TemporalTaskQueue string
	TemporalUIAddr    string
	// TemporalEmbedAddr is where the embedded server's frontend listens.
	TemporalEmbedAddr string

	PortOneStoreID       string
	PortOneAPISecret     string
	PortOneWebhookSecret string
	PortOneChannelKey    string
	PortOneAPIBase       string

	// CashPerWon is the virtual cash one paid won buys (CASH_PER_WON).
	CashPerWon decimal.Decimal
	// PremiumPrice buys PremiumDays of premium (PREMIUM_PRICE, PREMIUM_DAYS).
	PremiumPrice decimal.Decimal
	PremiumDays  int

	// CORSAllowedOrigins are the browser origins allowed to call the API
	// from another origin (CORS_ALLOWED_ORIGINS, comma separated).
	CORSAllowedOrigins []string

	// LogFormat is text or json (LOG_FORMAT); AccessLog writes one line
	// per request (ACCESS_LOG, on by default).
	LogFormat string
	AccessLog bool
	// MetricsAddress is where /metrics listens (METRICS_ADDRESS): "" on
	// the API's port; production defaults to a port of its own.
	MetricsAddress string
	// AuthLimits bound login and signup attempts per client address
	// (AUTH_RATE_LIMIT) and per e-mail (AUTH_RATE_LIMIT_EMAIL).
	AuthLimits httpapi.AuthLimits
	// ClientIPHeader is the header a trusted proxy puts the client's
	// address in (CLIENT_IP_HEADER); empty: the connection's peer.
	ClientIPHeader string
}

// defaultMetricsAddress is where production serves /metrics: off the API
// port, so that the API's load balancer need not hide it.
const defaultMetricsAddress = ":5101"

// parseRateLimit reads "N/DURATION" (30/1m, 5/10s) or "off".
func parseRateLimit(v string) (httpapi.RateLimit, error) {
	if strings.EqualFold(v, "off") {
		return httpapi.RateLimit{}, nil
	}
	n, per, ok := strings.Cut(v, "/")
	if !ok {
		return httpapi.RateLimit{}, fmt.Errorf("must be N/DURATION such as 30/1m, or off; got %q", v)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		return httpapi.RateLimit{}, fmt.Errorf("must be N/DURATION with N a positive whole number, got %q", v)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return httpapi.RateLimit{}, fmt.Errorf("must be N/DURATION with a positive duration such as 1m, got %q", v)
	}
	return httpapi.RateLimit{N: count, Per: d}, nil
}

// devCORSOrigins are what `stocking dev` allows when CORS_ALLOWED_ORIGINS
// is unset: a front end's own development server on any local port.
var devCORSOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}

// env reads a variable with a default.
type env func(string) string

func (e env) get(key, def string) string {
	if v := strings.TrimSpace(e(key)); v != "" {
		return v
	}
	return def
}

// LoadConfig reads the configuration. devDefaults selects what `stocking
// dev` assumes (always-open market, a development JWT secret); every other
// command follows the KRX sessions and needs a real secret in production.
func LoadConfig(getenv func(string) string, devDefaults bool) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	e := env(getenv)
	c := Config{
		Env:               e.get("STOCKING_ENV", "development"),
		DatabaseURI:       e.get("DATABASE_URI", "sqlite:///stocking.db"),
		JWTSecret:         e.get("JWT_SECRET_KEY", ""),
		HolidaysFile:      e.get("MARKET_HOLIDAYS_FILE", ""),
		LogLevel:          e.get("LOG_LEVEL", "info"),
		TemporalAddress:   e.get("TEMPORAL_ADDRESS", ""),
		TemporalNamespace: e.get("TEMPORAL_NAMESPACE", "default"),
		TemporalTaskQueue: e.get("TEMPORAL_TASK_QUEUE", "stocking"),
		TemporalUIAddr:    e.get("TEMPORAL_UI_ADDRESS", "127.0.0.1:8233"),
		TemporalEmbedAddr: e.get("TEMPORAL_EMBED_ADDRESS", "127.0.0.1:7233"),

		MarketData: strings.ToLower(e.get("MARKET_DATA", "simulated")),
		ReplayFile: e.get("MARKET_DATA_REPLAY", ""),
		KISAppKey:  e.get("KIS_APP_KEY", ""),
		KISSecret:  e.get("KIS_APP_SECRET", ""),
		KISEnv:     strings.ToLower(e.get("KIS_ENV", "real")),
		KISAPIBase: e.get("KIS_API_BASE", ""),
		KISWSURL:   e.get("KIS_WS_URL", ""),

		PortOneStoreID:       e.get("PORTONE_STORE_ID", ""),
		PortOneAPISecret:     e.get("PORTONE_V2_API_SECRET", ""),
		PortOneWebhookSecret: e.get("PORTONE_WEBHOOK_SECRET", ""),
		PortOneChannelKey:    e.get("PORTONE_CHANNEL_KEY", "channel-key"),
		PortOneAPIBase:       e.get("PORTONE_API_BASE", "https://api.portone.io"),
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	switch c.Env {
	case "development", "production":
	default:
		fail("STOCKING_ENV must be development or production, got %q", c.Env)
	}
	port := e.get("PORT", "5100")
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		fail("PORT must be a TCP port number, got %q", port)
	}
	c.Addr = e.get("LISTEN_HOST", "") + ":" + port

	if c.JWTSecret == "" || c.JWTSecret == devJWTSecret {
		if c.Env == "production" {
			fail("JWT_SECRET_KEY must be set to a random secret of at least 32 characters in production (for example: openssl rand -hex 32)")
		}
		c.JWTSecret = devJWTSecret
	}
	durations := map[string]*time.Duration{
		"ACCESS_TOKEN_TTL":    &c.AccessTTL,
		"REFRESH_TOKEN_TTL":   &c.RefreshTTL,
		"FEED_INTERVAL":       &c.FeedInterval,
		"FEED_LEASE_TTL":      &c.FeedLeaseTTL,
		"RECONCILE_INTERVAL":  &c.ReconcileInterval,
		"RECONCILE_MIN_AGE":   &c.ReconcileMinAge,
		"DB_TIMEOUT":          &c.DBTimeout,
		"LEADERBOARD_REFRESH": &c.LeaderboardRefresh,
	}
	defaults := map[string]string{
		"ACCESS_TOKEN_TTL":    "30m",
		"REFRESH_TOKEN_TTL":   "336h",
		"FEED_INTERVAL":       "1s",
		"FEED_LEASE_TTL":      "10s",
		"RECONCILE_INTERVAL":  "5m",
		"RECONCILE_MIN_AGE":   "10s",
		"DB_TIMEOUT":          "5s",
		"LEADERBOARD_REFRESH": "10m",
	}
	if devDefaults {
		defaults["LEADERBOARD_REFRESH"] = "1m"
	}
	for k, p := range durations {
		v := e.get(k, defaults[k])
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fail("%s must be a duration such as 30m or 1s, got %q", k, v)
		}
		*p = d
	}
	switch v := strings.ToLower(e.get("DB_GROUP_COMMIT", "on")); v {
	case "on":
		c.GroupLanes = -1
	case "off":
		c.GroupLanes = 0
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			fail("DB_GROUP_COMMIT must be on, off or a number of lanes from 1 to 256, got %q", v)
		}
		c.GroupLanes = n
	}
	if c.FeedLeaseTTL < time.Second {
		fail("FEED_LEASE_TTL must be at least 1s, got %s", c.FeedLeaseTTL)
	}
	cost := e.get("BCRYPT_COST", "10")
	if n, err := strconv.Atoi(cost); err != nil || n < 4 || n > 16 {
		fail("BCRYPT_COST must be between 4 and 16, got %q", cost)
	} else {
		c.BcryptCost = n
	}
	def := "krx"
	if devDefaults {
		def = "always"
	}
	c.MarketHours = strings.ToLower(e.get("MARKET_HOURS", def))
	if c.MarketHours != "always" && c.MarketHours != "krx" {
		fail("MARKET_HOURS must be always or krx, got %q", c.MarketHours)
	}
	money := func(key, def string) decimal.Decimal {
		v := e.get(key, def)
		d, err := decimal.NewFromString(v)
		if err != nil {
			fail("%s must be a decimal number, got %q", key, v)
		}
		return d
	}
	c.InitialCash = money("INITIAL_CASH", "10000000")
	if c.InitialCash.IsNegative() || !c.InitialCash.Equal(c.InitialCash.Truncate(0)) {
		fail("INITIAL_CASH must be a whole, non-negative number of won, got %s", c.InitialCash)
	}
	c.Fees = domain.Fees{CommissionRate: money("COMMISSION_RATE", "0.00015"), SellTaxRate: money("SELL_TAX_RATE", "0.0020")}
	c.FreeDepositDailyLimit = money("FREE_DEPOSIT_DAILY_LIMIT", "10000000")
	if c.FreeDepositDailyLimit.IsNegative() || !c.FreeDepositDailyLimit.Equal(c.FreeDepositDailyLimit.Truncate(0)) {
		fail("FREE_DEPOSIT_DAILY_LIMIT must be a whole, non-negative number of won (0: no limit), got %s", c.FreeDepositDailyLimit)
	}
	c.FillParticipation = money("FILL_PARTICIPATION", "1")
	if !c.FillParticipation.IsPositive() || c.FillParticipation.GreaterThan(decimal.NewFromInt(1)) {
		fail("FILL_PARTICIPATION must be a share of a trade's volume, more than 0 and at most 1, got %s", c.FillParticipation)
	}
	depth := e.get("MARKET_DEPTH", "1000")
	if n, err := strconv.ParseInt(depth, 10, 64); err != nil || n < 1 {
		fail("MARKET_DEPTH must be a whole number of shares of at least 1, got %q", depth)
	} else {
		c.MarketDepth = n
	}
	c.RiskFreeRate = money("RISK_FREE_RATE", "0.03")
	if c.RiskFreeRate.IsNegative() || c.RiskFreeRate.GreaterThan(decimal.NewFromInt(1)) {
		fail("RISK_FREE_RATE must be an annual rate between 0 and 1 (0.03 is 3%%), got %s", c.RiskFreeRate)
	}
	if err := c.Fees.Validate(); err != nil {
		fail("%s", err.(*domain.Error).Message)
	}
	// Zero would read as "use the default" further in, so it is refused;
	// a value that did not parse has already been reported.
	n := len(errs)
	c.CashPerWon = money("CASH_PER_WON", "100")
	if len(errs) == n && !c.CashPerWon.IsPositive() {
		fail("CASH_PER_WON must be positive, got %s", c.CashPerWon)
	}
	n = len(errs)
	c.PremiumPrice = money("PREMIUM_PRICE", "9900")
	if len(errs) == n && (!c.PremiumPrice.IsPositive() || !c.PremiumPrice.Equal(c.PremiumPrice.Truncate(0))) {
		fail("PREMIUM_PRICE must be a positive, whole number of won, got %s", c.PremiumPrice)
	}
	days := e.get("PREMIUM_DAYS", "30")
	if n, err := strconv.Atoi(days); err != nil || n < 1 || n > 3660 {
		fail("PREMIUM_DAYS must be a whole number of days between 1 and 3660, got %q", days)
	} else {
		c.PremiumDays = n
	}
	switch c.MarketData {
	case "simulated":
	case "replay":
		if c.ReplayFile == "" {
			fail("MARKET_DATA=replay needs MARKET_DATA_REPLAY, a CSV of time,stock_code,price[,volume,bid,ask] lines")
		}
	case "kis":
		if c.KISAppKey == "" || c.KISSecret == "" {
			fail("MARKET_DATA=kis needs KIS_APP_KEY and KIS_APP_SECRET (from the KIS developer portal; any pair works against stocking fake-kis)")
		}
	default:
		fail("MARKET_DATA must be simulated, replay or kis, got %q", c.MarketData)
	}
	if c.KISEnv != "real" && c.KISEnv != "mock" {
		fail("KIS_ENV must be real or mock, got %q", c.KISEnv)
	}
	for _, code := range strings.Split(e.get("MARKET_DATA_CODES", ""), ",") {
		if code = strings.TrimSpace(code); code == "" {
			continue
		}
		if !domain.ValidStockCode(code) {
			fail("MARKET_DATA_CODES: %q is not a six-character KRX code", code)
		}
		c.MarketDataCodes = append(c.MarketDataCodes, code)
	}
	if c.Env == "production" && c.PortOneAPISecret != "" && c.PortOneWebhookSecret == "" {
		fail("PORTONE_WEBHOOK_SECRET must be set when PORTONE_V2_API_SECRET is")
	}
	if v := e.get("CORS_ALLOWED_ORIGINS", ""); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
			}
		}
		if err := httpapi.ValidateCORSOrigins(c.CORSAllowedOrigins); err != nil {
			fail("CORS_ALLOWED_ORIGINS: %v", err)
		}
	} else if devDefaults {
		c.CORSAllowedOrigins = devCORSOrigins
	}
	c.LogFormat = strings.ToLower(e.get("LOG_FORMAT", "text"))
	if c.LogFormat != "text" && c.LogFormat != "json" {
		fail("LOG_FORMAT must be text or json, got %q", c.LogFormat)
	}
	switch v := strings.ToLower(e.get("ACCESS_LOG", "on")); v {
	case "on", "true", "1":
		c.AccessLog = true
	case "off", "false", "0":
	default:
		fail("ACCESS_LOG must be on or off, got %q", v)
	}
	metricsDefault := ""
	if c.Env == "production" {
		metricsDefault = defaultMetricsAddress
	}
	c.MetricsAddress = e.get("METRICS_ADDRESS", metricsDefault)
	if strings.EqualFold(c.MetricsAddress, "api") {
		c.MetricsAddress = ""
	}
	// stocking dev lets a developer's own scripts sign up many users from
	// one machine; the e-mail limit stays.
	addrDefault := fmt.Sprintf("%d/%s", httpapi.DefaultAuthLimits.PerAddress.N, httpapi.DefaultAuthLimits.PerAddress.Per)
	if devDefaults {
		addrDefault = "600/1m0s"
	}
	emailDefault := fmt.Sprintf("%d/%s", httpapi.DefaultAuthLimits.PerEmail.N, httpapi.DefaultAuthLimits.PerEmail.Per)
	for key, dst := range map[string]*httpapi.RateLimit{"AUTH_RATE_LIMIT": &c.AuthLimits.PerAddress, "AUTH_RATE_LIMIT_EMAIL": &c.AuthLimits.PerEmail} {
		def := addrDefault
		if key == "AUTH_RATE_LIMIT_EMAIL" {
			def = emailDefault
		}
		l, err := parseRateLimit(e.get(key, def))
		if err != nil {
			fail("%s %v", key, err)
		}
		*dst = l
	}
	c.ClientIPHeader = e.get("CLIENT_IP_HEADER", "")
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// Calendar builds the market calendar the configuration asks for.
func (c Config) Calendar() (*domain.Calendar, error) {
	cal := domain.NewKRXCalendar()
	cal.Always = c.MarketHours == "always"
	if c.HolidaysFile != "" {
		f, err := os.Open(c.HolidaysFile)
		if err != nil {
			return nil, fmt.Errorf("MARKET_HOLIDAYS_FILE: %w", err)
		}
		defer f.Close()
		if cal.Holidays, err = domain.ParseHolidays(f); err != nil {
			return nil, fmt.Errorf("MARKET_HOLIDAYS_FILE: %w", err)
		}
	}
	return cal, nil
}
