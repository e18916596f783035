package kis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// TrRealtimeTrade is the real-time KRX trade feed (국내주식 실시간체결가).
const TrRealtimeTrade = "H0STCNT0"

// tradeFields is the number of fields of one H0STCNT0 record.
const tradeFields = 46

// Positions of the fields the Stream uses in an H0STCNT0 record.
const (
	fCode    = 0  // MKSC_SHRN_ISCD
	fTime    = 1  // STCK_CNTG_HOUR, HHMMSS
	fPrice   = 2  // STCK_PRPR
	fAsk     = 10 // ASKP1
	fBid     = 11 // BIDP1
	fVolume  = 12 // CNTG_VOL
	fDate    = 33 // BSOP_DATE, YYYYMMDD
	fAskSize = 36 // ASKP_RSQN1
	fBidSize = 37 // BIDP_RSQN1
)

// Subscription answers' message codes.
const (
	msgSubscribed        = "OPSP0000"
	msgUnsubscribed      = "OPSP0001"
	msgAlreadySubscribed = "OPSP0002"
	msgNotSubscribed     = "OPSP0003"
	msgMaxSubscriptions  = "OPSP0008"
)

// errOtherTR marks a well-formed data frame of a feed the Stream did not ask
// for; it is ignored rather than counted as malformed.
var errOtherTR = errors.New("not an H0STCNT0 frame")

// errEncrypted marks an encrypted data frame. H0STCNT0 is never encrypted;
// only notices such as execution reports are.
var errEncrypted = errors.New("encrypted frame")

// subscription is the text a client sends to subscribe (tr_type "1") or
// unsubscribe (tr_type "2").
type subscription struct {
	Header struct {
		ApprovalKey string `json:"approval_key"`
		CustType    string `json:"custtype"`
		TrType      string `json:"tr_type"`
		ContentType string `json:"content-type"`
	} `json:"header"`
	Body struct {
		Input struct {
			TrID  string `json:"tr_id"`
			TrKey string `json:"tr_key"`
		} `json:"input"`
	} `json:"body"`
}

func subscriptionMessage(approvalKey, code string, subscribe bool) []byte {
	var m subscription
	m.Header.ApprovalKey = approvalKey
	m.Header.CustType = "P"
	m.Header.TrType = "2"
	if subscribe {
		m.Header.TrType = "1"
	}
	m.Header.ContentType = "utf-8"
	m.Body.Input.TrID = TrRealtimeTrade
	m.Body.Input.TrKey = code
	b, _ := json.Marshal(m) // only strings: cannot fail
	return b
}

// control is a JSON message from the server: a PINGPONG or the answer to a
// subscription.
type control struct {
	Header struct {
		TrID    string `json:"tr_id"`
		TrKey   string `json:"tr_key"`
		Encrypt string `json:"encrypt"`
	} `json:"header"`
	Body *struct {
		RtCd  string `json:"rt_cd"`
		MsgCd string `json:"msg_cd"`
		Msg1  string `json:"msg1"`
	} `json:"body"`
}

// parseTradeFrame appends the trades of one data frame
// ("0|H0STCNT0|003|rec^rec^rec") to dst. A frame whose shape is wrong adds
// nothing and returns the reason. A record that does not parse is left out
// and counted in bad; err then describes the first such record.
func (p *frameParser) parseTradeFrame(frame []byte, dst []domain.Trade) (out []domain.Trade, bad int, err error) {
	flag, rest, ok := bytes.Cut(frame, []byte{'|'})
	if !ok {
		return dst, 0, errors.New("no '|' separators")
	}
	trID, rest, ok := bytes.Cut(rest, []byte{'|'})
	if !ok {
		return dst, 0, errors.New("missing tr_id or record count")
	}
	countField, body, ok := bytes.Cut(rest, []byte{'|'})
	if !ok {
		return dst, 0, errors.New("missing record count or records")
	}
	switch string(flag) {
	case "0":
	case "1":
		return dst, 0, errEncrypted
	default:
		return dst, 0, fmt.Errorf("encryption flag %q is neither 0 nor 1", flag)
	}
	if string(trID) != TrRealtimeTrade {
		return dst, 0, errOtherTR
	}
	count, ok := atoi(countField)
	if !ok || count <= 0 || count > 10_000 {
		return dst, 0, fmt.Errorf("record count %q is not a positive number", countField)
	}
	want := int(count) * tradeFields
	got := bytes.Count(body, []byte{'^'}) + 1
	if got == want+1 && bytes.HasSuffix(body, []byte{'^'}) {
		body = body[:len(body)-1]
		got--
	}
	if got != want {
		return dst, 0, fmt.Errorf("%d records need %d fields, frame has %d", count, want, got)
	}
	var fields [tradeFields][]byte
	for range count {
		for i := range tradeFields {
			j := bytes.IndexByte(body, '^')
			if j < 0 {
				fields[i], body = body, nil
			} else {
				fields[i], body = body[:j], body[j+1:]
			}
		}
		t, rerr := p.trade(&fields)
		if rerr != nil {
			if bad == 0 {
				err = rerr
			}
			bad++
			continue
		}
		dst = append(dst, t)
	}
	return dst, bad, err
}

// frameParser turns records into trades. It belongs to one reader goroutine.
type frameParser struct {
	// codes interns listing codes, so that a record's code costs no
	// allocation once its listing has been seen.
	codes map[string]string
}

func (p *frameParser) code(b []byte) (string, bool) {
	if len(b) != 6 {
		return "", false
	}
	for _, ch := range b {
		if (ch < '0' || ch > '9') && (ch < 'A' || ch > 'Z') {
			return "", false
		}
	}
	if s, ok := p.codes[string(b)]; ok {
		return s, true
	}
	if p.codes == nil || len(p.codes) > 10_000 {
		p.codes = map[string]string{}
	}
	s := string(b)
	p.codes[s] = s
	return s, true
}

func (p *frameParser) trade(f *[tradeFields][]byte) (domain.Trade, error) {
	code, ok := p.code(f[fCode])
	if !ok {
		return domain.Trade{}, fmt.Errorf("code %q is not a six-character KRX code", f[fCode])
	}
	at, ok := tradeTime(f[fDate], f[fTime])
	if !ok {
		return domain.Trade{}, fmt.Errorf("%s: date %q time %q is not YYYYMMDD HHMMSS", code, f[fDate], f[fTime])
	}
	px, ok := parsePrice(f[fPrice])
	if !ok || !px.IsPositive() {
		return domain.Trade{}, fmt.Errorf("%s: price %q is not a positive number", code, f[fPrice])
	}
	t := domain.Trade{Code: code, At: at, Price: px}
	var okAsk, okBid, okVol, okAS, okBS bool
	t.Ask, okAsk = parsePrice(f[fAsk])
	t.Bid, okBid = parsePrice(f[fBid])
	t.Volume, okVol = atoi(f[fVolume])
	t.AskSize, okAS = atoi(f[fAskSize])
	t.BidSize, okBS = atoi(f[fBidSize])
	if !okAsk || !okBid || !okVol || !okAS || !okBS ||
		t.Ask.IsNegative() || t.Bid.IsNegative() || t.Volume < 0 || t.AskSize < 0 || t.BidSize < 0 {
		return domain.Trade{}, fmt.Errorf("%s: ask %q bid %q volume %q ask size %q bid size %q are not all non-negative numbers",
			code, f[fAsk], f[fBid], f[fVolume], f[fAskSize], f[fBidSize])
	}
	return t, nil
}

// tradeTime combines a YYYYMMDD business date and an HHMMSS time in Seoul.
func tradeTime(date, hms []byte) (time.Time, bool) {
	if len(date) != 8 || len(hms) != 6 {
		return time.Time{}, false
	}
	y, ok1 := atoi(date[:4])
	mo, ok2 := atoi(date[4:6])
	d, ok3 := atoi(date[6:])
	h, ok4 := atoi(hms[:2])
	mi, ok5 := atoi(hms[2:4])
	s, ok6 := atoi(hms[4:])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	return time.Date(int(y), time.Month(mo), int(d), int(h), int(mi), int(s), 0, domain.Seoul), true
}

// parsePrice parses a price. KRX prices are whole won, which the integer path
// handles without the cost of decimal's string parser.
func parsePrice(b []byte) (decimal.Decimal, bool) {
	if n, ok := atoi(b); ok {
		return decimal.NewFromInt(n), true
	}
	if len(b) == 0 {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(string(bytes.TrimPrefix(b, []byte{'+'})))
	return d, err == nil
}

// atoi parses an optionally signed decimal integer of at most 18 digits.
func atoi(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
