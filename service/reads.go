package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// LedgerQuery filters the ledger.
type LedgerQuery struct {
	Type      string
	StockCode string
	From, To  time.Time
	Cursor    string
	Limit     int
}

// Transactions returns a page of the user's ledger, newest first, and the
// next cursor.
func (s *Service) Transactions(ctx context.Context, userID string, q LedgerQuery) ([]domain.LedgerEntry, string, error) {
	typ := domain.TxType(strings.ToUpper(q.Type))
	switch typ {
	case "", domain.TxBuy, domain.TxSell, domain.TxDeposit, domain.TxWithdraw, domain.TxDividend, domain.TxFee, domain.TxTax:
	default:
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "type", "must be one of BUY, SELL, DEPOSIT, WITHDRAW, DIVIDEND, FEE, TAX")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, "", domain.FieldErrorf(domain.CodeInvalid, "from", "must be before to")
	}
	limit := page(q.Limit, 50, 200)
	rows, err := s.store.ListLedger(ctx, ports.LedgerFilter{UserID: userID, Type: typ, StockCode: q.StockCode, From: q.From, To: q.To, Before: q.Cursor, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	return rows, next, nil
}

// WatchView is a watchlist entry with its quote.
type WatchView struct {
	Item  domain.WatchItem
	Stock domain.Stock
}

// maxWatchlist bounds a watchlist; every listing fits.
const maxWatchlist = 200

// Watchlist returns the user's watchlist with quotes.
func (s *Service) Watchlist(ctx context.Context, userID string) ([]WatchView, error) {
	items, err := s.store.ListWatchlist(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]WatchView, 0, len(items))
	for _, it := range items {
		st, err := s.store.GetStock(ctx, it.StockCode)
		if err != nil {
			return nil, err
		}
		out = append(out, WatchView{Item: it, Stock: st})
	}
	return out, nil
}

// AddWatch puts a listing on the watchlist; adding it twice is a conflict.
func (s *Service) AddWatch(ctx context.Context, userID, code string) (WatchView, error) {
	st, err := s.GetStock(ctx, code)
	if err != nil {
		return WatchView{}, err
	}
	item := domain.WatchItem{UserID: userID, StockCode: st.Code, CreatedAt: s.clock.Now().UTC()}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if _, err := tx.LockAccount(ctx, userID); err != nil {
			return err
		}
		items, err := tx.ListWatchlist(ctx, userID)
		if err != nil {
			return err
		}
		if len(items) >= maxWatchlist {
			return domain.Errorf(domain.CodeConflict, "a watchlist holds at most %d listings", maxWatchlist)
		}
		return tx.AddWatch(ctx, item)
	})
	if err != nil {
		if errors.Is(err, domain.ErrDuplicate) {
			return WatchView{}, domain.FieldErrorf(domain.CodeConflict, "stock_code", "%s is already on your watchlist", code)
		}
		return WatchView{}, err
	}
	return WatchView{Item: item, Stock: st}, nil
}

// RemoveWatch takes a listing off the watchlist.
func (s *Service) RemoveWatch(ctx context.Context, userID, code string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		ok, err := tx.RemoveWatch(ctx, userID, code)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.CodeNotFound, "%s is not on your watchlist", code)
		}
		return nil
	})
}
