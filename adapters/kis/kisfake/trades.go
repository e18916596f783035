package kisfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// maxRecordsPerFrame bounds how many records share one frame; the record
// count field has three digits.
const maxRecordsPerFrame = 100

// Trade is one print to publish. Bid and Ask are the best quotes after it;
// when both are zero the fake quotes the trade price as the ask and one tick
// below as the bid, so that every frame carries quotes as KIS's do.
type Trade struct {
	Code    string
	Price   decimal.Decimal
	Volume  int64
	Bid     decimal.Decimal
	Ask     decimal.Decimal
	BidSize int64
	AskSize int64
	// At is the trade time; zero means now.
	At time.Time
}

// Publish records trades in order and sends them to every session
// subscribed to their codes. Trades of one code share frames. An invalid
// trade fails the whole call before anything is recorded.
func (s *Server) Publish(trades []Trade) error {
	for i, t := range trades {
		if err := validTrade(t); err != nil {
			return fmt.Errorf("kisfake: trade %d: %w", i, err)
		}
	}
	if len(trades) == 0 {
		return nil
	}
	// Publishers take turns, so that frames reach every session in the
	// order the trades were recorded.
	s.pubMu.Lock()
	defer s.pubMu.Unlock()

	type run struct {
		code    string
		records []string
	}
	var runs []*run
	byCode := map[string]*run{}
	s.mu.Lock()
	now := s.now()
	for _, t := range trades {
		rec := s.recordLocked(t, now)
		r := byCode[t.Code]
		if r == nil {
			r = &run{code: t.Code}
			byCode[t.Code] = r
			runs = append(runs, r)
		}
		r.records = append(r.records, rec)
	}
	s.trades += len(trades)
	type delivery struct {
		ss     *wsSession
		frames [][]byte
	}
	var out []delivery
	for _, ss := range s.sessionList() {
		d := delivery{ss: ss}
		for _, r := range runs {
			if !ss.subs[trRealtimeTrade+"|"+r.code] {
				continue
			}
			for i := 0; i < len(r.records); i += maxRecordsPerFrame {
				part := r.records[i:min(i+maxRecordsPerFrame, len(r.records))]
				d.frames = append(d.frames, []byte(fmt.Sprintf("0|%s|%03d|%s", trRealtimeTrade, len(part), strings.Join(part, "^"))))
			}
		}
		if len(d.frames) > 0 {
			out = append(out, d)
		}
	}
	s.notify()
	s.mu.Unlock()
	for _, d := range out {
		for _, f := range d.frames {
			d.ss.send(f)
		}
	}
	return nil
}

func validTrade(t Trade) error {
	switch {
	case !domain.ValidStockCode(t.Code):
		return fmt.Errorf("code %q is not six characters, digits and capitals", t.Code)
	case !t.Price.IsPositive():
		return fmt.Errorf("%s: price %s is not positive", t.Code, t.Price)
	case t.Volume < 0 || t.BidSize < 0 || t.AskSize < 0:
		return fmt.Errorf("%s: volume and sizes must not be negative", t.Code)
	case t.Bid.IsNegative() || t.Ask.IsNegative():
		return fmt.Errorf("%s: bid and ask must not be negative", t.Code)
	}
	return nil
}

// recordLocked applies a trade to its listing and renders it as the 46
// fields of an H0STCNT0 record. s.mu must be held.
func (s *Server) recordLocked(t Trade, now time.Time) string {
	at := t.At
	if at.IsZero() {
		at = now
	}
	at = at.In(domain.Seoul)
	day, hms := at.Format("20060102"), at.Format("150405")
	st := s.listingLocked(t.Code, t.Price)
	if st.day != day {
		st.day = day
		st.open, st.high, st.low = t.Price, t.Price, t.Price
		st.openAt, st.highAt, st.lowAt = hms, hms, hms
		st.volume, st.value = 0, decimal.Zero
		st.buyTrades, st.sellTrades, st.buyVolume, st.sellVolume = 0, 0, 0, 0
	}
	if t.Price.GreaterThan(st.high) {
		st.high, st.highAt = t.Price, hms
	}
	if t.Price.LessThan(st.low) {
		st.low, st.lowAt = t.Price, hms
	}
	st.last = t.Price
	st.volume += t.Volume
	st.value = st.value.Add(t.Price.Mul(decimal.NewFromInt(t.Volume)))

	bid, ask := t.Bid, t.Ask
	switch {
	case bid.IsZero() && ask.IsZero():
		ask, bid = t.Price, domain.NextTickDown(t.Price)
	case bid.IsZero():
		bid = domain.NextTickDown(ask)
	case ask.IsZero():
		ask = domain.NextTickUp(bid)
	}
	// A print at or above the ask was a buyer lifting the offer.
	side := "5"
	if !t.Price.LessThan(ask) {
		side = "1"
		st.buyTrades++
		st.buyVolume += t.Volume
	} else {
		st.sellTrades++
		st.sellVolume += t.Volume
	}

	band := domain.PriceBand(st.base)
	change := t.Price.Sub(st.base)
	avg := t.Price
	if st.volume > 0 {
		avg = st.value.Div(decimal.NewFromInt(st.volume)).Round(2)
	}
	strength := "0.00"
	if st.sellVolume > 0 {
		strength = decimal.NewFromInt(st.buyVolume * 100).Div(decimal.NewFromInt(st.sellVolume)).StringFixed(2)
	}
	buyRate := "0.00"
	if st.volume > 0 {
		buyRate = decimal.NewFromInt(st.buyVolume * 100).Div(decimal.NewFromInt(st.volume)).StringFixed(2)
	}
	vs := func(p decimal.Decimal) (string, string) {
		d := t.Price.Sub(p)
		return signOf(d, decimal.Zero, decimal.Zero, decimal.Zero), d.String()
	}
	openSign, openDiff := vs(st.open)
	highSign, highDiff := vs(st.high)
	lowSign, lowDiff := vs(st.low)

	f := [46]string{
		t.Code,       // 0 MKSC_SHRN_ISCD
		hms,          // 1 STCK_CNTG_HOUR
		num(t.Price), // 2 STCK_PRPR
		signOf(change, t.Price, band.Upper, band.Lower), // 3 PRDY_VRSS_SIGN
		num(change),                        // 4 PRDY_VRSS
		rate(change, st.base),              // 5 PRDY_CTRT
		num(avg),                           // 6 WGHN_AVRG_STCK_PRC
		num(st.open),                       // 7 STCK_OPRC
		num(st.high),                       // 8 STCK_HGPR
		num(st.low),                        // 9 STCK_LWPR
		num(ask),                           // 10 ASKP1
		num(bid),                           // 11 BIDP1
		itoa(t.Volume),                     // 12 CNTG_VOL
		itoa(st.volume),                    // 13 ACML_VOL
		num(st.value),                      // 14 ACML_TR_PBMN
		itoa(st.sellTrades),                // 15 SELN_CNTG_CSNU
		itoa(st.buyTrades),                 // 16 SHNU_CNTG_CSNU
		itoa(st.buyTrades - st.sellTrades), // 17 NTBY_CNTG_CSNU
		strength,                           // 18 CTTR
		itoa(st.sellVolume),                // 19 SELN_CNTG_SMTN
		itoa(st.buyVolume),                 // 20 SHNU_CNTG_SMTN
		side,                               // 21 CCLD_DVSN
		buyRate,                            // 22 SHNU_RATE
		"0.00",                             // 23 PRDY_VOL_VRSS_ACML_VOL_RATE
		st.openAt,                          // 24 OPRC_HOUR
		openSign,                           // 25 OPRC_VRSS_PRPR_SIGN
		openDiff,                           // 26 OPRC_VRSS_PRPR
		st.highAt,                          // 27 HGPR_HOUR
		highSign,                           // 28 HGPR_VRSS_PRPR_SIGN
		highDiff,                           // 29 HGPR_VRSS_PRPR
		st.lowAt,                           // 30 LWPR_HOUR
		lowSign,                            // 31 LWPR_VRSS_PRPR_SIGN
		lowDiff,                            // 32 LWPR_VRSS_PRPR
		day,                                // 33 BSOP_DATE
		"20",                               // 34 NEW_MKOP_CLS_CODE: regular session
		"N",                                // 35 TRHT_YN
		itoa(t.AskSize),                    // 36 ASKP_RSQN1
		itoa(t.BidSize),                    // 37 BIDP_RSQN1
		itoa(t.AskSize),                    // 38 TOTAL_ASKP_RSQN
		itoa(t.BidSize),                    // 39 TOTAL_BIDP_RSQN
		"0.00",                             // 40 VOL_TNRT
		"0",                                // 41 PRDY_SMNS_HOUR_ACML_VOL
		"0.00",                             // 42 PRDY_SMNS_HOUR_ACML_VOL_RATE
		"0",                                // 43 HOUR_CLS_CODE
		"",                                 // 44 MRKT_TRTM_CLS_CODE
		num(st.base),                       // 45 VI_STND_PRC
	}
	return strings.Join(f[:], "^")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
