package kisfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

func (s *Server) controlRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /__trades", s.handleTrades)
	m.HandleFunc("PUT /__listings", s.handleListings)
	m.HandleFunc("POST /__drop", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"dropped": s.DropSessions()})
	})
	m.HandleFunc("POST /__malformed", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
		if err != nil {
			controlError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"sent": s.SendRaw(string(body))})
	})
	m.HandleFunc("POST /__ratelimit", s.handleRateLimit)
	m.HandleFunc("POST /__expire-tokens", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /__state", s.handleState)
}

func controlError(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}

// decodeStrict decodes a control body, refusing unknown fields so that a
// typo in a test fixture fails loudly instead of being ignored.
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// wireTrade is one element of POST /__trades. decimal.Decimal decodes both
// "70000" and 70000.
type wireTrade struct {
	Code    string          `json:"code"`
	Price   decimal.Decimal `json:"price"`
	Volume  int64           `json:"volume"`
	Bid     decimal.Decimal `json:"bid"`
	Ask     decimal.Decimal `json:"ask"`
	BidSize int64           `json:"bid_size"`
	AskSize int64           `json:"ask_size"`
}

func (s *Server) handleTrades(w http.ResponseWriter, r *http.Request) {
	var in []wireTrade
	if err := decodeStrict(r, &in); err != nil {
		controlError(w, err)
		return
	}
	trades := make([]Trade, len(in))
	for i, t := range in {
		trades[i] = Trade{Code: t.Code, Price: t.Price, Volume: t.Volume, Bid: t.Bid, Ask: t.Ask, BidSize: t.BidSize, AskSize: t.AskSize}
	}
	if err := s.Publish(trades); err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"published": len(trades)})
}

type wireBar struct {
	Date   string          `json:"date"` // 2006-01-02
	Open   decimal.Decimal `json:"open"`
	High   decimal.Decimal `json:"high"`
	Low    decimal.Decimal `json:"low"`
	Close  decimal.Decimal `json:"close"`
	Volume int64           `json:"volume"`
}

type wireListing struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	PrevClose decimal.Decimal `json:"prev_close"`
	Bars      []wireBar       `json:"bars"`
}

func (s *Server) handleListings(w http.ResponseWriter, r *http.Request) {
	var in []wireListing
	if err := decodeStrict(r, &in); err != nil {
		controlError(w, err)
		return
	}
	for _, l := range in {
		ls := Listing{Code: l.Code, Name: l.Name, PrevClose: l.PrevClose}
		for _, b := range l.Bars {
			d, err := time.ParseInLocation(time.DateOnly, b.Date, domain.Seoul)
			if err != nil {
				controlError(w, fmt.Errorf("%s: bar date %q is not YYYY-MM-DD", l.Code, b.Date))
				return
			}
			ls.Bars = append(ls.Bars, Bar{Date: d, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume})
		}
		if err := s.SetListing(ls); err != nil {
			controlError(w, fmt.Errorf("%s: %w", l.Code, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"listings": len(in)})
}

func (s *Server) handleRateLimit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		On        *bool `json:"on"`
		Next      *int  `json:"next"`
		PerSecond *int  `json:"per_second"`
	}
	if err := decodeStrict(r, &in); err != nil {
		controlError(w, err)
		return
	}
	if in.On != nil {
		s.SetRateLimited(*in.On)
	}
	if in.Next != nil {
		s.RateLimitNext(*in.Next)
	}
	if in.PerSecond != nil {
		s.SetCallsPerSecond(*in.PerSecond)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	calls := make(map[string]int, len(s.restCalls))
	for k, v := range s.restCalls {
		calls[k] = v
	}
	state := map[string]any{
		"token_issues":    s.tokenIssues,
		"token_refusals":  s.tokenRefusals,
		"approval_issues": s.approvalIssues,
		"connects":        s.connects,
		"sessions":        len(s.sessions),
		"echoes":          s.echoes,
		"rest_calls":      calls,
		"trades":          s.trades,
		"rate_limited":    s.rateLimited,
	}
	var subs [][]string
	for _, ss := range s.sessionList() {
		subs = append(subs, ss.codesLocked())
	}
	state["subscriptions"] = subs
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, state)
}
