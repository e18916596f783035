package kis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// REST paths and transaction ids of the quotation calls.
const (
	pathInquirePrice = "/uapi/domestic-stock/v1/quotations/inquire-price"
	pathDailyChart   = "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice"
	trInquirePrice   = "FHKST01010100"
	trDailyChart     = "FHKST03010100"
)

// barsPerCall is the most bars inquire-daily-itemchartprice returns at once.
const barsPerCall = 100

// maxBarPages bounds the paging of one DailyBars call (about 40 years of
// trading days), so that a misbehaving server cannot keep it looping.
const maxBarPages = 100

// Quote is a listing's current price as inquire-price reports it.
type Quote struct {
	Code string
	// Name is empty when the answer does not carry hts_kor_isnm, which
	// inquire-price normally does not.
	Name string
	// Price is the last trade price (stck_prpr).
	Price decimal.Decimal
	// BasePrice (stck_sdpr) is what today's ±30% band is computed from:
	// the previous close, adjusted after corporate actions.
	BasePrice  decimal.Decimal
	UpperLimit decimal.Decimal // stck_mxpr
	LowerLimit decimal.Decimal // stck_llam
	Open       decimal.Decimal
	High       decimal.Decimal
	Low        decimal.Decimal
	// Volume is the shares traded today so far (acml_vol).
	Volume int64
	// Change is Price minus the previous close, negative when down.
	Change decimal.Decimal
	// ChangeRate is Change in percent of the previous close.
	ChangeRate decimal.Decimal
}

// Bar is one trading day.
type Bar struct {
	Date   time.Time // midnight, Asia/Seoul
	Open   decimal.Decimal
	High   decimal.Decimal
	Low    decimal.Decimal
	Close  decimal.Decimal
	Volume int64
}

// Bars is a listing's daily history.
type Bars struct {
	Code string
	Name string // hts_kor_isnm; empty when the answer has none
	Days []Bar  // oldest first
}

// Quote reads a listing's current price.
func (c *Client) Quote(ctx context.Context, code string) (Quote, error) {
	if !domain.ValidStockCode(code) {
		return Quote{}, fmt.Errorf("kis: %q is not a six-character KRX code", code)
	}
	const op = "GET inquire-price"
	q := url.Values{"FID_COND_MRKT_DIV_CODE": {"J"}, "FID_INPUT_ISCD": {code}}
	env, err := c.get(ctx, pathInquirePrice, trInquirePrice, op, q)
	if err != nil {
		return Quote{}, err
	}
	var out struct {
		Name       string `json:"hts_kor_isnm"`
		Price      string `json:"stck_prpr"`
		Base       string `json:"stck_sdpr"`
		Upper      string `json:"stck_mxpr"`
		Lower      string `json:"stck_llam"`
		Open       string `json:"stck_oprc"`
		High       string `json:"stck_hgpr"`
		Low        string `json:"stck_lwpr"`
		Volume     string `json:"acml_vol"`
		Change     string `json:"prdy_vrss"`
		ChangeSign string `json:"prdy_vrss_sign"`
		ChangeRate string `json:"prdy_ctrt"`
	}
	if len(env.Output) == 0 || string(env.Output) == "null" {
		return Quote{}, &APIError{Op: op, Status: http.StatusOK, RtCd: env.RtCd, MsgCd: env.MsgCd, Msg1: "answer has no output"}
	}
	if err := json.Unmarshal(env.Output, &out); err != nil {
		return Quote{}, &APIError{Op: op, Status: http.StatusOK, RtCd: env.RtCd, Msg1: "undecodable output: " + err.Error()}
	}
	p := fieldParser{op: op + " " + code}
	qt := Quote{
		Code:       code,
		Name:       strings.TrimSpace(out.Name),
		Price:      p.dec("stck_prpr", out.Price),
		BasePrice:  p.dec("stck_sdpr", out.Base),
		UpperLimit: p.dec("stck_mxpr", out.Upper),
		LowerLimit: p.dec("stck_llam", out.Lower),
		Open:       p.dec("stck_oprc", out.Open),
		High:       p.dec("stck_hgpr", out.High),
		Low:        p.dec("stck_lwpr", out.Low),
		Volume:     p.int("acml_vol", out.Volume),
		Change:     p.dec("prdy_vrss", out.Change),
		ChangeRate: p.dec("prdy_ctrt", out.ChangeRate),
	}
	if p.err != nil {
		return Quote{}, p.err
	}
	qt.Change = applySign(out.ChangeSign, qt.Change)
	qt.ChangeRate = applySign(out.ChangeSign, qt.ChangeRate)
	return qt, nil
}

// applySign makes a change agree with prdy_vrss_sign (1 upper limit, 2 up,
// 3 flat, 4 lower limit, 5 down): some KIS answers send the magnitude only.
func applySign(sign string, v decimal.Decimal) decimal.Decimal {
	switch strings.TrimSpace(sign) {
	case "4", "5":
		return v.Abs().Neg()
	case "1", "2":
		return v.Abs()
	}
	return v
}

// DailyBars reads a listing's daily bars (adjusted prices) from one Seoul
// date to another, both included, oldest first. KIS returns at most 100
// bars a call, so a longer range takes several calls.
func (c *Client) DailyBars(ctx context.Context, code string, from, to time.Time) (Bars, error) {
	if !domain.ValidStockCode(code) {
		return Bars{}, fmt.Errorf("kis: %q is not a six-character KRX code", code)
	}
	from, to = seoulDate(from), seoulDate(to)
	if to.Before(from) {
		return Bars{}, fmt.Errorf("kis: daily bars: from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	res := Bars{Code: code}
	seen := map[time.Time]bool{}
	end := to
	for range maxBarPages {
		name, page, err := c.barPage(ctx, code, from, end)
		if err != nil {
			return Bars{}, err
		}
		if res.Name == "" {
			res.Name = name
		}
		oldest := end.AddDate(0, 0, 1)
		for _, b := range page {
			if b.Date.Before(oldest) {
				oldest = b.Date
			}
			if b.Date.Before(from) || b.Date.After(to) || seen[b.Date] {
				continue
			}
			seen[b.Date] = true
			res.Days = append(res.Days, b)
		}
		if len(page) < barsPerCall || !oldest.After(from) {
			break
		}
		next := oldest.AddDate(0, 0, -1)
		if !next.Before(end) {
			break
		}
		end = next
	}
	sort.Slice(res.Days, func(i, j int) bool { return res.Days[i].Date.Before(res.Days[j].Date) })
	return res, nil
}

// barPage is one inquire-daily-itemchartprice call.
func (c *Client) barPage(ctx context.Context, code string, from, to time.Time) (string, []Bar, error) {
	const op = "GET inquire-daily-itemchartprice"
	q := url.Values{
		"FID_COND_MRKT_DIV_CODE": {"J"},
		"FID_INPUT_ISCD":         {code},
		"FID_INPUT_DATE_1":       {from.Format("20060102")},
		"FID_INPUT_DATE_2":       {to.Format("20060102")},
		"FID_PERIOD_DIV_CODE":    {"D"},
		"FID_ORG_ADJ_PRC":        {"0"},
	}
	env, err := c.get(ctx, pathDailyChart, trDailyChart, op, q)
	if err != nil {
		return "", nil, err
	}
	var head struct {
		Name string `json:"hts_kor_isnm"`
	}
	if len(env.Output1) > 0 {
		_ = json.Unmarshal(env.Output1, &head) // only the name is used
	}
	var rows []struct {
		Date   string `json:"stck_bsop_date"`
		Open   string `json:"stck_oprc"`
		High   string `json:"stck_hgpr"`
		Low    string `json:"stck_lwpr"`
		Close  string `json:"stck_clpr"`
		Volume string `json:"acml_vol"`
	}
	if len(env.Output2) > 0 && string(env.Output2) != "null" {
		if err := json.Unmarshal(env.Output2, &rows); err != nil {
			return "", nil, &APIError{Op: op, Status: http.StatusOK, RtCd: env.RtCd, Msg1: "undecodable output2: " + err.Error()}
		}
	}
	bars := make([]Bar, 0, len(rows))
	for _, r := range rows {
		// KIS pads short answers with rows whose fields are all empty.
		if strings.TrimSpace(r.Date) == "" {
			continue
		}
		p := fieldParser{op: op + " " + code + " " + r.Date}
		d, err := time.ParseInLocation("20060102", strings.TrimSpace(r.Date), domain.Seoul)
		if err != nil {
			return "", nil, fmt.Errorf("kis: %s %s: stck_bsop_date %q is not a YYYYMMDD date", op, code, r.Date)
		}
		b := Bar{
			Date:   d,
			Open:   p.dec("stck_oprc", r.Open),
			High:   p.dec("stck_hgpr", r.High),
			Low:    p.dec("stck_lwpr", r.Low),
			Close:  p.dec("stck_clpr", r.Close),
			Volume: p.int("acml_vol", r.Volume),
		}
		if p.err != nil {
			return "", nil, p.err
		}
		bars = append(bars, b)
	}
	return strings.TrimSpace(head.Name), bars, nil
}

// seoulDate is t's calendar date in Seoul, at midnight.
func seoulDate(t time.Time) time.Time {
	s := t.In(domain.Seoul)
	return time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, domain.Seoul)
}

// fieldParser turns KIS's string numbers into values and keeps the first
// failure, so that a whole answer is parsed before one error is reported.
type fieldParser struct {
	op  string
	err error
}

func (p *fieldParser) fail(field, s, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("kis: %s: field %s: %q is not %s", p.op, field, s, want)
	}
}

func (p *fieldParser) dec(field, s string) decimal.Decimal {
	t := strings.TrimPrefix(strings.TrimSpace(s), "+")
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return decimal.NewFromInt(n)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		p.fail(field, s, "a number")
		return decimal.Zero
	}
	return d
}

func (p *fieldParser) int(field, s string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, 64)
	if err != nil {
		p.fail(field, s, "a whole number")
		return 0
	}
	return n
}
