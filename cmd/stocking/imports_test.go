package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

func writeCSV(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImports(t *testing.T) {
	m, getenv := startMain(t, nil)
	ctx := context.Background()
	db := func(args ...string) error { return runDB(ctx, getenv, args, io.Discard) }

	listings := writeCSV(t, "listings.csv", "code,name,name_en,market,prev_close\n035421,테스트상장,Test Listing,KOSDAQ,12000\n005930,삼성전자,Samsung Electronics,KOSPI,70000\n")
	for range 2 { // idempotent
		if err := db("import-listings", listings); err != nil {
			t.Fatal(err)
		}
	}
	st, err := m.Service.Market.Stock(ctx, "035421")
	if err != nil || st.Market != domain.KOSDAQ || !st.Price.Equal(st.PrevClose) || st.NameEn != "Test Listing" {
		t.Fatalf("imported listing: %+v, %v", st, err)
	}

	// A bad row anywhere refuses the whole file, naming its line and column.
	bad := writeCSV(t, "bad.csv", "code,name,name_en,market,prev_close\n035422,좋은행,Good,KOSPI,5000\n035423,나쁜행,Bad,NYSE,5000\n")
	if err := db("import-listings", bad); err == nil || !strings.Contains(err.Error(), "line 3: column 4 (market)") || !strings.Contains(err.Error(), "NYSE") {
		t.Fatalf("bad listing file: %v", err)
	}
	if _, err := m.Store.GetStock(ctx, "035422"); !domain.IsCode(err, domain.CodeNotFound) {
		t.Fatalf("the good row of a bad file was written: %v", err)
	}
	for _, c := range []struct{ file, body, want string }{
		{"hdr.csv", "code,name\n005930,x\n", "line 1"},
		{"bars.csv", "code,date,open,high,low,close,volume\n005930,2026-03-02,70000,71000,69000,70500,100\n005930,2026-03-03,70000,69000,69500,70500,100\n", "line 3: column 4 (high)"},
		{"bars2.csv", "code,date,open,high,low,close,volume\n999999,2026-03-02,70000,71000,69000,70500,100\n", "line 2: column 1 (code): no listing 999999"},
		{"bars3.csv", "code,date,open,high,low,close,volume\n005930,2026-02-30,70000,71000,69000,70500,100\n", "line 2: column 2 (date)"},
		{"div.csv", "code,record_date,pay_date,per_share\n005930,2026-03-31,2026-03-01,361\n", "line 2: column 3 (pay_date)"},
	} {
		kind := "import-bars"
		if strings.HasPrefix(c.file, "div") {
			kind = "import-dividends"
		}
		if err := db(kind, writeCSV(t, c.file, c.body)); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was imported") {
			t.Fatalf("%s: %v, want %q", c.file, err, c.want)
		}
	}
	if bars, _ := m.Store.ListDailyBars(ctx, "005930", "2026-01-01", "", 10); len(bars) != 0 {
		t.Fatalf("bars from refused files: %+v", bars)
	}

	barsFile := writeCSV(t, "bars.csv", "code,date,open,high,low,close,volume\n005930,2026-03-02,70000,71000,69000,70500,100\n005930,2026-03-03,70500,70900,70100,70800,250\n")
	for range 2 {
		if err := db("import-bars", barsFile); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, domain.Seoul)
	bars, err := m.Service.Market.Bars(ctx, "005930", domain.Daily, from, from.AddDate(0, 0, 5))
	if err != nil || len(bars) != 2 || !bars[1].Close.Equal(dec(t, "70800")) || bars[1].Volume != 250 {
		t.Fatalf("imported bars: %+v, %v", bars, err)
	}

	// A dividend pays the holders of record, once, with 15.4% withheld.
	u := signup(t, m, "holder@example.com")
	u.must(201, "POST", "/orders", map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 10})
	today := domain.SeoulDate(time.Now())
	div := writeCSV(t, "div.csv", "code,record_date,pay_date,per_share\n005930,"+today+","+today+",361\n")
	for range 2 {
		if err := db("import-dividends", div); err != nil {
			t.Fatal(err)
		}
	}
	for want := range []int{1, 0} {
		n, err := m.Service.Market.PayDividends(ctx, today)
		if err != nil || n != 1-want {
			t.Fatalf("PayDividends: %d, %v", n, err)
		}
	}
	uid := userID(t, m, u)
	rows, err := m.Store.ListLedger(ctx, ports.LedgerFilter{AccountID: uid, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[domain.TxType]string{}
	for _, r := range rows {
		got[r.Type] = r.Amount.String()
	}
	if got[domain.TxDividend] != "3610" || got[domain.TxTax] != "555" {
		t.Fatalf("dividend rows: %v", got)
	}
	audit(t, m)
}
