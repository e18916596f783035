package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// The event stream (GET /api/v1/stream) sends Server-Sent Events: order
// (a status or fill change of one of the account's orders, as an Order),
// balance (the account's Balance after such a change) and quote (a
// listing whose price changed, as a Stock). Each event's id is a cursor of
// the order changes delivered so far; a client that reconnects with it in
// Last-Event-ID (or ?last_event_id=) gets the order events it missed
// first. A comment line every StreamHeartbeat keeps proxies from closing
// an idle stream.
//
// Every API process polls the database for changed orders and listings
// (one pair of indexed reads per StreamPoll, shared by all of its
// streams), so a change made through any process reaches the streams of
// all of them; a write through this process wakes the poller at once.

// Stream defaults.
const (
	DefaultStreamPoll      = 200 * time.Millisecond
	DefaultStreamHeartbeat = 15 * time.Second
	// streamOverlap is how far back each poll looks again, for changes
	// committed after a later one was already seen; what was sent is
	// remembered, so nothing is sent twice.
	streamOverlap = 2 * time.Second
	// streamBatch bounds the rows one poll reads.
	streamBatch = 1000
	// streamBuffer is how many events a stream may lag behind before it
	// is closed (the client reconnects with Last-Event-ID).
	streamBuffer = 64
	// replayLimit bounds the order events a reconnect replays.
	replayLimit = 500
)

// cursor of the order changes delivered: the change time and the order id.
type streamCursor struct {
	at int64 // UnixNano
	id string
}

func (c streamCursor) String() string { return strconv.FormatInt(c.at, 10) + "." + c.id }

func (c streamCursor) before(o streamCursor) bool {
	return c.at < o.at || (c.at == o.at && c.id < o.id)
}

func parseStreamCursor(s string) (streamCursor, bool) {
	at, id, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil || n < 0 || len(id) > 64 {
		return streamCursor{}, false
	}
	return streamCursor{at: n, id: id}, true
}

type frame struct {
	event  string
	data   []byte
	cursor *streamCursor // set on order events
}

type subscriber struct {
	account string
	ch      chan frame
	gone    chan struct{}
	once    sync.Once
}

func (s *subscriber) drop() { s.once.Do(func() { close(s.gone) }) }

func (s *subscriber) send(f frame) {
	select {
	case s.ch <- f:
	default:
		s.drop()
	}
}

// hub fans the changes one poller finds out to the streams of this
// process.
type hub struct {
	svc       *service.Service
	log       *slog.Logger
	poll      time.Duration
	heartbeat time.Duration

	mu        sync.Mutex
	byAccount map[string]map[*subscriber]struct{}
	byCode    map[string]map[*subscriber]struct{}
	allQuotes map[*subscriber]struct{}
	count     int
	running   bool
	wake      chan struct{}

	// Poller state, touched by the poller only.
	orderSince, stockSince, accountSince time.Time
	sentOrder                            map[string]string
	sentStock                            map[string]string
	sentAccount                          map[string]string
}

func newHub(svc *service.Service, log *slog.Logger, poll, heartbeat time.Duration) *hub {
	if poll <= 0 {
		poll = DefaultStreamPoll
	}
	if heartbeat <= 0 {
		heartbeat = DefaultStreamHeartbeat
	}
	return &hub{
		svc: svc, log: log, poll: poll, heartbeat: heartbeat,
		byAccount: map[string]map[*subscriber]struct{}{}, byCode: map[string]map[*subscriber]struct{}{},
		allQuotes: map[*subscriber]struct{}{}, wake: make(chan struct{}, 1),
	}
}

// kick wakes the poller early (after a write through this process).
func (h *hub) kick() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// kickAfterWrites wakes the poller after every write request, so that
// streams on this process see its own changes without waiting a poll.
func (h *hub) kickAfterWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			h.kick()
		}
	})
}

func (h *hub) subscribe(account string, codes []string, all bool) *subscriber {
	s := &subscriber{account: account, ch: make(chan frame, streamBuffer), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	add := func(m map[string]map[*subscriber]struct{}, k string) {
		if m[k] == nil {
			m[k] = map[*subscriber]struct{}{}
		}
		m[k][s] = struct{}{}
	}
	add(h.byAccount, account)
	for _, c := range codes {
		add(h.byCode, c)
	}
	if all {
		h.allQuotes[s] = struct{}{}
	}
	h.count++
	if !h.running {
		h.running = true
		now := time.Now().UTC()
		h.orderSince, h.stockSince, h.accountSince = now, now, now
		h.sentOrder, h.sentStock, h.sentAccount = map[string]string{}, map[string]string{}, map[string]string{}
		go h.run()
	}
	return s
}

func (h *hub) unsubscribe(s *subscriber, codes []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	del := func(m map[string]map[*subscriber]struct{}, k string) {
		delete(m[k], s)
		if len(m[k]) == 0 {
			delete(m, k)
		}
	}
	del(h.byAccount, s.account)
	for _, c := range codes {
		del(h.byCode, c)
	}
	delete(h.allQuotes, s)
	h.count--
}

func (h *hub) run() {
	t := time.NewTicker(h.poll)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-h.wake:
		}
		h.mu.Lock()
		if h.count == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		h.pollOnce()
	}
}

func (h *hub) pollOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	orders, err := h.svc.Stream.OrdersChanged(ctx, "", h.orderSince.Add(-streamOverlap), streamBatch)
	if err != nil {
		h.log.Warn("event stream: reading changed orders failed", "err", err)
		return
	}
	for _, o := range orders {
		key := fmt.Sprintf("%d/%s/%d", o.UpdatedAt.UnixNano(), o.Status, o.FilledQuantity)
		if h.sentOrder[o.ID] == key {
			continue
		}
		h.sentOrder[o.ID] = key
		if o.UpdatedAt.After(h.orderSince) {
			h.orderSince = o.UpdatedAt
		}
		subs := h.subscribers(h.byAccount[o.AccountID], nil)
		if len(subs) == 0 {
			continue
		}
		data, _ := json.Marshal(orderDTO(o))
		c := streamCursor{at: o.UpdatedAt.UnixNano(), id: o.ID}
		for _, s := range subs {
			s.send(frame{event: "order", data: data, cursor: &c})
		}
	}
	// Balances: every account that changed (a fill, a reservation, a
	// deposit, a withdrawal, a top-up, a dividend) and has a stream here.
	accounts, err := h.svc.Stream.AccountsChanged(ctx, h.accountSince.Add(-streamOverlap), streamBatch)
	if err != nil {
		h.log.Warn("event stream: reading changed accounts failed", "err", err)
		return
	}
	for _, a := range accounts {
		key := fmt.Sprintf("%d/%d/%s", a.UpdatedAt.UnixNano(), a.LedgerSeq, a.ReservedCash)
		if h.sentAccount[a.ID] == key {
			continue
		}
		h.sentAccount[a.ID] = key
		if a.UpdatedAt.After(h.accountSince) {
			h.accountSince = a.UpdatedAt
		}
		h.mu.Lock()
		subs := h.subscribersLocked(h.byAccount[a.ID], nil)
		h.mu.Unlock()
		if len(subs) == 0 {
			continue
		}
		b, err := h.svc.Accounts.Balance(ctx, service.Target{UserID: a.UserID, AccountID: a.ID})
		if err != nil {
			continue
		}
		data, _ := json.Marshal(balanceDTO(b))
		for _, s := range subs {
			s.send(frame{event: "balance", data: data})
		}
	}
	stocks, err := h.svc.Stream.StocksChanged(ctx, h.stockSince.Add(-streamOverlap), streamBatch)
	if err != nil {
		h.log.Warn("event stream: reading changed listings failed", "err", err)
		return
	}
	for _, st := range stocks {
		key := fmt.Sprintf("%d/%s", st.UpdatedAt.UnixNano(), st.Price)
		if h.sentStock[st.Code] == key {
			continue
		}
		h.sentStock[st.Code] = key
		if st.UpdatedAt.After(h.stockSince) {
			h.stockSince = st.UpdatedAt
		}
		subs := h.subscribers(h.byCode[st.Code], h.allQuotes)
		if len(subs) == 0 {
			continue
		}
		data, _ := json.Marshal(stockDTO(st))
		for _, s := range subs {
			s.send(frame{event: "quote", data: data})
		}
	}
	// What fell out of the overlap window cannot come back.
	if len(h.sentOrder) > 4*streamBatch {
		h.sentOrder = map[string]string{}
	}
	if len(h.sentAccount) > 4*streamBatch {
		h.sentAccount = map[string]string{}
	}
}

func (h *hub) subscribers(a, b map[*subscriber]struct{}) []*subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subscribersLocked(a, b)
}

func (h *hub) subscribersLocked(a, b map[*subscriber]struct{}) []*subscriber {
	out := make([]*subscriber, 0, len(a)+len(b))
	for s := range a {
		out = append(out, s)
	}
	for s := range b {
		if _, dup := a[s]; !dup {
			out = append(out, s)
		}
	}
	return out
}

type streamInput struct {
	Authorization string `header:"Authorization" doc:"Bearer access token; or pass ticket instead."`
	Ticket        string `query:"ticket" maxLength:"256" doc:"A ticket from POST /stream/ticket, for clients that cannot send headers (EventSource)."`
	Codes         string `query:"codes" maxLength:"2048" doc:"Listings to quote besides the held and watched ones, comma separated; * for every listing."`
	AccountID     string `query:"account_id" maxLength:"64" doc:"One of the caller's accounts; the personal account when omitted."`
	LastEventID   string `header:"Last-Event-ID" maxLength:"128" doc:"The id of the last event received: the order events after it are sent first."`
	LastEventQ    string `query:"last_event_id" maxLength:"128" doc:"Last-Event-ID for clients that cannot send headers."`
}

type ticketOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         Envelope[StreamTicket]
}

// StreamTicket opens one event stream.
type StreamTicket struct {
	Ticket    string    `json:"ticket" doc:"Pass as ?ticket= to GET /stream within expires_at; it works once."`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *server) registerStream(api huma.API) {
	for _, p := range []struct{ id, path, summary string }{
		{"create-stream-ticket", "/stream/ticket", "A single-use ticket for the event stream"},
		{"create-stream-tickets", "/stream/tickets", "A single-use ticket for the event stream (same as /stream/ticket)"},
	} {
		register(api, signedIn, huma.Operation{
			OperationID: p.id, Method: http.MethodPost, Path: p.path, Tags: []string{"stream"},
			Summary:     p.summary,
			Description: "EventSource cannot send an Authorization header: it passes this ticket in the URL instead. A ticket is good for one connection within 60 seconds.",
		}, func(ctx context.Context, _ *struct{}) (*ticketOutput, error) {
			t, exp, err := s.svc.Stream.Ticket(ctx, userID(ctx))
			if err != nil {
				return nil, err
			}
			return &ticketOutput{CacheControl: "no-store", Body: Envelope[StreamTicket]{StreamTicket{Ticket: t, ExpiresAt: exp.UTC()}}}, nil
		})
	}

	register(api, public, huma.Operation{
		OperationID: "stream", Method: http.MethodGet, Path: "/stream", Tags: []string{"stream"},
		Summary: "Live updates as Server-Sent Events",
		Description: "Events: order (one of the account's orders changed status or filled, as an Order), balance (the account's " +
			"Balance after it), quote (a Stock whose price changed: the codes asked for, the held and the watched ones). " +
			"Authenticate with the bearer header or ?ticket=. Each event has an id; reconnecting with it in Last-Event-ID " +
			"(or ?last_event_id=) replays the order events missed. A comment line every 15 s keeps the connection open.",
		Responses: map[string]*huma.Response{"200": {
			Description: "An endless text/event-stream.",
			Content:     map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
	}, func(ctx context.Context, in *streamInput) (*huma.StreamResponse, error) {
		uid, err := s.streamUser(ctx, in)
		if err != nil {
			return nil, err
		}
		t := service.Target{UserID: uid, AccountID: in.AccountID}
		acct, err := s.svc.Stream.Account(ctx, t)
		if err != nil {
			return nil, err
		}
		codes, all, err := s.streamCodes(ctx, t, in.Codes)
		if err != nil {
			return nil, err
		}
		last := in.LastEventID
		if last == "" {
			last = in.LastEventQ
		}
		var from *streamCursor
		if last != "" {
			c, ok := parseStreamCursor(last)
			if !ok {
				return nil, domain.FieldErrorf(domain.CodeInvalid, "last_event_id", "is not an event id of this stream")
			}
			from = &c
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			s.serveStream(hctx, t, acct.ID, codes, all, from)
		}}, nil
	})
}

func (s *server) streamUser(ctx context.Context, in *streamInput) (string, error) {
	if in.Authorization != "" {
		token, ok := bearerToken(in.Authorization)
		if !ok {
			return "", unauthorized("the Authorization header must read \"Bearer <access_token>\"", false)
		}
		c, err := s.svc.Users.Authenticate(token)
		if err != nil {
			return "", err
		}
		if err := s.svc.Users.SessionLive(ctx, c.Session.FamilyID); err != nil {
			return "", err
		}
		return c.UserID, nil
	}
	if in.Ticket == "" {
		return "", unauthorized("send an Authorization: Bearer header, or a ticket from POST /api/v1/stream/ticket as ?ticket=", false)
	}
	return s.svc.Stream.Redeem(ctx, in.Ticket)
}

// streamCodes are the listings a stream quotes: those asked for, held and
// watched; all is true for "*".
func (s *server) streamCodes(ctx context.Context, t service.Target, asked string) ([]string, bool, error) {
	set := map[string]bool{}
	all := false
	for _, c := range strings.Split(asked, ",") {
		switch c = strings.TrimSpace(c); {
		case c == "":
		case c == "*":
			all = true
		case !domain.ValidStockCode(c):
			return nil, false, domain.FieldErrorf(domain.CodeInvalid, "codes", "%q is not a six-character KRX code", c)
		default:
			set[c] = true
		}
	}
	if !all {
		p, err := s.svc.Accounts.Portfolio(ctx, t)
		if err != nil {
			return nil, false, err
		}
		for _, h := range p.Holdings {
			set[h.Holding.StockCode] = true
		}
		w, err := s.svc.Watchlist.List(ctx, t.UserID)
		if err != nil {
			return nil, false, err
		}
		for _, i := range w {
			set[i.Item.StockCode] = true
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out, all, nil
}

func (s *server) serveStream(hctx huma.Context, t service.Target, account string, codes []string, all bool, from *streamCursor) {
	ctx := hctx.Context()
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-store")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	_, w := humachi.Unwrap(hctx)
	rc := http.NewResponseController(w)
	// The server's write timeout is for requests, not for a stream.
	_ = rc.SetWriteDeadline(time.Time{})

	sub := s.hub.subscribe(account, codes, all)
	defer s.hub.unsubscribe(sub, codes)

	last := streamCursor{at: time.Now().UnixNano()}
	var buf []byte
	write := func(event string, data []byte) bool {
		buf = buf[:0]
		buf = append(buf, "id: "...)
		buf = append(buf, last.String()...)
		buf = append(buf, "\nevent: "...)
		buf = append(buf, event...)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, data...)
		buf = append(buf, "\n\n"...)
		if _, err := w.Write(buf); err != nil {
			return false
		}
		return true
	}
	if _, err := w.Write([]byte("retry: 2000\n: connected\n\n")); err != nil {
		return
	}
	if from != nil {
		last = *from
		orders, err := s.svc.Stream.OrdersChanged(ctx, account, time.Unix(0, from.at).UTC(), replayLimit)
		if err != nil {
			s.log.Warn("event stream: replay failed", "err", err)
			return
		}
		for _, o := range orders {
			c := streamCursor{at: o.UpdatedAt.UnixNano(), id: o.ID}
			if !from.before(c) {
				continue
			}
			data, _ := json.Marshal(orderDTO(o))
			last = c
			if !write("order", data) {
				return
			}
		}
	}
	_ = rc.Flush()
	beat := time.NewTicker(s.hub.heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.gone:
			return
		case <-s.shutdown:
			return
		case <-beat.C:
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil {
				return
			}
		case f := <-sub.ch:
			if f.cursor != nil {
				if !last.before(*f.cursor) {
					continue // replayed already
				}
				last = *f.cursor
			}
			if !write(f.event, f.data) {
				return
			}
			// Send what else is queued before flushing once.
			for n := len(sub.ch); n > 0; n-- {
				f = <-sub.ch
				if f.cursor != nil {
					if !last.before(*f.cursor) {
						continue
					}
					last = *f.cursor
				}
				if !write(f.event, f.data) {
					return
				}
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
