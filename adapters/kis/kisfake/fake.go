// Package kisfake is a fake KIS Open API (한국투자증권) server for tests and
// local use. It speaks KIS's wire format over real HTTP and WebSocket, so a
// client that works against it sends what the real service expects.
//
// # What it mirrors
//
// REST, at the paths KIS uses:
//
//   - POST /oauth2/tokenP issues access tokens
//     ({"access_token","access_token_token_expired","token_type","expires_in"}).
//     A second issue within Options.TokenIssueInterval (one minute, like KIS)
//     is refused with HTTP 403 {"error_code":"EGW00133",...}. Issues are
//     counted, so tests can check a client issues one token per process.
//   - POST /oauth2/Approval issues WebSocket approval keys. It insists on the
//     secret in the field secretkey, as KIS does.
//   - GET .../quotations/inquire-price (tr_id FHKST01010100) and
//     GET .../quotations/inquire-daily-itemchartprice (tr_id FHKST03010100)
//     answer from in-memory listings: rt_cd/msg_cd/msg1, output or
//     output1/output2 (bars newest first, at most 100), numbers as strings.
//     They check the authorization, appkey, appsecret, tr_id and custtype
//     headers; an expired token answers EGW00123 and an unknown one EGW00121,
//     both with HTTP 500 like KIS. Rate limiting answers EGW00201 (HTTP 500):
//     switched on for every call, for the next n calls, or past a number of
//     calls per second.
//
// WebSocket, at any path (KIS's samples use /tryitout): subscriptions
// ({"header":{"approval_key","custtype","tr_type","content-type"},
// "body":{"input":{"tr_id","tr_key"}}}) are checked against the approval keys
// issued and answered in KIS's JSON (OPSP0000 SUBSCRIBE SUCCESS, OPSP0001
// UNSUBSCRIBE SUCCESS, OPSP0002 ALREADY IN SUBSCRIBE, OPSP0003 not
// subscribed, OPSP0008 MAX SUBSCRIBE OVER past Options.MaxSubscriptions).
// Every Options.PingInterval the server sends
// {"header":{"tr_id":"PINGPONG","datetime":...}} and closes a session that
// has not sent the previous one back, as a text message or as the payload of
// a pong frame. Trades published to it go to every session subscribed to
// their code as H0STCNT0 frames "0|H0STCNT0|NNN|..." of 46 fields per
// record; trades of one code that arrive together share a frame, as they do
// from KIS in a busy market.
//
// # Control endpoints (not KIS; all under /__)
//
//	POST /__trades       [{"code","price","volume","bid","ask","bid_size","ask_size"}]
//	                     records the trades and pushes them to subscribers;
//	                     prices are decimal strings or JSON numbers
//	PUT  /__listings     [{"code","name","prev_close","bars":[{"date":"2026-01-02",...}]}]
//	POST /__drop         closes every WebSocket session abruptly
//	POST /__malformed    sends the body (or a broken H0STCNT0 frame) to every session
//	POST /__ratelimit    {"on":true|false,"next":n,"per_second":n}
//	POST /__expire-tokens makes every issued token expired
//	GET  /__state        counts and subscriptions, as JSON
//
// Tests use the Go methods behind them: Publish, SetListing, DropSessions,
// SendRaw, SetRateLimited, RateLimitNext, SetCallsPerSecond and
// ExpireTokens, plus ForgetApprovalKeys (as after a KIS restart), counters
// (TokenIssues, Connects, Echoes, Answers, RESTCalls, ...) and Wait, which
// blocks until the fake reaches a condition so tests need not sleep.
//
// # Running it
//
// In tests, serve New(opts) with httptest.NewServer and call Close when
// done. Standalone, ListenAndServe(ctx, "127.0.0.1:PORT", nil) serves until
// ctx ends. A client then takes http://127.0.0.1:PORT as its REST base and
// ws://127.0.0.1:PORT/tryitout as its WebSocket URL; any app key and secret
// are accepted unless Options names them.
//
// # What it does not model
//
// Encrypted feeds and every real-time feed but H0STCNT0 (other tr_ids are
// acknowledged but never sent data); orders, balances and every other REST
// call; weekly, monthly and yearly bars; KIS's reuse of a token issued less
// than six hours earlier (each issue here is a new token); its limit of one
// WebSocket session per app key; sessions, auctions and trading halts (every
// trade is a regular-session print). Error codes other than EGW00121,
// EGW00123, EGW00133, EGW00201 and the OPSP codes named above, and the texts
// that go with them, are plausible rather than recorded; so is the answer to
// an unknown listing code (rt_cd 7, 조회할 자료가 없습니다).
package kisfake

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// AppKey and AppSecret, when set, are the only credentials accepted;
	// otherwise any non-empty pair is.
	AppKey    string
	AppSecret string
	// TokenTTL is the lifetime of an access token; default 24 h, as KIS.
	TokenTTL time.Duration
	// TokenIssueInterval is the least time between two token issues;
	// default one minute, as KIS. Negative turns the limit off.
	TokenIssueInterval time.Duration
	// MaxSubscriptions per WebSocket session; default 41, what KIS sessions
	// have been seen to accept (KIS documents 40).
	MaxSubscriptions int
	// PingInterval spaces the PINGPONG messages; default 30 s.
	PingInterval time.Duration
	// CallsPerSecond answers EGW00201 past this many quotation calls in any
	// one second; 0 means no limit.
	CallsPerSecond int
	// Now replaces time.Now for token expiry and trade times.
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is the fake. It is an http.Handler; serve it with ListenAndServe or
// an httptest.Server. Close ends its WebSocket sessions.
type Server struct {
	opts Options
	mux  *http.ServeMux
	now  func() time.Time
	log  *slog.Logger

	// pubMu is held from reading subscriptions to queueing frames (by
	// publishers) or answers (by subscription changes), so that frames and
	// answers reach a session in the order they happened.
	pubMu sync.Mutex

	mu             sync.Mutex
	changed        chan struct{}
	listings       map[string]*listing
	tokens         map[string]time.Time // token → expiry
	lastIssue      time.Time
	tokenIssues    int
	tokenRefusals  int
	approvals      map[string]bool
	approvalIssues int
	sessions       map[*wsSession]struct{}
	connects       int
	echoes         int
	restCalls      map[string]int // by tr_id
	answers        map[string]int // subscription answers by msg_cd
	rateLimited    bool
	rateLimitNext  int
	callsPerSecond int
	recentCalls    []time.Time
	trades         int
	closed         bool
}

// New builds a Server.
func New(opts Options) *Server {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.TokenIssueInterval == 0 {
		opts.TokenIssueInterval = time.Minute
	}
	if opts.MaxSubscriptions <= 0 {
		opts.MaxSubscriptions = 41
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:           opts,
		now:            opts.Now,
		log:            opts.Logger,
		changed:        make(chan struct{}),
		listings:       map[string]*listing{},
		tokens:         map[string]time.Time{},
		approvals:      map[string]bool{},
		sessions:       map[*wsSession]struct{}{},
		restCalls:      map[string]int{},
		answers:        map[string]int{},
		callsPerSecond: opts.CallsPerSecond,
	}
	s.routes()
	return s
}

// ServeHTTP serves the REST API, the WebSocket and the control endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.serveWS(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// ListenAndServe serves on addr ("127.0.0.1:0" picks a port) until ctx ends.
// ready, when not nil, receives the bound address once the listener is up.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// Close ends every WebSocket session and refuses new ones. Hijacked
// WebSocket connections outlive http.Server.Shutdown and
// httptest.Server.Close, so they are closed here.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	sessions := s.sessionList()
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.drop()
	}
}

// notify wakes Wait callers. It must be called with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait blocks until cond holds or ctx ends. cond is checked at once and
// after every change of the fake's state (a token issued, a session opened
// or closed, a subscription, a PINGPONG echo, a REST call, a trade). cond
// may call the Server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TokenIssues counts the access tokens issued; TokenRefusals the issues
// refused because they came too soon after the last.
func (s *Server) TokenIssues() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenIssues
}

// TokenRefusals counts token requests refused with EGW00133.
func (s *Server) TokenRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRefusals
}

// ApprovalIssues counts the approval keys issued.
func (s *Server) ApprovalIssues() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.approvalIssues
}

// Connects counts the WebSocket sessions ever opened.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// Sessions counts the WebSocket sessions open now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Echoes counts the PINGPONG messages clients sent back.
func (s *Server) Echoes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.echoes
}

// RESTCalls counts the quotation calls that reached the fake with a given
// tr_id, rate-limited ones included.
func (s *Server) RESTCalls(trID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restCalls[trID]
}

// Answers counts the subscription answers sent with a given msg_cd
// ("OPSP0000" SUBSCRIBE SUCCESS, "OPSP0008" MAX SUBSCRIBE OVER, ...).
func (s *Server) Answers(msgCd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers[msgCd]
}

// Trades counts the trades published.
func (s *Server) Trades() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trades
}

// Subscriptions returns, per open session, the codes it subscribes to
// H0STCNT0, sorted.
func (s *Server) Subscriptions() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, ss := range s.sessionList() {
		out = append(out, ss.codesLocked())
	}
	return out
}

// Subscribed reports whether any open session subscribes exactly codes
// (in any order).
func (s *Server) Subscribed(codes ...string) bool {
	want := append([]string(nil), codes...)
	sort.Strings(want)
	for _, got := range s.Subscriptions() {
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return true
		}
	}
	return false
}

// SetRateLimited makes every quotation call answer EGW00201 while on.
func (s *Server) SetRateLimited(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited = on
}

// RateLimitNext makes the next n quotation calls answer EGW00201.
func (s *Server) RateLimitNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitNext = n
}

// SetCallsPerSecond answers EGW00201 past n quotation calls in any one
// second; 0 turns the limit off.
func (s *Server) SetCallsPerSecond(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callsPerSecond = n
	s.recentCalls = nil
}

// ExpireTokens makes every issued access token expired, so the next call
// with one answers EGW00123.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for t := range s.tokens {
		s.tokens[t] = past
	}
}

// ForgetApprovalKeys invalidates every approval key issued, as a KIS
// restart would: later subscriptions with them are refused.
func (s *Server) ForgetApprovalKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.approvals)
}

// Listing is what the fake knows of a listing before any trade.
type Listing struct {
	Code      string
	Name      string
	PrevClose decimal.Decimal // base of today's band
	// Bars are earlier trading days, in any order.
	Bars []Bar
}

// Bar is one day of history.
type Bar struct {
	Date   time.Time // the Seoul date; the time of day is ignored
	Open   decimal.Decimal
	High   decimal.Decimal
	Low    decimal.Decimal
	Close  decimal.Decimal
	Volume int64
}

// listing is a listing's state: its history and today's trading.
type listing struct {
	code, name string
	base       decimal.Decimal
	bars       map[string]Bar // "20060102" → bar
	// Today's trading; the first trade of a new date resets it.
	day                   string
	open, high, low, last decimal.Decimal
	openAt, highAt, lowAt string // HHMMSS
	volume                int64
	value                 decimal.Decimal
	buyTrades, sellTrades int64
	buyVolume, sellVolume int64
}

// SetListing adds or replaces a listing's name, previous close and
// history. Today's trades, if any, are kept.
func (s *Server) SetListing(l Listing) error {
	if !domain.ValidStockCode(l.Code) {
		return errors.New("kisfake: listing code must be six characters, digits and capitals")
	}
	if !l.PrevClose.IsPositive() {
		return errors.New("kisfake: listing prev_close must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.listingLocked(l.Code, l.PrevClose)
	if l.Name != "" {
		st.name = l.Name
	}
	st.base = l.PrevClose
	for _, b := range l.Bars {
		st.bars[b.Date.In(domain.Seoul).Format("20060102")] = b
	}
	s.notify()
	return nil
}

// listingLocked returns the listing, creating it with base as its previous
// close when it is new.
func (s *Server) listingLocked(code string, base decimal.Decimal) *listing {
	st, ok := s.listings[code]
	if !ok {
		st = &listing{code: code, name: code, base: base, bars: map[string]Bar{}}
		s.listings[code] = st
	}
	return st
}
