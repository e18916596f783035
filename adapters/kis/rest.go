package kis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// maxResponseBytes caps what is read from one REST answer; 100 daily bars
// are about 40 KB.
const maxResponseBytes = 4 << 20

// Message codes the client reacts to.
const (
	// MsgRateLimited: too many calls per second (초당 거래건수를 초과하였습니다).
	MsgRateLimited = "EGW00201"
	// MsgTokenExpired: the access token has expired (기간이 만료된 token).
	MsgTokenExpired = "EGW00123"
	// MsgTokenInvalid: the access token is unknown (유효하지 않은 token).
	MsgTokenInvalid = "EGW00121"
	// MsgTokenIssueLimited: a second token asked for within a minute.
	MsgTokenIssueLimited = "EGW00133"
)

// maxRateLimitPause caps one pause after EGW00201.
const maxRateLimitPause = 2 * time.Second

// APIError is an answer KIS gave instead of data: rt_cd other than "0" on a
// REST call, or error_code on a token or approval-key request.
type APIError struct {
	Op     string // "GET inquire-price", "POST /oauth2/tokenP", ...
	Status int    // HTTP status
	RtCd   string
	MsgCd  string
	Msg1   string
}

func (e *APIError) Error() string {
	s := "kis: " + e.Op + ": "
	if e.MsgCd != "" {
		s += e.MsgCd + " "
	}
	s += e.Msg1
	if e.RtCd != "" {
		s += fmt.Sprintf(" (rt_cd %s, HTTP %d)", e.RtCd, e.Status)
	} else {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return s
}

// IsRateLimited reports whether err is KIS's too-many-calls answer, after
// the client's own retries gave up.
func IsRateLimited(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.MsgCd == MsgRateLimited
}

// envelope is what every REST answer carries. The outputs stay raw until the
// call knows which one it wants.
type envelope struct {
	RtCd    string          `json:"rt_cd"`
	MsgCd   string          `json:"msg_cd"`
	Msg1    string          `json:"msg1"`
	Output  json.RawMessage `json:"output"`
	Output1 json.RawMessage `json:"output1"`
	Output2 json.RawMessage `json:"output2"`
}

// get performs one quotation call: it attaches the token, backs off and
// repeats on EGW00201, renews the token once when KIS says it expired, and
// turns anything but rt_cd "0" into an *APIError.
func (c *Client) get(ctx context.Context, path, trID, op string, q url.Values) (*envelope, error) {
	renewed := false
	for attempt := 0; ; attempt++ {
		tok, err := c.Token(ctx)
		if err != nil {
			return nil, err
		}
		env, status, err := c.getOnce(ctx, path, trID, op, q, tok)
		if err != nil {
			return nil, err
		}
		if env.RtCd == "0" && status == http.StatusOK {
			return env, nil
		}
		apiErr := &APIError{Op: op, Status: status, RtCd: env.RtCd, MsgCd: env.MsgCd, Msg1: env.Msg1}
		if env.RtCd == "" && env.MsgCd == "" {
			apiErr.Msg1 = "answer has no rt_cd"
		}
		switch env.MsgCd {
		case MsgRateLimited:
			if attempt >= c.cfg.RateLimitRetries {
				return nil, apiErr
			}
			if err := sleepCtx(ctx, c.rateLimitPause(attempt)); err != nil {
				return nil, err
			}
			continue
		case MsgTokenExpired, MsgTokenInvalid:
			if renewed {
				return nil, apiErr
			}
			renewed = true
			c.log.Info("kis: token refused; renewing it", "msg_cd", env.MsgCd)
			c.dropToken(tok)
			continue
		}
		return nil, apiErr
	}
}

// rateLimitPause is the jittered pause before repeat number attempt+1: the
// jitter keeps callers that were refused together from returning together.
func (c *Client) rateLimitPause(attempt int) time.Duration {
	d := c.cfg.RateLimitBackoff << attempt
	if d <= 0 || d > maxRateLimitPause {
		d = maxRateLimitPause
	}
	return d/2 + rand.N(d/2+1)
}

func (c *Client) getOnce(ctx context.Context, path, trID, op string, q url.Values, tok string) (*envelope, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.rest+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("authorization", "Bearer "+tok)
	req.Header.Set("appkey", c.cfg.AppKey)
	req.Header.Set("appsecret", c.cfg.AppSecret)
	req.Header.Set("tr_id", trID)
	req.Header.Set("custtype", "P")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("kis: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("kis: %s: reading the answer: %w", op, err)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, resp.StatusCode, &APIError{Op: op, Status: resp.StatusCode, Msg1: "undecodable answer: " + snippet(data)}
	}
	return &env, resp.StatusCode, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
