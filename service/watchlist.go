package service

import (
	"context"
	"errors"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Watchlist keeps the listings a user follows.
type Watchlist struct{ *core }

// WatchView is a watchlist entry with its quote.
type WatchView struct {
	Item  domain.WatchItem
	Stock domain.Stock
}

// maxWatchlist bounds a watchlist; every listing fits.
const maxWatchlist = 200

// List returns the user's watchlist with quotes.
func (s *Watchlist) List(ctx context.Context, userID string) ([]WatchView, error) {
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

// Add puts a listing on the watchlist; adding it twice is a conflict.
func (s *Watchlist) Add(ctx context.Context, userID, code string) (WatchView, error) {
	st, err := s.stock(ctx, code)
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

// Remove takes a listing off the watchlist.
func (s *Watchlist) Remove(ctx context.Context, userID, code string) error {
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
