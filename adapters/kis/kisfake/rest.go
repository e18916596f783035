package kisfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

const (
	pathInquirePrice = "/uapi/domestic-stock/v1/quotations/inquire-price"
	pathDailyChart   = "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice"
	trInquirePrice   = "FHKST01010100"
	trDailyChart     = "FHKST03010100"
	maxBarsPerAnswer = 100
	maxRequestBytes  = 1 << 20
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /oauth2/tokenP", s.handleToken)
	m.HandleFunc("POST /oauth2/Approval", s.handleApproval)
	m.HandleFunc("GET "+pathInquirePrice, s.handleInquirePrice)
	m.HandleFunc("GET "+pathDailyChart, s.handleDailyChart)
	s.controlRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"rt_cd": "1", "msg_cd": "OPSQ0002", "msg1": "없는 서비스 코드 입니다 (the fake does not serve " + r.Method + " " + r.URL.Path + ")",
		})
	})
	s.mux = m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authError is the shape of /oauth2 failures.
func authError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error_code": code, "error_description": desc})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// credentials checks an app key and secret against Options.
func (s *Server) credentials(w http.ResponseWriter, appKey, secret string) bool {
	if appKey == "" || (s.opts.AppKey != "" && appKey != s.opts.AppKey) {
		authError(w, http.StatusForbidden, "EGW00103", "유효하지 않은 AppKey입니다.")
		return false
	}
	if secret == "" || (s.opts.AppSecret != "" && secret != s.opts.AppSecret) {
		authError(w, http.StatusForbidden, "EGW00105", "유효하지 않은 AppSecret입니다.")
		return false
	}
	return true
}

func decodeAuthBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		authError(w, http.StatusBadRequest, "EGW00001", "잘못된 요청입니다: "+err.Error())
		return false
	}
	return true
}

// grant reads an /oauth2 request and checks its grant type and
// credentials. The secret's field is appsecret for tokens but secretkey for
// approval keys.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, secretField string) bool {
	var req map[string]string
	if !decodeAuthBody(w, r, &req) {
		return false
	}
	if req["grant_type"] != "client_credentials" {
		authError(w, http.StatusForbidden, "EGW00002", "grant_type must be client_credentials")
		return false
	}
	return s.credentials(w, req["appkey"], req[secretField])
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.grant(w, r, "appsecret") {
		return
	}
	s.mu.Lock()
	now := s.now()
	if s.opts.TokenIssueInterval > 0 && !s.lastIssue.IsZero() && now.Sub(s.lastIssue) < s.opts.TokenIssueInterval {
		s.tokenRefusals++
		s.notify()
		s.mu.Unlock()
		authError(w, http.StatusForbidden, "EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)")
		return
	}
	tok := "fake-" + randomHex(24)
	exp := now.Add(s.opts.TokenTTL)
	s.tokens[tok] = exp
	s.lastIssue = now
	s.tokenIssues++
	s.notify()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":               tok,
		"access_token_token_expired": exp.In(domain.Seoul).Format("2006-01-02 15:04:05"),
		"token_type":                 "Bearer",
		"expires_in":                 int64(s.opts.TokenTTL / time.Second),
	})
}

func (s *Server) handleApproval(w http.ResponseWriter, r *http.Request) {
	if !s.grant(w, r, "secretkey") {
		return
	}
	key := randomHex(18)
	s.mu.Lock()
	s.approvals[key] = true
	s.approvalIssues++
	s.notify()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"approval_key": key})
}

// answer is the envelope of quotation answers.
type answer struct {
	RtCd    string `json:"rt_cd"`
	MsgCd   string `json:"msg_cd"`
	Msg1    string `json:"msg1"`
	Output  any    `json:"output,omitempty"`
	Output1 any    `json:"output1,omitempty"`
	Output2 any    `json:"output2,omitempty"`
}

func okAnswer() answer {
	return answer{RtCd: "0", MsgCd: "MCA00000", Msg1: "정상처리 되었습니다."}
}

// gate checks a quotation call's headers and the rate limit, counts it, and
// answers the failure itself. KIS answers these failures with HTTP 500.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, trID string) bool {
	fail := func(code, msg string) bool {
		writeJSON(w, http.StatusInternalServerError, answer{RtCd: "1", MsgCd: code, Msg1: msg})
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got := r.Header.Get("tr_id")
	s.restCalls[got]++
	s.notify()
	now := s.now()
	if s.rateLimited || s.rateLimitNext > 0 || s.overPerSecondLocked(now) {
		if s.rateLimitNext > 0 {
			s.rateLimitNext--
		}
		return fail("EGW00201", "초당 거래건수를 초과하였습니다.")
	}
	auth := r.Header.Get("authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return fail("EGW00205", "credentials_type이 유효하지 않습니다.(Bearer)")
	}
	exp, known := s.tokens[tok]
	switch {
	case !known:
		return fail("EGW00121", "유효하지 않은 token 입니다.")
	case !now.Before(exp):
		return fail("EGW00123", "기간이 만료된 token 입니다.")
	}
	if k := r.Header.Get("appkey"); k == "" || (s.opts.AppKey != "" && k != s.opts.AppKey) {
		return fail("EGW00103", "유효하지 않은 AppKey입니다.")
	}
	if k := r.Header.Get("appsecret"); k == "" || (s.opts.AppSecret != "" && k != s.opts.AppSecret) {
		return fail("EGW00105", "유효하지 않은 AppSecret입니다.")
	}
	if got != trID {
		return fail("OPSQ0002", "없는 서비스 코드 입니다 (tr_id "+got+", this path takes "+trID+")")
	}
	if c := r.Header.Get("custtype"); c != "P" && c != "B" {
		return fail("OPSQ0001", "custtype must be P or B")
	}
	return true
}

// overPerSecondLocked records a call and reports whether it exceeds the
// per-second limit.
func (s *Server) overPerSecondLocked(now time.Time) bool {
	if s.callsPerSecond <= 0 {
		return false
	}
	cut := now.Add(-time.Second)
	i := 0
	for i < len(s.recentCalls) && !s.recentCalls[i].After(cut) {
		i++
	}
	s.recentCalls = append(s.recentCalls[i:], now)
	return len(s.recentCalls) > s.callsPerSecond
}

// lookup finds the listing a quotation call names, or answers that it
// cannot.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (string, bool) {
	q := r.URL.Query()
	if m := q.Get("FID_COND_MRKT_DIV_CODE"); m != "J" {
		writeJSON(w, http.StatusOK, answer{RtCd: "1", MsgCd: "OPSQ2001", Msg1: "FID_COND_MRKT_DIV_CODE must be J (KRX), got " + m})
		return "", false
	}
	code := q.Get("FID_INPUT_ISCD")
	s.mu.Lock()
	_, ok := s.listings[code]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, answer{RtCd: "7", MsgCd: "KIOK0560", Msg1: "조회할 자료가 없습니다."})
		return "", false
	}
	return code, true
}

func num(d decimal.Decimal) string { return d.String() }

func signOf(change decimal.Decimal, last, upper, lower decimal.Decimal) string {
	switch {
	case change.IsPositive() && last.Equal(upper):
		return "1"
	case change.IsPositive():
		return "2"
	case change.IsNegative() && last.Equal(lower):
		return "4"
	case change.IsNegative():
		return "5"
	}
	return "3"
}

func rate(change, base decimal.Decimal) string {
	if base.IsZero() {
		return "0.00"
	}
	return change.Mul(decimal.NewFromInt(100)).Div(base).StringFixed(2)
}

// snapshot is a listing's figures for today: the base price alone before
// its first trade.
type snapshot struct {
	last, base, upper, lower, open, high, low, change, value decimal.Decimal
	volume                                                   int64
	sign, rate                                               string
}

func (st *listing) snapshot(today string) snapshot {
	band := domain.PriceBand(st.base)
	sn := snapshot{base: st.base, upper: band.Upper, lower: band.Lower, last: st.base,
		open: decimal.Zero, high: decimal.Zero, low: decimal.Zero, value: decimal.Zero}
	if st.day == today && st.last.IsPositive() {
		sn.last, sn.open, sn.high, sn.low = st.last, st.open, st.high, st.low
		sn.volume, sn.value = st.volume, st.value
	}
	sn.change = sn.last.Sub(st.base)
	sn.sign = signOf(sn.change, sn.last, sn.upper, sn.lower)
	sn.rate = rate(sn.change, st.base)
	return sn
}

func (s *Server) handleInquirePrice(w http.ResponseWriter, r *http.Request) {
	if !s.gate(w, r, trInquirePrice) {
		return
	}
	code, ok := s.lookup(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	st := s.listings[code]
	sn := st.snapshot(s.now().In(domain.Seoul).Format("20060102"))
	s.mu.Unlock()
	a := okAnswer()
	// inquire-price does not carry the listing's name (hts_kor_isnm); the
	// daily chart does.
	a.Output = map[string]string{
		"iscd_stat_cls_code": "55",
		"marg_rate":          "20.00",
		"rprs_mrkt_kor_name": "KOSPI",
		"temp_stop_yn":       "N",
		"stck_shrn_iscd":     code,
		"stck_prpr":          num(sn.last),
		"prdy_vrss":          num(sn.change),
		"prdy_vrss_sign":     sn.sign,
		"prdy_ctrt":          sn.rate,
		"acml_tr_pbmn":       num(sn.value),
		"acml_vol":           itoa(sn.volume),
		"stck_oprc":          num(sn.open),
		"stck_hgpr":          num(sn.high),
		"stck_lwpr":          num(sn.low),
		"stck_mxpr":          num(sn.upper),
		"stck_llam":          num(sn.lower),
		"stck_sdpr":          num(sn.base),
		"aspr_unit":          num(domain.TickSize(sn.last)),
		"stck_fcam":          "100",
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleDailyChart(w http.ResponseWriter, r *http.Request) {
	if !s.gate(w, r, trDailyChart) {
		return
	}
	code, ok := s.lookup(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	from, err1 := time.ParseInLocation("20060102", q.Get("FID_INPUT_DATE_1"), domain.Seoul)
	to, err2 := time.ParseInLocation("20060102", q.Get("FID_INPUT_DATE_2"), domain.Seoul)
	if err1 != nil || err2 != nil {
		writeJSON(w, http.StatusOK, answer{RtCd: "1", MsgCd: "OPSQ2002", Msg1: "FID_INPUT_DATE_1 and FID_INPUT_DATE_2 must be YYYYMMDD"})
		return
	}
	if p := q.Get("FID_PERIOD_DIV_CODE"); p != "D" {
		writeJSON(w, http.StatusOK, answer{RtCd: "1", MsgCd: "OPSQ2003", Msg1: "the fake serves daily bars only (FID_PERIOD_DIV_CODE=D), got " + p})
		return
	}
	if a := q.Get("FID_ORG_ADJ_PRC"); a != "0" && a != "1" {
		writeJSON(w, http.StatusOK, answer{RtCd: "1", MsgCd: "OPSQ2004", Msg1: "FID_ORG_ADJ_PRC must be 0 or 1"})
		return
	}
	s.mu.Lock()
	st := s.listings[code]
	today := s.now().In(domain.Seoul).Format("20060102")
	sn := st.snapshot(today)
	days := make(map[string]Bar, len(st.bars)+1)
	for d, b := range st.bars {
		days[d] = b
	}
	if st.day == today && st.volume > 0 {
		d, _ := time.ParseInLocation("20060102", today, domain.Seoul)
		days[today] = Bar{Date: d, Open: st.open, High: st.high, Low: st.low, Close: st.last, Volume: st.volume}
	}
	name := st.name
	s.mu.Unlock()

	keys := make([]string, 0, len(days))
	lo, hi := from.Format("20060102"), to.Format("20060102")
	for d := range days {
		if d >= lo && d <= hi {
			keys = append(keys, d)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	if len(keys) > maxBarsPerAnswer {
		keys = keys[:maxBarsPerAnswer]
	}
	rows := make([]map[string]string, 0, len(keys))
	for i, d := range keys {
		b := days[d]
		change := decimal.Zero
		if i+1 < len(keys) {
			change = b.Close.Sub(days[keys[i+1]].Close)
		}
		rows = append(rows, map[string]string{
			"stck_bsop_date": d,
			"stck_clpr":      num(b.Close),
			"stck_oprc":      num(b.Open),
			"stck_hgpr":      num(b.High),
			"stck_lwpr":      num(b.Low),
			"acml_vol":       itoa(b.Volume),
			"acml_tr_pbmn":   num(b.Close.Mul(decimal.NewFromInt(b.Volume))),
			"flng_cls_code":  "00",
			"prtt_rate":      "0.00",
			"mod_yn":         "N",
			"prdy_vrss_sign": signOf(change, b.Close, decimal.Zero, decimal.Zero),
			"prdy_vrss":      num(change),
			"revl_issu_reas": "",
		})
	}
	a := okAnswer()
	a.Output1 = map[string]string{
		"prdy_vrss":      num(sn.change),
		"prdy_vrss_sign": sn.sign,
		"prdy_ctrt":      sn.rate,
		"stck_prdy_clpr": num(sn.base),
		"acml_vol":       itoa(sn.volume),
		"acml_tr_pbmn":   num(sn.value),
		"hts_kor_isnm":   name,
		"stck_prpr":      num(sn.last),
		"stck_shrn_iscd": code,
		"stck_mxpr":      num(sn.upper),
		"stck_llam":      num(sn.lower),
		"stck_oprc":      num(sn.open),
		"stck_hgpr":      num(sn.high),
		"stck_lwpr":      num(sn.low),
		"stck_prdy_oprc": "0",
		"stck_prdy_hgpr": "0",
		"stck_prdy_lwpr": "0",
		"askp":           "0",
		"bidp":           "0",
		"prdy_vrss_vol":  "0",
		"vol_tnrt":       "0.00",
		"stck_fcam":      "100",
		"lstn_stcn":      "0",
		"cpfn":           "0",
		"hts_avls":       "0",
		"per":            "0.00",
		"eps":            "0.00",
		"pbr":            "0.00",
	}
	a.Output2 = rows
	writeJSON(w, http.StatusOK, a)
}
