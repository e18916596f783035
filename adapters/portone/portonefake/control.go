package portonefake

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// failAttempt is a browser attempt that fails, with the amount the browser
// requested (the page and the control API know it, Fail does not).
func (s *Server) failAttempt(c checkout, reason string) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.attemptLocked(c)
	if err != nil {
		return Payment{}, err
	}
	return s.failLocked(p, reason)
}

// controlRequest is the body of the /__fake/payments/{id}/... actions. It
// uses the browser SDK's field names where there is one.
type controlRequest struct {
	OrderName   string          `json:"orderName"`
	TotalAmount int64           `json:"totalAmount"`
	Amount      int64           `json:"amount"`
	Currency    string          `json:"currency"`
	CustomData  json.RawMessage `json:"customData"`
	Reason      string          `json:"reason"`
	// ExpiresAt is the virtual account's expiry, RFC 3339; default 24 h.
	ExpiresAt string `json:"expiresAt"`
}

func (s *Server) handleControlAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("paymentId")
		var req controlRequest
		raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &req); err != nil {
				writeError(w, errorf(http.StatusBadRequest, "INVALID_REQUEST", "malformed body: %v", err))
				return
			}
		}
		amount := req.TotalAmount
		if amount == 0 {
			amount = req.Amount
		}
		var opts []Option
		if len(req.CustomData) > 0 {
			opts = append(opts, WithCustomData(req.CustomData))
		}
		var (
			p   Payment
			err error
		)
		switch action {
		case "open":
			p, err = s.Open(id, req.OrderName, amount, req.Currency, opts...)
		case "pay":
			p, err = s.Pay(id, req.OrderName, amount, req.Currency, opts...)
		case "fail":
			if amount > 0 {
				var c checkout
				if c, err = newCheckout(id, req.OrderName, amount, req.Currency, opts); err == nil {
					p, err = s.failAttempt(c, req.Reason)
				}
			} else {
				p, err = s.Fail(id, req.Reason)
			}
		case "virtual-account":
			var exp time.Time
			if req.ExpiresAt != "" {
				if exp, err = time.Parse(time.RFC3339, req.ExpiresAt); err != nil {
					err = errorf(http.StatusBadRequest, "INVALID_REQUEST", "expiresAt is not RFC 3339: %v", err)
				}
			}
			if err == nil {
				p, err = s.IssueVirtualAccount(id, req.OrderName, amount, req.Currency, exp, opts...)
			}
		case "deposit":
			p, err = s.Deposit(id)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		s.writePayment(w, p.ID)
	}
}

func (s *Server) writePayment(w http.ResponseWriter, id string) {
	s.mu.Lock()
	p, ok := s.payments[id]
	var body wirePayment
	if ok {
		body = s.wirePaymentLocked(p)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "PAYMENT_NOT_FOUND", "Payment not found."))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleControlGet(w http.ResponseWriter, r *http.Request) {
	s.writePayment(w, r.PathValue("paymentId"))
}

func (s *Server) handleControlList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]wirePayment, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.wirePaymentLocked(s.payments[id]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleControlResend(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Resend(r.PathValue("paymentId"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, deliveryViews(ds))
}

func (s *Server) handleControlWebhooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, deliveryViews(s.Webhooks()))
}

// deliveryView is the delivery log as JSON, with the body as text rather
// than base64 so a developer can read it.
type deliveryView struct {
	ID            string        `json:"id"`
	URL           string        `json:"url"`
	Type          string        `json:"type"`
	PaymentID     string        `json:"paymentId"`
	PaymentStatus string        `json:"paymentStatus"`
	Trigger       string        `json:"trigger,omitempty"`
	Body          string        `json:"body"`
	Status        string        `json:"status,omitempty"`
	Done          bool          `json:"done"`
	Attempts      []attemptView `json:"attempts"`
}

type attemptView struct {
	At           string `json:"at"`
	Timestamp    int64  `json:"timestamp"`
	Signature    string `json:"signature,omitempty"`
	StatusCode   int    `json:"statusCode,omitempty"`
	ResponseBody string `json:"responseBody,omitempty"`
	Error        string `json:"error,omitempty"`
}

func deliveryViews(ds []WebhookDelivery) []deliveryView {
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		v := deliveryView{ID: d.ID, URL: d.URL, Type: d.Type, PaymentID: d.PaymentID, PaymentStatus: d.PaymentStatus,
			Trigger: d.Trigger, Body: string(d.Body), Status: d.Status, Done: d.Done, Attempts: []attemptView{}}
		for _, a := range d.Attempts {
			v.Attempts = append(v.Attempts, attemptView{At: wireTime(a.At), Timestamp: a.Timestamp, Signature: a.Signature,
				StatusCode: a.StatusCode, ResponseBody: a.ResponseBody, Error: a.Err})
		}
		out = append(out, v)
	}
	return out
}

// checkoutPage is the stand-in for PortOne's payment window. Links and the
// form action are relative so the page works wherever the fake is mounted.
var checkoutPage = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>PortOne test checkout</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
label { display: block; margin: .6rem 0; }
input { width: 100%; padding: .3rem; box-sizing: border-box; }
button { margin: .8rem .4rem 0 0; padding: .5rem 1rem; }
.note { color: #555; font-size: .9rem; }
.msg { padding: .6rem; background: #eef6ee; border: 1px solid #9c9; }
.err { padding: .6rem; background: #fbeeee; border: 1px solid #c99; }
pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; font-size: .8rem; }
</style>
</head>
<body>
<h1>PortOne test checkout</h1>
<p class="note">A local stand-in for PortOne's payment window ({{.ChannelType}} channel). No money moves.</p>
{{if .Message}}<p class="msg">{{.Message}}</p>{{end}}
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="checkout">
<label>Payment id <input name="paymentId" value="{{.PaymentID}}" required></label>
<label>Order name <input name="orderName" value="{{.OrderName}}"></label>
<label>Amount (minor unit) <input name="amount" type="number" min="1" step="1" value="{{.Amount}}"></label>
<p class="note">Change the amount to play a browser that pays something other than what the server prepared.</p>
<label>Currency <input name="currency" value="{{.Currency}}"></label>
<label>Failure reason (for Fail) <input name="reason" value="Card declined (simulated)"></label>
<label>Virtual account valid for hours <input name="expiresInHours" type="number" min="1" value="24"></label>
<input type="hidden" name="redirectUrl" value="{{.RedirectURL}}">
<input type="hidden" name="customData" value="{{.CustomData}}">
<button name="action" value="pay">Pay by card</button>
<button name="action" value="fail">Fail</button>
<button name="action" value="virtual-account">Issue virtual account</button>
{{if .CanDeposit}}<button name="action" value="deposit">Deposit into the virtual account</button>{{end}}
</form>
{{with .Payment}}
<h2>Payment {{.ID}}: {{.Status}}</h2>
{{with .VirtualAccount}}<p>Virtual account: {{.Bank}} {{.AccountNumber}}, valid until {{.ExpiresAt.Format "2006-01-02 15:04 MST"}}</p>{{end}}
{{end}}
{{if .JSON}}<pre>{{.JSON}}</pre>{{end}}
</body>
</html>
`))

type checkoutView struct {
	PaymentID, OrderName, Currency, RedirectURL, CustomData string
	Amount                                                  string
	ChannelType                                             string
	Message, Error                                          string
	Payment                                                 *Payment
	CanDeposit                                              bool
	JSON                                                    string
}

// handleCheckoutPage shows the window. Opening it creates the payment as
// READY, as opening PortOne's window does, when the request names one.
func (s *Server) handleCheckoutPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := checkoutView{
		PaymentID:   q.Get("paymentId"),
		OrderName:   q.Get("orderName"),
		Amount:      firstOf(q.Get("amount"), q.Get("totalAmount")),
		Currency:    firstOf(q.Get("currency"), "KRW"),
		RedirectURL: safeRedirect(q.Get("redirectUrl")),
		CustomData:  q.Get("customData"),
	}
	if amount, err := strconv.ParseInt(v.Amount, 10, 64); err == nil && v.PaymentID != "" {
		// An already-paid id just shows its state; the error is the page.
		if _, err := s.Open(v.PaymentID, v.OrderName, amount, v.Currency, customData(v.CustomData)...); err != nil {
			v.Error = err.Error()
		}
	}
	s.renderCheckout(w, http.StatusOK, v)
}

func (s *Server) handleCheckoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	v := checkoutView{
		PaymentID:   f.Get("paymentId"),
		OrderName:   f.Get("orderName"),
		Amount:      f.Get("amount"),
		Currency:    firstOf(f.Get("currency"), "KRW"),
		RedirectURL: safeRedirect(f.Get("redirectUrl")),
		CustomData:  f.Get("customData"),
	}
	amount, _ := strconv.ParseInt(strings.TrimSpace(v.Amount), 10, 64)
	opts := customData(v.CustomData)
	reason := f.Get("reason")
	action := f.Get("action")
	var (
		p   Payment
		err error
	)
	switch action {
	case "pay":
		p, err = s.Pay(v.PaymentID, v.OrderName, amount, v.Currency, opts...)
	case "fail":
		var c checkout
		if c, err = newCheckout(v.PaymentID, v.OrderName, amount, v.Currency, opts); err == nil {
			p, err = s.failAttempt(c, reason)
		}
	case "virtual-account":
		hours, _ := strconv.Atoi(f.Get("expiresInHours"))
		if hours <= 0 {
			hours = 24
		}
		p, err = s.IssueVirtualAccount(v.PaymentID, v.OrderName, amount, v.Currency, s.now().Add(time.Duration(hours)*time.Hour), opts...)
	case "deposit":
		p, err = s.Deposit(v.PaymentID)
	default:
		err = errorf(http.StatusBadRequest, "INVALID_REQUEST", "unknown action %q", action)
	}

	// Like the SDK's redirect mode: back to the merchant with paymentId,
	// plus code and message when the attempt failed. A deposit is not a
	// browser step, so it stays on the page.
	if v.RedirectURL != "" && action != "deposit" {
		q := url.Values{"paymentId": {v.PaymentID}}
		switch {
		case err != nil:
			code := "FAILURE_TYPE_PG"
			var e *Error
			if errors.As(err, &e) {
				code = e.Type
			}
			q.Set("code", code)
			q.Set("message", err.Error())
		case p.Status == StatusFailed:
			q.Set("code", "FAILURE_TYPE_PG")
			q.Set("message", reason)
		}
		http.Redirect(w, r, appendQuery(v.RedirectURL, q), http.StatusSeeOther)
		return
	}
	status := http.StatusOK
	if err != nil {
		v.Error = err.Error()
		status = http.StatusUnprocessableEntity
	} else {
		v.Message = "Payment " + p.ID + " is now " + p.Status + "."
	}
	s.renderCheckout(w, status, v)
}

func (s *Server) renderCheckout(w http.ResponseWriter, status int, v checkoutView) {
	v.ChannelType = s.cfg.ChannelType
	if v.PaymentID != "" {
		s.mu.Lock()
		if p, ok := s.payments[v.PaymentID]; ok {
			snap := p.clone()
			v.Payment = &snap
			v.CanDeposit = p.Status == StatusVirtualAccountIssued
			b, _ := json.MarshalIndent(s.wirePaymentLocked(p), "", "  ")
			v.JSON = string(b)
		}
		s.mu.Unlock()
	}
	var buf bytes.Buffer
	if err := checkoutPage.Execute(&buf, v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func customData(s string) []Option {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return []Option{WithCustomData(json.RawMessage(s))}
	}
	return []Option{WithCustomData(s)}
}

// safeRedirect keeps only http(s) URLs and same-site paths, so the page
// cannot be turned into a redirector to other schemes.
func safeRedirect(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return raw
	}
	if u.Scheme == "" && u.Host == "" && strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		return raw
	}
	return ""
}

func appendQuery(raw string, q url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	existing := u.Query()
	for k, vs := range q {
		existing[k] = vs
	}
	u.RawQuery = existing.Encode()
	return u.String()
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
