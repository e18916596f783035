package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// GET /analytics/equity sends the same page gzip-compressed to a client
// that accepts gzip, from the kept head on later reads too, and as it is
// to one that does not; both answers say they vary by Accept-Encoding.
func TestEquityPageGzip(t *testing.T) {
	e := newEnv(t)
	tok := e.signup("gzip@example.com")
	e.must(http.StatusCreated, "POST", "/api/v1/orders", tok, map[string]any{"stock_code": "005930", "side": "BUY", "type": "MARKET", "quantity": 3})
	ctx := context.Background()
	today := time.Now().In(domain.Seoul)
	// The history opens before the days snapshotted.
	me := e.must(http.StatusOK, "GET", "/api/v1/users/me", tok, nil)
	if err := e.store.WithinTx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.LockAccount(ctx, str(me.Body, "data.id"))
		if err != nil {
			return err
		}
		a.HistoryStart = today.AddDate(0, 0, -41)
		return tx.SaveAccount(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	for d := 40; d >= 1; d-- {
		if _, err := e.svc.Accounts.SnapshotEquity(ctx, today.AddDate(0, 0, -d).Format(time.DateOnly)); err != nil {
			t.Fatal(err)
		}
	}
	get := func(acceptEncoding string) (*http.Response, []byte) {
		t.Helper()
		w := e.raw("GET", "/api/v1/analytics/equity?from="+today.AddDate(0, 0, -40).Format(time.DateOnly), map[string]string{
			"Authorization": "Bearer " + tok, "Accept-Encoding": acceptEncoding,
		})
		res := w.Result()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("Accept-Encoding %q: status %d: %s", acceptEncoding, res.StatusCode, w.Body)
		}
		if !slices.Contains(res.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary = %q, want Accept-Encoding in it", acceptEncoding, res.Header.Values("Vary"))
		}
		return res, w.Body.Bytes()
	}
	res, plain := get("")
	if ce := res.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("no Accept-Encoding: Content-Encoding %q", ce)
	}
	if n := bytes.Count(plain, []byte(`"date"`)); n < 40 {
		t.Fatalf("the page has %d points, want the 40 days and today's: %s", n, plain)
	}
	for i, ae := range []string{"gzip, deflate, br", "gzip", "br;q=1, *;q=0.5"} {
		res, body := get(ae)
		if ce := res.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want gzip", ae, ce)
		}
		if len(body)*4 > len(plain) {
			t.Errorf("read %d: gzipped page of %d bytes for %d plain", i, len(body), len(plain))
		}
		r, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("read %d: unzipped\n%s\nwant\n%s", i, got, plain)
		}
	}
	if res, _ := get("gzip;q=0, identity"); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
}
