package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// csvRows reads a CSV file whose header names exactly the columns given,
// and calls row for each record with its line number. Every error names
// the file, the line and the column.
func csvRows(path string, columns []string, row func(line int, rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(columns)
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: line 1: %w (the header must be %s)", path, err, strings.Join(columns, ","))
	}
	for i, c := range columns {
		if h := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff"))); h != c {
			return fmt.Errorf("%s: line 1: column %d is %q; the header must be %s", path, i+1, head[i], strings.Join(columns, ","))
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := row(line, rec); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line, err)
		}
	}
}

// colErr names a column in a row's error.
func colErr(columns []string, i int, format string, args ...any) error {
	return fmt.Errorf("column %d (%s): %s", i+1, columns[i], fmt.Sprintf(format, args...))
}

func csvCode(cols []string, rec []string, i int) (string, error) {
	c := strings.TrimSpace(rec[i])
	if !domain.ValidStockCode(c) {
		return "", colErr(cols, i, "%q is not a six-character KRX code such as 005930", c)
	}
	return c, nil
}

func csvPrice(cols []string, rec []string, i int) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(rec[i]))
	if err != nil || !d.IsPositive() {
		return decimal.Decimal{}, colErr(cols, i, "%q is not a positive amount of won", rec[i])
	}
	return d, nil
}

func csvDate(cols []string, rec []string, i int) (string, error) {
	v := strings.TrimSpace(rec[i])
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", colErr(cols, i, "%q is not a YYYY-MM-DD date", v)
	}
	return v, nil
}

var (
	listingColumns  = []string{"code", "name", "name_en", "market", "prev_close"}
	barColumns      = []string{"code", "date", "open", "high", "low", "close", "volume"}
	dividendColumns = []string{"code", "record_date", "pay_date", "per_share"}
)

func readListings(path string) ([]service.ImportListing, error) {
	c := listingColumns
	var out []service.ImportListing
	err := csvRows(path, c, func(line int, rec []string) error {
		code, err := csvCode(c, rec, 0)
		if err != nil {
			return err
		}
		name, nameEn := strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		if name == "" || len([]rune(name)) > 100 {
			return colErr(c, 1, "must be 1 to 100 characters")
		}
		if len([]rune(nameEn)) > 100 {
			return colErr(c, 2, "must be at most 100 characters")
		}
		m := domain.Market(strings.ToUpper(strings.TrimSpace(rec[3])))
		if m != domain.KOSPI && m != domain.KOSDAQ {
			return colErr(c, 3, "%q is not KOSPI or KOSDAQ", rec[3])
		}
		prev, err := csvPrice(c, rec, 4)
		if err != nil {
			return err
		}
		if !domain.OnTickGrid(prev) {
			return colErr(c, 4, "%s is not on the KRX tick grid", prev)
		}
		out = append(out, service.ImportListing{Line: line, Code: code, Name: name, NameEn: nameEn, Market: m, PrevClose: prev})
		return nil
	})
	return out, err
}

func readBars(path string) ([]service.ImportBar, error) {
	c := barColumns
	var out []service.ImportBar
	err := csvRows(path, c, func(line int, rec []string) error {
		code, err := csvCode(c, rec, 0)
		if err != nil {
			return err
		}
		date, err := csvDate(c, rec, 1)
		if err != nil {
			return err
		}
		var p [4]decimal.Decimal
		for i := range p {
			if p[i], err = csvPrice(c, rec, 2+i); err != nil {
				return err
			}
		}
		open, high, low, closeP := p[0], p[1], p[2], p[3]
		if high.LessThan(decimal.Max(open, closeP, low)) {
			return colErr(c, 3, "high %s is below the open, low or close", high)
		}
		if low.GreaterThan(decimal.Min(open, closeP)) {
			return colErr(c, 4, "low %s is above the open or close", low)
		}
		vol, err := strconv.ParseInt(strings.TrimSpace(rec[6]), 10, 64)
		if err != nil || vol < 0 {
			return colErr(c, 6, "%q is not a whole number of shares", rec[6])
		}
		start, _ := time.ParseInLocation(time.DateOnly, date, domain.Seoul)
		out = append(out, service.ImportBar{Line: line, Bar: domain.Bar{
			Code: code, Interval: domain.Daily, Start: start.UTC(), Open: open, High: high, Low: low, Close: closeP, Volume: vol,
		}})
		return nil
	})
	return out, err
}

func readDividends(path string) ([]service.ImportDividend, error) {
	c := dividendColumns
	var out []service.ImportDividend
	err := csvRows(path, c, func(line int, rec []string) error {
		code, err := csvCode(c, rec, 0)
		if err != nil {
			return err
		}
		record, err := csvDate(c, rec, 1)
		if err != nil {
			return err
		}
		pay, err := csvDate(c, rec, 2)
		if err != nil {
			return err
		}
		if pay < record {
			return colErr(c, 2, "pay date %s is before the record date %s", pay, record)
		}
		per, err := csvPrice(c, rec, 3)
		if err != nil {
			return err
		}
		out = append(out, service.ImportDividend{Line: line, Dividend: domain.Dividend{StockCode: code, RecordDate: record, PayDate: pay, PerShare: per}})
		return nil
	})
	return out, err
}

// runImport runs `stocking db import-listings|import-bars|import-dividends
// FILE.csv`: the whole file is checked first, then written in one
// transaction, so a bad row leaves the database as it was.
func runImport(ctx context.Context, m *Main, kind, path string, out io.Writer) error {
	var (
		n   int
		err error
	)
	switch kind {
	case "import-listings":
		var rows []service.ImportListing
		if rows, err = readListings(path); err == nil {
			n, err = m.Service.Market.ImportListings(ctx, rows)
		}
	case "import-bars":
		var rows []service.ImportBar
		if rows, err = readBars(path); err == nil {
			n, err = m.Service.Market.ImportBars(ctx, rows)
		}
	case "import-dividends":
		var rows []service.ImportDividend
		if rows, err = readDividends(path); err == nil {
			n, err = m.Service.Market.ImportDividends(ctx, rows)
		}
	}
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return fmt.Errorf("%s: %s; nothing was imported", path, de.Message)
		}
		return fmt.Errorf("%w; nothing was imported", err)
	}
	fmt.Fprintf(out, "%s: %d rows imported\n", path, n)
	return nil
}
