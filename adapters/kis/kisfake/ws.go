package kisfake

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/stocking-kr/stocking/domain"
)

const (
	trRealtimeTrade = "H0STCNT0"
	// sessionQueue bounds what waits to be written to one session; a
	// publisher waits when it is full, which keeps a fast publisher from
	// outrunning the socket without losing frames.
	sessionQueue   = 4096
	wsWriteTimeout = 10 * time.Second
)

// wsSession is one client connection. Its subscriptions and PINGPONG state
// are guarded by Server.mu.
type wsSession struct {
	s      *Server
	conn   *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	out    chan []byte

	subs        map[string]bool // "tr_id|tr_key"
	pingPending bool            // a PINGPONG was sent and not yet echoed
}

// sessionList returns the open sessions in a stable order. s.mu must be held.
func (s *Server) sessionList() []*wsSession {
	out := make([]*wsSession, 0, len(s.sessions))
	for ss := range s.sessions {
		out = append(out, ss)
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.Join(out[i].codesLocked(), ",") < strings.Join(out[j].codesLocked(), ",")
	})
	return out
}

// codesLocked lists the codes the session subscribes to H0STCNT0.
func (ss *wsSession) codesLocked() []string {
	var out []string
	for id := range ss.subs {
		if code, ok := strings.CutPrefix(id, trRealtimeTrade+"|"); ok {
			out = append(out, code)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		http.Error(w, "kisfake is closed", http.StatusServiceUnavailable)
		return
	}
	// The session outlives the handshake request, so it gets a context of
	// its own.
	ctx, cancel := context.WithCancel(context.Background())
	ss := &wsSession{s: s, ctx: ctx, cancel: cancel, out: make(chan []byte, sessionQueue), subs: map[string]bool{}}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		// KIS's own samples answer PINGPONG with a pong frame that carries
		// the message; that counts as an echo too.
		OnPongReceived: func(_ context.Context, payload []byte) { ss.echoed(payload) },
	})
	if err != nil {
		cancel()
		return
	}
	conn.SetReadLimit(1 << 20)
	ss.conn = conn
	s.mu.Lock()
	s.sessions[ss] = struct{}{}
	s.connects++
	s.notify()
	s.mu.Unlock()

	go ss.writeLoop()
	go ss.pingLoop()
	ss.readLoop()

	ss.drop()
	s.mu.Lock()
	delete(s.sessions, ss)
	s.notify()
	s.mu.Unlock()
}

// drop ends the session at once, without a closing handshake, the way a
// lost connection looks to the client.
func (ss *wsSession) drop() {
	ss.cancel()
	if ss.conn != nil {
		ss.conn.CloseNow()
	}
}

// send queues a message, waiting while the queue is full.
func (ss *wsSession) send(msg []byte) {
	select {
	case ss.out <- msg:
	case <-ss.ctx.Done():
	}
}

func (ss *wsSession) writeLoop() {
	for {
		select {
		case <-ss.ctx.Done():
			return
		case m := <-ss.out:
			wctx, cancel := context.WithTimeout(ss.ctx, wsWriteTimeout)
			err := ss.conn.Write(wctx, websocket.MessageText, m)
			cancel()
			if err != nil {
				ss.drop()
				return
			}
		}
	}
}

// pingLoop sends PINGPONG and drops the session when the previous one was
// not sent back by the time the next is due.
func (ss *wsSession) pingLoop() {
	t := time.NewTicker(ss.s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ss.ctx.Done():
			return
		case <-t.C:
		}
		ss.s.mu.Lock()
		missed := ss.pingPending
		ss.pingPending = true
		now := ss.s.now()
		ss.s.mu.Unlock()
		if missed {
			ss.s.log.Info("kisfake: closing a session that did not echo PINGPONG")
			ss.drop()
			return
		}
		ss.send([]byte(`{"header":{"tr_id":"PINGPONG","datetime":"` + now.In(domain.Seoul).Format("20060102150405") + `"}}`))
	}
}

func (ss *wsSession) readLoop() {
	for {
		typ, data, err := ss.conn.Read(ss.ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageText {
			ss.handle(data)
		}
	}
}

// echoed takes a message the client sent back and clears the pending
// PINGPONG if that is what it is.
func (ss *wsSession) echoed(data []byte) bool {
	var m struct {
		Header struct {
			TrID string `json:"tr_id"`
		} `json:"header"`
	}
	if json.Unmarshal(data, &m) != nil || m.Header.TrID != "PINGPONG" {
		return false
	}
	ss.s.mu.Lock()
	ss.pingPending = false
	ss.s.echoes++
	ss.s.notify()
	ss.s.mu.Unlock()
	return true
}

// ack is KIS's answer to a subscription request.
type ack struct {
	Header struct {
		TrID    string `json:"tr_id"`
		TrKey   string `json:"tr_key"`
		Encrypt string `json:"encrypt"`
	} `json:"header"`
	Body struct {
		RtCd   string   `json:"rt_cd"`
		MsgCd  string   `json:"msg_cd"`
		Msg1   string   `json:"msg1"`
		Output *ackKeys `json:"output,omitempty"`
	} `json:"body"`
}

// ackKeys are the AES key and IV KIS hands out with every subscription; only
// encrypted feeds use them.
type ackKeys struct {
	IV  string `json:"iv"`
	Key string `json:"key"`
}

func ackMessage(trID, trKey, rtCd, msgCd, msg1 string, keys bool) []byte {
	var a ack
	a.Header.TrID, a.Header.TrKey, a.Header.Encrypt = trID, trKey, "N"
	a.Body.RtCd, a.Body.MsgCd, a.Body.Msg1 = rtCd, msgCd, msg1
	if keys {
		a.Body.Output = &ackKeys{IV: randomHex(8), Key: randomHex(16)}
	}
	b, _ := json.Marshal(a)
	return b
}

// handle answers one text message from the client.
func (ss *wsSession) handle(data []byte) {
	if ss.echoed(data) {
		return
	}
	var m struct {
		Header struct {
			ApprovalKey string `json:"approval_key"`
			CustType    string `json:"custtype"`
			TrType      string `json:"tr_type"`
		} `json:"header"`
		Body struct {
			Input struct {
				TrID  string `json:"tr_id"`
				TrKey string `json:"tr_key"`
			} `json:"input"`
		} `json:"body"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		ss.send(ackMessage("", "", "9", "OPSP8993", "JSON PARSING ERROR : invalid json format", false))
		return
	}
	trID, trKey := m.Body.Input.TrID, m.Body.Input.TrKey
	id := trID + "|" + trKey
	s := ss.s
	// Publishers hold pubMu from reading the subscriptions to queueing
	// their frames, so holding it here from the change to the answer keeps
	// every trade frame of a code after the answer that subscribed it and
	// before the one that unsubscribed it, as on KIS.
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	rtCd, msgCd, msg1 := "0", "", ""
	change := 0 // +1 subscribe, -1 unsubscribe
	switch {
	case !s.approvals[m.Header.ApprovalKey]:
		rtCd, msgCd, msg1 = "9", "OPSP0011", "invalid approval : NOT FOUND"
	case m.Header.CustType != "P" && m.Header.CustType != "B":
		rtCd, msgCd, msg1 = "9", "OPSP0013", "invalid custtype"
	case trID == "" || trKey == "":
		rtCd, msgCd, msg1 = "9", "OPSP0012", "invalid tr_id or tr_key"
	case m.Header.TrType == "1" && ss.subs[id]:
		rtCd, msgCd, msg1 = "1", "OPSP0002", "ALREADY IN SUBSCRIBE"
	case m.Header.TrType == "1" && len(ss.subs) >= s.opts.MaxSubscriptions:
		rtCd, msgCd, msg1 = "1", "OPSP0008", "MAX SUBSCRIBE OVER"
	case m.Header.TrType == "1":
		msgCd, msg1, change = "OPSP0000", "SUBSCRIBE SUCCESS", +1
	case m.Header.TrType == "2" && !ss.subs[id]:
		rtCd, msgCd, msg1 = "1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)"
	case m.Header.TrType == "2":
		msgCd, msg1, change = "OPSP0001", "UNSUBSCRIBE SUCCESS", -1
	default:
		rtCd, msgCd, msg1 = "9", "OPSP0009", "invalid tr_type"
	}
	switch change {
	case +1:
		ss.subs[id] = true
	case -1:
		delete(ss.subs, id)
	}
	s.answers[msgCd]++
	s.notify()
	s.mu.Unlock()
	ss.send(ackMessage(trID, trKey, rtCd, msgCd, msg1, change > 0))
}

// DropSessions closes every WebSocket session abruptly, as a network fault
// would, and reports how many there were.
func (s *Server) DropSessions() int {
	s.mu.Lock()
	sessions := s.sessionList()
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.drop()
	}
	return len(sessions)
}

// MalformedFrame is what SendRaw sends when given nothing: an H0STCNT0 frame
// that announces two records and carries three fields.
const MalformedFrame = "0|H0STCNT0|002|005930^093000^70000"

// SendRaw sends msg, unchanged, to every open session and reports how many
// got it. An empty msg sends MalformedFrame.
func (s *Server) SendRaw(msg string) int {
	if msg == "" {
		msg = MalformedFrame
	}
	s.mu.Lock()
	sessions := s.sessionList()
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.send([]byte(msg))
	}
	return len(sessions)
}
