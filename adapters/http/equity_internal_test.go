package httpapi

import (
	"bytes"
	"fmt"
	"testing"
	"time"

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

// A kept board is byte for byte what Huma's JSON format writes for it, and
// a board restamped by a refresh, read with more lines or frozen is
// rendered anew.
func TestBoardBodyIsTheEncodedBoard(t *testing.T) {
	d := decimal.RequireFromString
	at := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	board := func(asOf time.Time, lines ...string) domain.Leaderboard {
		lb := domain.Leaderboard{ContestID: "", Period: "1w", AsOf: asOf, Entries: []domain.Ranking{}}
		for i, rate := range lines {
			lb.Entries = append(lb.Entries, domain.Ranking{Rank: i + 1, Nickname: fmt.Sprintf("trader%d", i), ReturnRate: d(rate), Equity: d("10500000.5"), Trades: int64(i + 1)})
		}
		return lb
	}
	encode := func(v any) string {
		t.Helper()
		var b bytes.Buffer
		if err := marshalJSON(&b, v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	c := &renderedBoards{m: map[boardRender][]byte{}}
	for _, tc := range []struct {
		name  string
		lb    domain.Leaderboard
		final bool
	}{
		{"first read", board(at, "12.3456", "-1.5"), false},
		{"kept", board(at, "12.3456", "-1.5"), false},
		{"one line more", board(at, "12.3456", "-1.5", "-2"), false},
		{"refreshed", board(at.Add(time.Minute), "7", "-1.5"), false},
		{"frozen", board(at.Add(time.Minute), "7", "-1.5"), true},
		{"never computed", domain.Leaderboard{Period: "1w", Entries: []domain.Ranking{}}, false},
	} {
		body, err := c.body(tc.lb, tc.final)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := encode(body), encode(boardDTO(tc.lb, tc.final)); got != want {
			t.Errorf("%s: body\n%s\nwant\n%s", tc.name, got, want)
		}
	}
	if len(c.m) != 4 {
		t.Errorf("kept %d renderings, want 4 (one per board's lines, none for a board never computed)", len(c.m))
	}
}
