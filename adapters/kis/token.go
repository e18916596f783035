package kis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// tokenRetryPause is how long a failed renewal holds back the next one while
// the old token still works: KIS issues at most one token a minute.
const tokenRetryPause = time.Minute

// approvalLifetime is how long an approval key is reused. KIS keys last a
// day; a session refused for its key fetches a new one sooner.
const approvalLifetime = 12 * time.Hour

// issueTimeout bounds one issue request. The request runs on behalf of every
// waiting caller, so it does not end when the first caller gives up.
const issueTimeout = 30 * time.Second

// Token returns the process-wide access token, issuing or renewing it when
// needed. Concurrent callers share one issue request.
func (c *Client) Token(ctx context.Context) (string, error) {
	now := c.now()
	c.mu.Lock()
	tok, exp, retryAt, limitErr := c.token, c.tokenExpires, c.tokenRetryAt, c.tokenLimitErr
	c.mu.Unlock()
	if tok != "" && now.Before(exp.Add(-c.cfg.TokenRenewBefore)) {
		return tok, nil
	}
	if now.Before(retryAt) {
		if tok != "" && now.Before(exp) {
			return tok, nil
		}
		if limitErr != nil {
			// Asking again within the minute would only be refused again.
			return "", limitErr
		}
	}
	ch := c.issue.DoChan("token", func() (any, error) {
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issueTimeout)
		defer cancel()
		return c.issueToken(ictx)
	})
	select {
	case r := <-ch:
		if r.Err == nil {
			return r.Val.(string), nil
		}
		if tok != "" && c.now().Before(exp) {
			c.log.Warn("kis: renewing the access token failed; using the current one until it expires",
				"expires", exp, "err", r.Err)
			return tok, nil
		}
		return "", r.Err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// issueToken asks KIS for a token unless another caller has just renewed it.
func (c *Client) issueToken(ctx context.Context) (string, error) {
	now := c.now()
	c.mu.Lock()
	if c.token != "" && now.Before(c.tokenExpires.Add(-c.cfg.TokenRenewBefore)) {
		tok := c.token
		c.mu.Unlock()
		return tok, nil
	}
	c.mu.Unlock()

	body := map[string]string{
		"grant_type": "client_credentials",
		"appkey":     c.cfg.AppKey,
		"appsecret":  c.cfg.AppSecret,
	}
	var ans struct {
		AccessToken string      `json:"access_token"`
		Expired     string      `json:"access_token_token_expired"`
		TokenType   string      `json:"token_type"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	const op = "POST /oauth2/tokenP"
	if err := c.postAuth(ctx, "/oauth2/tokenP", op, body, &ans); err != nil {
		c.mu.Lock()
		c.tokenRetryAt = c.now().Add(tokenRetryPause)
		c.tokenLimitErr = nil
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.MsgCd == MsgTokenIssueLimited {
			c.tokenLimitErr = err
		}
		c.mu.Unlock()
		return "", err
	}
	if ans.AccessToken == "" {
		return "", &APIError{Op: op, Status: http.StatusOK, Msg1: "answer has no access_token"}
	}
	issued := c.now()
	exp, err := tokenExpiry(issued, ans.ExpiresIn, ans.Expired)
	if err != nil {
		return "", &APIError{Op: op, Status: http.StatusOK, Msg1: err.Error()}
	}
	c.mu.Lock()
	c.token, c.tokenExpires, c.tokenRetryAt, c.tokenLimitErr = ans.AccessToken, exp, time.Time{}, nil
	c.tokenIssues++
	c.mu.Unlock()
	c.log.Info("kis: access token issued", "expires", exp)
	return ans.AccessToken, nil
}

// tokenExpiry prefers expires_in (seconds from now), which does not depend on
// the two clocks agreeing, and falls back to access_token_token_expired
// ("2006-01-02 15:04:05", Seoul time).
func tokenExpiry(now time.Time, expiresIn json.Number, expired string) (time.Time, error) {
	if s := strings.TrimSpace(expiresIn.String()); s != "" {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n <= 0 {
			return time.Time{}, fmt.Errorf("expires_in %q is not a positive number of seconds", s)
		}
		return now.Add(time.Duration(n * float64(time.Second))), nil
	}
	if expired != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04:05", expired, domain.Seoul)
		if err != nil {
			return time.Time{}, fmt.Errorf("access_token_token_expired %q: %v", expired, err)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("answer gives neither expires_in nor access_token_token_expired")
}

// dropToken forgets tok after KIS has said it expired or is unknown, so that
// the next Token call issues a new one. A token renewed meanwhile by another
// caller is kept.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token, c.tokenExpires, c.tokenRetryAt = "", time.Time{}, time.Time{}
	}
}

// ApprovalKey returns the WebSocket approval key, fetching it once for all
// concurrent callers.
func (c *Client) ApprovalKey(ctx context.Context) (string, error) {
	c.mu.Lock()
	key, exp := c.approval, c.approvalExp
	c.mu.Unlock()
	if key != "" && c.now().Before(exp) {
		return key, nil
	}
	ch := c.issue.DoChan("approval", func() (any, error) {
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issueTimeout)
		defer cancel()
		var ans struct {
			ApprovalKey string `json:"approval_key"`
		}
		const op = "POST /oauth2/Approval"
		body := map[string]string{
			"grant_type": "client_credentials",
			"appkey":     c.cfg.AppKey,
			"secretkey":  c.cfg.AppSecret,
		}
		if err := c.postAuth(ictx, "/oauth2/Approval", op, body, &ans); err != nil {
			return "", err
		}
		if ans.ApprovalKey == "" {
			return "", &APIError{Op: op, Status: http.StatusOK, Msg1: "answer has no approval_key"}
		}
		c.mu.Lock()
		c.approval, c.approvalExp = ans.ApprovalKey, c.now().Add(approvalLifetime)
		c.mu.Unlock()
		return ans.ApprovalKey, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// dropApprovalKey forgets key after a session was refused for it.
func (c *Client) dropApprovalKey(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.approval == key {
		c.approval, c.approvalExp = "", time.Time{}
	}
}

// postAuth posts to one of the /oauth2 endpoints. Their errors are not the
// rt_cd envelope of the other calls but {"error_code","error_description"},
// usually with HTTP 403.
func (c *Client) postAuth(ctx context.Context, path, op string, body any, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.rest+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("kis: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("kis: %s: reading the answer: %w", op, err)
	}
	var e struct {
		Code string `json:"error_code"`
		Desc string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &e)
	if resp.StatusCode != http.StatusOK || e.Code != "" {
		return &APIError{Op: op, Status: resp.StatusCode, MsgCd: e.Code, Msg1: firstNonEmpty(e.Desc, snippet(data))}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &APIError{Op: op, Status: resp.StatusCode, Msg1: "undecodable answer: " + err.Error()}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
