package kis

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// record builds the 46 fields of an H0STCNT0 record with the fields the
// parser reads set and the others filled as KIS fills them.
func record(code, hms, price, ask, bid, vol, date, askSize, bidSize string) string {
	f := make([]string, tradeFields)
	for i := range f {
		f[i] = "0"
	}
	f[3], f[5], f[34], f[35] = "2", "0.72", "20", "N"
	f[fCode], f[fTime], f[fPrice], f[fAsk], f[fBid] = code, hms, price, ask, bid
	f[fVolume], f[fDate], f[fAskSize], f[fBidSize] = vol, date, askSize, bidSize
	return strings.Join(f, "^")
}

func TestParseTradeFrame(t *testing.T) {
	frame := "0|H0STCNT0|002|" +
		record("005930", "093001", "70100", "70100", "70000", "12", "20260303", "4521", "9870") + "^" +
		record("005930", "093002", "70000", "70100", "70000", "3", "20260303", "4400", "9000")
	var p frameParser
	got, bad, err := p.parseTradeFrame([]byte(frame), nil)
	if err != nil || bad != 0 {
		t.Fatalf("err = %v, bad = %d", err, bad)
	}
	if len(got) != 2 {
		t.Fatalf("got %d trades, want 2", len(got))
	}
	tr := got[0]
	wantAt := time.Date(2026, 3, 3, 9, 30, 1, 0, domain.Seoul)
	if tr.Code != "005930" || !tr.At.Equal(wantAt) || tr.Price.String() != "70100" || tr.Ask.String() != "70100" ||
		tr.Bid.String() != "70000" || tr.Volume != 12 || tr.AskSize != 4521 || tr.BidSize != 9870 {
		t.Errorf("trade = %+v", tr)
	}
	if got[1].Volume != 3 || !got[1].At.Equal(wantAt.Add(time.Second)) {
		t.Errorf("second trade = %+v", got[1])
	}
	// A trailing separator is tolerated.
	if got, _, err := p.parseTradeFrame([]byte(frame+"^"), nil); err != nil || len(got) != 2 {
		t.Errorf("trailing '^': %d trades, err %v", len(got), err)
	}
}

func TestParseTradeFrameRefusesMalformed(t *testing.T) {
	rec := record("005930", "093001", "70100", "70100", "70000", "12", "20260303", "1", "1")
	for name, frame := range map[string]string{
		"count above records":  "0|H0STCNT0|002|" + rec,
		"count below records":  "0|H0STCNT0|001|" + rec + "^" + rec,
		"count not a number":   "0|H0STCNT0|abc|" + rec,
		"count zero":           "0|H0STCNT0|000|",
		"missing separators":   "0|H0STCNT0",
		"unknown flag":         "2|H0STCNT0|001|" + rec,
		"field missing":        "0|H0STCNT0|001|" + strings.TrimSuffix(rec, "^0"),
		"no pipe at all":       "0H0STCNT0001",
		"only bad record":      "0|H0STCNT0|001|" + record("005930", "093001", "-5", "0", "0", "1", "20260303", "0", "0"),
		"bad date":             "0|H0STCNT0|001|" + record("005930", "093001", "100", "0", "0", "1", "2026033", "0", "0"),
		"hour out of range":    "0|H0STCNT0|001|" + record("005930", "253001", "100", "0", "0", "1", "20260303", "0", "0"),
		"lower-case code":      "0|H0STCNT0|001|" + record("00593a", "093001", "100", "0", "0", "1", "20260303", "0", "0"),
		"negative volume":      "0|H0STCNT0|001|" + record("005930", "093001", "100", "0", "0", "-1", "20260303", "0", "0"),
		"fractional volume":    "0|H0STCNT0|001|" + record("005930", "093001", "100", "0", "0", "1.5", "20260303", "0", "0"),
		"non-numeric ask size": "0|H0STCNT0|001|" + record("005930", "093001", "100", "0", "0", "1", "20260303", "x", "0"),
	} {
		var p frameParser
		got, _, err := p.parseTradeFrame([]byte(frame), nil)
		if err == nil || len(got) != 0 {
			t.Errorf("%s: %d trades, err %v; want it refused", name, len(got), err)
		}
	}
}

func TestParseTradeFrameKeepsGoodRecords(t *testing.T) {
	good := record("005930", "093001", "70100", "70100", "70000", "12", "20260303", "1", "1")
	bad := record("005930", "093001", "7O100", "70100", "70000", "12", "20260303", "1", "1")
	var p frameParser
	got, nbad, err := p.parseTradeFrame([]byte("0|H0STCNT0|003|"+good+"^"+bad+"^"+good), nil)
	if len(got) != 2 || nbad != 1 || err == nil || !strings.Contains(err.Error(), "7O100") {
		t.Errorf("trades %d, bad %d, err %v; want 2 kept and the bad one named", len(got), nbad, err)
	}
}

func TestParseTradeFrameSortsOutOtherFeeds(t *testing.T) {
	var p frameParser
	if _, _, err := p.parseTradeFrame([]byte("0|H0STASP0|001|005930^093001"), nil); !errors.Is(err, errOtherTR) {
		t.Errorf("order-book frame: err = %v, want errOtherTR", err)
	}
	if _, _, err := p.parseTradeFrame([]byte("1|H0STCNI0|001|c2VjcmV0"), nil); !errors.Is(err, errEncrypted) {
		t.Errorf("encrypted frame: err = %v, want errEncrypted", err)
	}
}

func TestSubscriptionMessageShape(t *testing.T) {
	var m map[string]map[string]any
	if err := json.Unmarshal(subscriptionMessage("KEY", "005930", true), &m); err != nil {
		t.Fatal(err)
	}
	h := m["header"]
	if h["approval_key"] != "KEY" || h["custtype"] != "P" || h["tr_type"] != "1" || h["content-type"] != "utf-8" {
		t.Errorf("header = %v", h)
	}
	in := m["body"]["input"].(map[string]any)
	if in["tr_id"] != "H0STCNT0" || in["tr_key"] != "005930" {
		t.Errorf("input = %v", in)
	}
	if err := json.Unmarshal(subscriptionMessage("KEY", "005930", false), &m); err != nil || m["header"]["tr_type"] != "2" {
		t.Errorf("unsubscribe tr_type = %v (%v), want 2", m["header"]["tr_type"], err)
	}
}

// BenchmarkParseTradeFrame measures parsing alone: one frame of ten records.
func BenchmarkParseTradeFrame(b *testing.B) {
	recs := make([]string, 10)
	for i := range recs {
		recs[i] = record("005930", "093001", "70100", "70100", "70000", "12", "20260303", "4521", "9870")
	}
	frame := []byte("0|H0STCNT0|010|" + strings.Join(recs, "^"))
	var p frameParser
	var dst []domain.Trade
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var err error
		dst, _, err = p.parseTradeFrame(frame, dst[:0])
		if err != nil || len(dst) != 10 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "trades/s")
}
