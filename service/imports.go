package service

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// ImportListing is one listing of an import file, from its line Line.
type ImportListing struct {
	Line      int
	Code      string
	Name      string
	NameEn    string
	Market    domain.Market
	PrevClose decimal.Decimal
}

// ImportBar is one daily bar of an import file.
type ImportBar struct {
	Line int
	Bar  domain.Bar
}

// ImportDividend is one dividend of an import file.
type ImportDividend struct {
	Line     int
	Dividend domain.Dividend
}

// lineError names the file line a refused row came from.
func lineError(line int, err error) error {
	if de, ok := err.(*domain.Error); ok {
		return domain.Errorf(de.Code, "line %d: %s", line, de.Message)
	}
	return fmt.Errorf("line %d: %w", line, err)
}

// ImportListings creates or updates listings in one transaction: a new
// listing starts at its previous close; an existing one takes the names,
// board and previous close given and keeps its last price. Importing the
// same file again changes nothing.
func (s *Market) ImportListings(ctx context.Context, rows []ImportListing) (int, error) {
	return len(rows), s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		for _, r := range rows {
			st, err := tx.GetStock(ctx, r.Code)
			switch {
			case domain.IsCode(err, domain.CodeNotFound):
				st = domain.Stock{Code: r.Code, Price: r.PrevClose, Active: true}
			case err != nil:
				return err
			}
			if st.Name == r.Name && st.NameEn == r.NameEn && st.Market == r.Market && st.PrevClose.Equal(r.PrevClose) {
				continue
			}
			st.Name, st.NameEn, st.Market, st.PrevClose, st.UpdatedAt = r.Name, r.NameEn, r.Market, r.PrevClose, now
			if err := tx.UpsertStock(ctx, st); err != nil {
				return lineError(r.Line, err)
			}
		}
		return nil
	})
}

// ImportBars stores daily bars in one transaction, replacing those of the
// same listing and date; a bar of an unknown listing refuses the file.
func (s *Market) ImportBars(ctx context.Context, rows []ImportBar) (int, error) {
	return len(rows), s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := knownListings(ctx, tx, len(rows), func(i int) (int, string) { return rows[i].Line, rows[i].Bar.Code }); err != nil {
			return err
		}
		bars := make([]domain.Bar, len(rows))
		for i, r := range rows {
			bars[i] = r.Bar
		}
		return tx.UpsertDailyBars(ctx, bars)
	})
}

// ImportDividends records dividends in one transaction; one already
// recorded for the same listing and record date is restated unless paid.
func (s *Market) ImportDividends(ctx context.Context, rows []ImportDividend) (int, error) {
	return len(rows), s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := knownListings(ctx, tx, len(rows), func(i int) (int, string) { return rows[i].Line, rows[i].Dividend.StockCode }); err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		for _, r := range rows {
			d := r.Dividend
			d.ID, d.CreatedAt = s.ids.NewID(), now
			if err := tx.UpsertDividend(ctx, d); err != nil {
				return lineError(r.Line, err)
			}
		}
		return nil
	})
}

// knownListings refuses the first row whose listing does not exist.
func knownListings(ctx context.Context, tx ports.Tx, n int, row func(int) (int, string)) error {
	all, err := tx.ListStocks(ctx)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(all))
	for _, st := range all {
		known[st.Code] = true
	}
	for i := range n {
		if line, code := row(i); !known[code] {
			return domain.Errorf(domain.CodeNotFound, "line %d: column 1 (code): no listing %s; import it first with stocking db import-listings", line, code)
		}
	}
	return nil
}
