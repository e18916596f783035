package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Market holds the listings and their prices: reads, the admin's edits,
// the trades feeds report (which fill the orders they cross) and the daily
// roll of the price band.
type Market struct {
	*core
	orders *Orders
	// opened remembers, per listing, the start of the last session in
	// which this process committed one of its trades: a session that has
	// had a trade cannot be opened again, so the batches after the first
	// need not ask the tape.
	opened openedSessions
}

// Stock returns a listing by code.
func (s *Market) Stock(ctx context.Context, code string) (domain.Stock, error) {
	return s.stock(ctx, code)
}

// stock returns a listing by code, with the API's messages for a malformed
// or unknown code.
func (s *core) stock(ctx context.Context, code string) (domain.Stock, error) {
	if !domain.ValidStockCode(code) {
		return domain.Stock{}, domain.FieldErrorf(domain.CodeInvalid, "code", "%q is not a six-character KRX code such as 005930", code)
	}
	st, err := s.store.GetStock(ctx, code)
	if domain.IsCode(err, domain.CodeNotFound) {
		return domain.Stock{}, domain.Errorf(domain.CodeNotFound, "no listing %s; GET /api/v1/stocks lists them", code)
	}
	return st, err
}

// List returns every listing, optionally only those whose code or
// name contains query.
func (s *Market) List(ctx context.Context, query string, market string) ([]domain.Stock, error) {
	all, err := s.store.ListStocks(ctx)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	m := strings.ToUpper(strings.TrimSpace(market))
	out := all[:0]
	for _, st := range all {
		if m != "" && string(st.Market) != m {
			continue
		}
		if q != "" && !strings.Contains(st.Code, q) && !strings.Contains(strings.ToLower(st.Name), q) && !strings.Contains(strings.ToLower(st.NameEn), q) {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// PriceHistory returns a listing's recorded prices since a time.
func (s *Market) PriceHistory(ctx context.Context, code string, since time.Time, limit int) ([]domain.PricePoint, error) {
	if _, err := s.stock(ctx, code); err != nil {
		return nil, err
	}
	return s.store.ListPrices(ctx, code, since, page(limit, 500, 5000))
}

// Status describes the session now.
func (s *Market) Status() domain.Session {
	return s.cfg.Calendar.SessionAt(s.clock.Now())
}

// StockInput creates or updates a listing (admin).
type StockInput struct {
	Code      string
	Name      string
	NameEn    string
	Market    string
	Price     decimal.NullDecimal
	PrevClose decimal.NullDecimal
	Active    *bool
}

// Upsert creates a listing or changes its name, board, previous
// close or status. A new listing needs a price; its previous close defaults
// to the price.
func (s *Market) Upsert(ctx context.Context, in StockInput) (domain.Stock, error) {
	if !domain.ValidStockCode(in.Code) {
		return domain.Stock{}, domain.FieldErrorf(domain.CodeInvalid, "code", "%q is not a six-character KRX code such as 005930", in.Code)
	}
	var st domain.Stock
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		cur, err := tx.GetStock(ctx, in.Code)
		isNew := domain.IsCode(err, domain.CodeNotFound)
		if err != nil && !isNew {
			return err
		}
		st = cur
		if isNew {
			st = domain.Stock{Code: in.Code, Active: true, Market: domain.KOSPI}
			if !in.Price.Valid {
				return domain.FieldErrorf(domain.CodeInvalid, "price", "is required for a new listing")
			}
		}
		if n := strings.TrimSpace(in.Name); n != "" {
			st.Name = n
		}
		if n := strings.TrimSpace(in.NameEn); n != "" {
			st.NameEn = n
		}
		if st.Name == "" {
			return domain.FieldErrorf(domain.CodeInvalid, "name", "is required for a new listing")
		}
		if utf8.RuneCountInString(st.Name) > 100 || utf8.RuneCountInString(st.NameEn) > 100 {
			return domain.FieldErrorf(domain.CodeInvalid, "name", "must be at most 100 characters")
		}
		if in.Market != "" {
			switch m := domain.Market(strings.ToUpper(in.Market)); m {
			case domain.KOSPI, domain.KOSDAQ:
				st.Market = m
			default:
				return domain.FieldErrorf(domain.CodeInvalid, "market", "must be KOSPI or KOSDAQ")
			}
		}
		if in.Price.Valid {
			if !domain.OnTickGrid(in.Price.Decimal) {
				return domain.FieldErrorf(domain.CodeInvalid, "price", "%s is not a positive price on the KRX tick grid", in.Price.Decimal)
			}
			st.Price = in.Price.Decimal
			if isNew && !in.PrevClose.Valid {
				st.PrevClose = st.Price
			}
		}
		if in.PrevClose.Valid {
			if !domain.OnTickGrid(in.PrevClose.Decimal) {
				return domain.FieldErrorf(domain.CodeInvalid, "prev_close", "%s is not a positive price on the KRX tick grid", in.PrevClose.Decimal)
			}
			st.PrevClose = in.PrevClose.Decimal
		}
		if band := domain.PriceBand(st.PrevClose); !band.Contains(st.Price) {
			return domain.FieldErrorf(domain.CodeInvalid, "price", "%s is outside the band %s–%s around the previous close %s", st.Price, band.Lower, band.Upper, st.PrevClose)
		}
		if in.Active != nil {
			st.Active = *in.Active
		}
		st.UpdatedAt = s.clock.Now().UTC()
		if err := tx.UpsertStock(ctx, st); err != nil {
			return err
		}
		if isNew || (in.Price.Valid && !in.Price.Decimal.Equal(cur.Price)) {
			// The history starts with the listing's first price.
			return tx.RecordPrice(ctx, st.Code, st.Price, st.UpdatedAt)
		}
		return nil
	})
	return st, err
}

// Day describes a Seoul date on the exchange's calendar, and names the
// day before it.
func (s *Market) Day(date string) (domain.MarketDay, string, error) {
	d, err := s.cfg.Calendar.Day(date)
	if err != nil {
		return domain.MarketDay{}, "", err
	}
	return d, d.Open.AddDate(0, 0, -1).Format(time.DateOnly), nil
}
