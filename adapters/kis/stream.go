package kis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/stocking-kr/stocking/domain"
)

const (
	// dialTimeout bounds the WebSocket handshake.
	dialTimeout = 15 * time.Second
	// writeTimeout bounds one outgoing message; a session that cannot
	// send a PINGPONG echo in that time is as good as dropped.
	writeTimeout = 10 * time.Second
	// maxFrameBytes bounds one incoming message. A record is about 300
	// bytes; KIS packs a few dozen at most into one frame.
	maxFrameBytes = 4 << 20
	// healthySession is how long a session must last, without data, for the
	// reconnect backoff to start again from its minimum.
	healthySession = time.Minute
	// logEvery spaces repeated warnings about bad frames, so that a
	// misbehaving server cannot flood the log.
	logEvery = 5 * time.Second
)

// Stream keeps one KIS WebSocket session subscribed to real-time trades
// (H0STCNT0) of a set of codes and hands every trade to a handler. It
// reconnects after a drop and subscribes the codes again. Build it with
// NewStream, start it with Run and change its codes at any time with
// SetCodes.
type Stream struct {
	c        *Client
	log      *slog.Logger
	onTrades func([]domain.Trade)
	running  atomic.Bool

	mu   sync.Mutex
	want []string // codes to hold, at most MaxSubscriptions, in priority order
	sess *session

	// The reader goroutine's own state.
	parser frameParser
	batch  []domain.Trade

	connects, frames, trades, malformed, badRecords, pingpongs atomic.Int64
	warn                                                       rateLimitedLog
}

// StreamStats is a snapshot of a Stream's counters.
type StreamStats struct {
	Connects   int64 // sessions opened
	Frames     int64 // H0STCNT0 data frames received
	Trades     int64 // trades handed to the handler
	Malformed  int64 // messages skipped because they did not parse
	BadRecords int64 // records skipped inside frames that otherwise parsed
	PingPongs  int64 // PINGPONGs echoed
	// Subscribed lists the codes KIS has confirmed on the current session.
	Subscribed []string
	// Refused lists the codes KIS refused on the current session because it
	// held too many subscriptions; the next session tries them again.
	Refused []string
}

// NewStream builds a Stream over c's credentials and WebSocket URL. onTrades
// runs on the goroutine that reads the socket, once per data frame, with
// the frame's trades in order; it must return quickly and must not keep the
// slice, which is reused for the next frame.
func NewStream(c *Client, onTrades func([]domain.Trade)) *Stream {
	return &Stream{c: c, log: c.log, onTrades: onTrades}
}

// CodesError reports codes SetCodes did not subscribe.
type CodesError struct {
	Max     int
	Over    []string // beyond the subscription cap, in the order given
	Invalid []string // not six-character KRX codes
}

func (e *CodesError) Error() string {
	var parts []string
	if len(e.Over) > 0 {
		parts = append(parts, fmt.Sprintf("%d codes beyond the %d-subscription cap of a KIS session are not subscribed: %s",
			len(e.Over), e.Max, strings.Join(e.Over, ", ")))
	}
	if len(e.Invalid) > 0 {
		parts = append(parts, fmt.Sprintf("%d invalid codes ignored: %q", len(e.Invalid), e.Invalid))
	}
	return "kis: " + strings.Join(parts, "; ")
}

// SetCodes replaces the codes the Stream subscribes. The running session
// unsubscribes the codes no longer wanted and subscribes the new ones;
// later sessions start with the whole set. Codes are kept in the order
// given, so when there are more than Config.MaxSubscriptions the first
// ones win; the rest, and malformed codes, are reported in a *CodesError
// while the others are still applied.
func (s *Stream) SetCodes(codes []string) error {
	max := s.c.cfg.MaxSubscriptions
	var want, over, invalid []string
	seen := make(map[string]bool, len(codes))
	for _, code := range codes {
		code = strings.ToUpper(strings.TrimSpace(code))
		if seen[code] {
			continue
		}
		seen[code] = true
		switch {
		case !domain.ValidStockCode(code):
			invalid = append(invalid, code)
		case len(want) >= max:
			over = append(over, code)
		default:
			want = append(want, code)
		}
	}
	s.mu.Lock()
	s.want = want
	sess := s.sess
	s.mu.Unlock()
	if sess != nil {
		sess.poke()
	}
	if len(over) > 0 || len(invalid) > 0 {
		return &CodesError{Max: max, Over: over, Invalid: invalid}
	}
	return nil
}

// Codes returns the codes the Stream is asked to hold.
func (s *Stream) Codes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.want...)
}

// Stats returns the Stream's counters and the current session's
// subscriptions.
func (s *Stream) Stats() StreamStats {
	st := StreamStats{
		Connects:   s.connects.Load(),
		Frames:     s.frames.Load(),
		Trades:     s.trades.Load(),
		Malformed:  s.malformed.Load(),
		BadRecords: s.badRecords.Load(),
		PingPongs:  s.pingpongs.Load(),
	}
	s.mu.Lock()
	sess := s.sess
	s.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		st.Subscribed = sortedKeys(sess.confirmed)
		st.Refused = sortedKeys(sess.refused)
		sess.mu.Unlock()
	}
	return st
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Run holds a session until ctx ends, reconnecting after every drop with
// exponential backoff (Config.ReconnectMin doubling up to ReconnectMax,
// with jitter so that many clients dropped together do not return
// together). It returns nil when ctx ends.
func (s *Stream) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("kis: Stream.Run is already running")
	}
	defer s.running.Store(false)
	backoff := s.c.cfg.ReconnectMin
	for {
		started := time.Now()
		delivered, err := s.runSession(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if delivered || time.Since(started) >= healthySession {
			backoff = s.c.cfg.ReconnectMin
		}
		pause := backoff/2 + rand.N(backoff/2+1)
		s.log.Warn("kis: WebSocket session ended; reconnecting", "err", err, "pause", pause)
		if sleepCtx(ctx, pause) != nil {
			return nil
		}
		backoff = min(backoff*2, s.c.cfg.ReconnectMax)
	}
}

// session is one WebSocket connection and what it has subscribed.
type session struct {
	conn   *websocket.Conn
	key    string
	cancel context.CancelFunc
	wake   chan struct{} // the wanted codes changed
	out    chan []byte   // subscription messages
	echo   chan []byte   // PINGPONG echoes, sent ahead of subscriptions

	mu        sync.Mutex
	sent      map[string]bool // subscribed and not since unsubscribed
	confirmed map[string]bool
	refused   map[string]bool
	badKey    bool // KIS refused the approval key
}

func (ss *session) poke() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// runSession connects, subscribes and reads until the connection fails. It
// reports whether any trades arrived.
func (s *Stream) runSession(ctx context.Context) (delivered bool, err error) {
	key, err := s.c.ApprovalKey(ctx)
	if err != nil {
		return false, fmt.Errorf("approval key: %w", err)
	}
	dctx, dcancel := context.WithTimeout(ctx, dialTimeout)
	hc := *s.c.http
	hc.Timeout = 0 // the WebSocket library bounds the handshake with the context instead
	conn, _, err := websocket.Dial(dctx, s.c.ws, &websocket.DialOptions{HTTPClient: &hc})
	dcancel()
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", s.c.ws, err)
	}
	conn.SetReadLimit(maxFrameBytes)
	sctx, cancel := context.WithCancel(ctx)
	sess := &session{
		conn:      conn,
		key:       key,
		cancel:    cancel,
		wake:      make(chan struct{}, 1),
		out:       make(chan []byte, 64),
		echo:      make(chan []byte, 4),
		sent:      map[string]bool{},
		confirmed: map[string]bool{},
		refused:   map[string]bool{},
	}
	s.connects.Add(1)
	s.mu.Lock()
	s.sess = sess
	s.mu.Unlock()
	s.log.Info("kis: WebSocket session open", "url", s.c.ws)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.write(sctx, sess) }()
	go func() { defer wg.Done(); s.syncLoop(sctx, sess) }()
	defer func() {
		cancel()
		conn.CloseNow()
		wg.Wait()
		s.mu.Lock()
		if s.sess == sess {
			s.sess = nil
		}
		s.mu.Unlock()
	}()

	frames := s.frames.Load()
	var buf bytes.Buffer
	for {
		typ, r, err := conn.Reader(sctx)
		if err != nil {
			return s.frames.Load() > frames, err
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return s.frames.Load() > frames, err
		}
		if typ != websocket.MessageText {
			continue
		}
		s.handle(sess, buf.Bytes())
		if sess.badKey {
			return s.frames.Load() > frames, errors.New("KIS refused the approval key")
		}
	}
}

// write sends what the session queues, PINGPONG echoes first: a late echo
// costs the session, a late subscription only a moment of data.
func (s *Stream) write(ctx context.Context, sess *session) {
	send := func(m []byte) bool {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		if err := sess.conn.Write(wctx, websocket.MessageText, m); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("kis: WebSocket write failed", "err", err)
			}
			sess.cancel()
			return false
		}
		return true
	}
	for {
		select {
		case m := <-sess.echo:
			if !send(m) {
				return
			}
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return
		case m := <-sess.echo:
			if !send(m) {
				return
			}
		case m := <-sess.out:
			if !send(m) {
				return
			}
		}
	}
}

// syncLoop brings the session's subscriptions in line with the wanted codes
// at the start and whenever SetCodes changes them.
func (s *Stream) syncLoop(ctx context.Context, sess *session) {
	for {
		if !s.sync(ctx, sess) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-sess.wake:
		}
	}
}

// sync unsubscribes first, so that the session never holds more than the
// cap on KIS's side, then subscribes, spacing messages as KIS's samples do.
func (s *Stream) sync(ctx context.Context, sess *session) bool {
	s.mu.Lock()
	want := append([]string(nil), s.want...)
	s.mu.Unlock()
	wantSet := make(map[string]bool, len(want))
	for _, c := range want {
		wantSet[c] = true
	}
	var unsub, sub []string
	sess.mu.Lock()
	for c := range sess.sent {
		if !wantSet[c] {
			unsub = append(unsub, c)
			delete(sess.sent, c)
			delete(sess.confirmed, c)
		}
	}
	for c := range sess.refused {
		if !wantSet[c] {
			delete(sess.refused, c)
		}
	}
	for _, c := range want {
		if !sess.sent[c] && !sess.refused[c] {
			sub = append(sub, c)
			sess.sent[c] = true
		}
	}
	sess.mu.Unlock()
	sort.Strings(unsub)
	first := true
	queue := func(code string, subscribe bool) bool {
		if !first && s.c.cfg.SubscribeInterval > 0 {
			if sleepCtx(ctx, s.c.cfg.SubscribeInterval) != nil {
				return false
			}
		}
		first = false
		select {
		case sess.out <- subscriptionMessage(sess.key, code, subscribe):
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, c := range unsub {
		if !queue(c, false) {
			return false
		}
	}
	for _, c := range sub {
		if !queue(c, true) {
			return false
		}
	}
	if len(unsub)+len(sub) > 0 {
		s.log.Info("kis: subscriptions changed", "subscribed", len(sub), "unsubscribed", len(unsub), "held", len(want))
	}
	return true
}

// handle dispatches one text message from the server.
func (s *Stream) handle(sess *session, data []byte) {
	if len(data) == 0 {
		s.bad("empty message", data, nil)
		return
	}
	switch data[0] {
	case '0', '1':
		s.handleData(data)
	case '{':
		s.handleControl(sess, data)
	default:
		s.bad("neither a data frame nor JSON", data, nil)
	}
}

func (s *Stream) handleData(data []byte) {
	batch, bad, err := s.parser.parseTradeFrame(data, s.batch[:0])
	s.batch = batch
	switch {
	case errors.Is(err, errOtherTR):
		return
	case len(batch) == 0 && err != nil:
		s.bad("malformed frame skipped", data, err)
		return
	}
	s.frames.Add(1)
	if bad > 0 {
		s.badRecords.Add(int64(bad))
		if n, ok := s.warn.allow(); ok {
			s.log.Warn("kis: records skipped", "count", bad, "err", err, "suppressed_since_last", n)
		}
	}
	if len(batch) > 0 {
		s.trades.Add(int64(len(batch)))
		s.onTrades(batch)
	}
}

// bad counts and logs (at most every logEvery) a message that did not parse.
func (s *Stream) bad(what string, data []byte, err error) {
	s.malformed.Add(1)
	if n, ok := s.warn.allow(); ok {
		s.log.Warn("kis: "+what, "err", err, "message", snippet(data), "suppressed_since_last", n)
	}
}

func (s *Stream) handleControl(sess *session, data []byte) {
	var m control
	if err := json.Unmarshal(data, &m); err != nil {
		s.bad("undecodable JSON message", data, err)
		return
	}
	if m.Header.TrID == "PINGPONG" {
		s.pingpongs.Add(1)
		select {
		case sess.echo <- bytes.Clone(data):
		default: // four echoes already waiting: the writer is stuck anyway
		}
		return
	}
	if m.Body == nil {
		s.bad("JSON message without body", data, nil)
		return
	}
	code, msgCd := m.Header.TrKey, m.Body.MsgCd
	if msgCd == "" {
		msgCd = msgCodeFromText(m.Body.Msg1)
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	switch msgCd {
	case msgSubscribed, msgAlreadySubscribed:
		if sess.sent[code] {
			sess.confirmed[code] = true
		}
	case msgUnsubscribed, msgNotSubscribed:
		delete(sess.confirmed, code)
	case msgMaxSubscriptions:
		delete(sess.sent, code)
		delete(sess.confirmed, code)
		sess.refused[code] = true
		s.log.Error("kis: KIS refused a subscription: the session holds as many as it allows; lower MaxSubscriptions",
			"code", code, "held", len(sess.confirmed), "msg_cd", m.Body.MsgCd, "msg1", m.Body.Msg1)
	default:
		if m.Body.RtCd == "0" {
			return
		}
		s.log.Warn("kis: subscription answer", "tr_id", m.Header.TrID, "code", code,
			"rt_cd", m.Body.RtCd, "msg_cd", m.Body.MsgCd, "msg1", m.Body.Msg1)
		if strings.Contains(strings.ToLower(m.Body.Msg1), "approval") {
			sess.badKey = true
			s.c.dropApprovalKey(sess.key)
		}
	}
}

// msgCodeFromText maps the msg1 texts of subscription answers to their
// codes, for answers that leave msg_cd out.
func msgCodeFromText(msg1 string) string {
	switch strings.ToUpper(strings.TrimSpace(msg1)) {
	case "SUBSCRIBE SUCCESS":
		return msgSubscribed
	case "UNSUBSCRIBE SUCCESS":
		return msgUnsubscribed
	case "ALREADY IN SUBSCRIBE":
		return msgAlreadySubscribed
	case "MAX SUBSCRIBE OVER":
		return msgMaxSubscriptions
	}
	return ""
}

// rateLimitedLog lets one message through every logEvery and counts the
// ones it held back.
type rateLimitedLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *rateLimitedLog) allow() (suppressed int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < logEvery {
		r.suppressed++
		return 0, false
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return n, true
}
