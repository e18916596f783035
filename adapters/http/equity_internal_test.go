package httpapi

import (
	"bytes"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// The equity body assembled from kept JSON is byte for byte what Huma's
// JSON format writes for the same page, with and without a live point,
// from the cache and without it.
func TestEquityBodyIsTheEncodedPage(t *testing.T) {
	d := decimal.RequireFromString
	row := func(date, equity, flow, daily, cum string, live bool) service.EquityRow {
		return service.EquityRow{
			EquityPoint: domain.EquityPoint{Date: date, Cash: d("1000.5"), HoldingsValue: d(equity).Sub(d("1000.5")), Equity: d(equity), NetFlow: d(flow)},
			DailyReturn: d(daily), CumulativeReturn: d(cum), Live: live,
		}
	}
	days := []service.EquityRow{
		row("2026-03-02", "10000000", "10000000", "0", "0", false),
		row("2026-03-03", "11700000", "1000000", "0.06363636", "0.06363636", false),
		row("2026-03-04", "11000000", "-5", "-0.05982906", "0", false),
	}
	want := func(rows []service.EquityRow) []byte {
		t.Helper()
		page := EquityHistory{Data: []EquityPoint{}}
		for _, r := range rows {
			page.Data = append(page.Data, equityPoint(r))
		}
		var b bytes.Buffer
		if err := huma.DefaultJSONFormat.Marshal(&b, page); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	got := func(c *renderedDays, e service.EquitySeries) []byte {
		t.Helper()
		body, err := c.equityBody(e)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := marshalJSON(&b, body); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	c := &renderedDays{m: map[string][]byte{}}
	live := row("2026-03-05", "11000000", "0", "0", "0", true)
	for _, tc := range []struct {
		name string
		e    service.EquitySeries
		rows []service.EquityRow
	}{
		{"days and live", service.EquitySeries{Key: "a", Days: days, Live: &live}, append(days[:3:3], live)},
		{"from the cache", service.EquitySeries{Key: "a", Days: days, Live: &live}, append(days[:3:3], live)},
		{"no live point", service.EquitySeries{Key: "a", Days: days}, days},
		{"only live", service.EquitySeries{Key: "b", Days: []service.EquityRow{}, Live: &live}, []service.EquityRow{live}},
		{"empty", service.EquitySeries{Days: []service.EquityRow{}}, nil},
	} {
		if g, w := got(c, tc.e), want(tc.rows); !bytes.Equal(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, g, w)
		}
	}
	// Another live point under the same key changes only the live point.
	moved := row("2026-03-05", "12000000", "0", "0.09090909", "0.09090909", true)
	if g, w := got(c, service.EquitySeries{Key: "a", Days: days, Live: &moved}), want(append(days[:3:3], moved)); !bytes.Equal(g, w) {
		t.Errorf("a moved live point:\n got %s\nwant %s", g, w)
	}
}
