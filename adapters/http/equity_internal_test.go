package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
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
	// got renders the page as it is, then gzipped and decompressed: both
	// must be the page (the gzip reader checks the trailer's CRC and
	// length).
	got := func(c *renderedDays, e service.EquitySeries) []byte {
		t.Helper()
		var plain []byte
		for _, gz := range []bool{false, true} {
			body, err := c.equityBody(e, gz)
			if err != nil {
				t.Fatal(err)
			}
			if body.gzipped != gz {
				t.Fatalf("equityBody(gzip %v) gzipped = %v", gz, body.gzipped)
			}
			var b bytes.Buffer
			if err := marshalJSON(&b, body); err != nil {
				t.Fatal(err)
			}
			if !gz {
				plain = b.Bytes()
				continue
			}
			r, err := gzip.NewReader(&b)
			if err != nil {
				t.Fatal(err)
			}
			r.Multistream(false)
			unzipped, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("the gzipped page does not decompress: %v", err)
			}
			if b.Len() != 0 {
				t.Errorf("%d bytes after the gzip member", b.Len())
			}
			if !bytes.Equal(unzipped, plain) {
				t.Errorf("gzipped page:\n got %s\nwant %s", unzipped, plain)
			}
		}
		return plain
	}
	c := &renderedDays{m: map[string]*keptDays{}}
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

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                              false,
		"gzip":                          true,
		"GZIP":                          true,
		"gzip, deflate, br, zstd":       true,
		"br;q=1.0, gzip;q=0.8, *;q=0.1": true,
		"x-gzip":                        true,
		"*":                             true,
		"identity":                      false,
		"deflate, br":                   false,
		"gzip;q=0":                      false,
		"gzip;q=0, *":                   false,
		"*;q=0":                         false,
		"*;q=0.5, gzip;q=0.000":         false,
		"gzip;q=nonsense":               false,
		"gzipped":                       false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
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

// A tail longer than a stored block goes as several; the stream still
// decompresses to the head and the tail.
func TestGzipLongTail(t *testing.T) {
	head := bytes.Repeat([]byte(`{"date":"2026-03-02"},`), 1000)
	tail := make([]byte, 3*maxStored+17)
	for i := range tail {
		tail[i] = byte(i * 7)
	}
	var b bytes.Buffer
	for _, p := range compressHead([]byte("["), head).finish(tail) {
		b.Write(p)
	}
	r, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte("["), head...), tail...); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
}
