package service

import (
	"context"
	"errors"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// RollResult is what a roll of the market day did.
type RollResult struct {
	Date string
	// Rolled is false when the date had been rolled before (and the roll
	// was not forced): nothing changed.
	Rolled   bool
	RolledAt time.Time
}

// Roll starts the trading day date (YYYY-MM-DD, Seoul; "" is today): each
// listing's last price becomes the previous close its ±30% band is
// computed from, and its day's volume starts over. It runs once per date
// unless force is set.
func (s *Market) Roll(ctx context.Context, date string, force bool) (RollResult, error) {
	if date == "" {
		date = domain.SeoulDate(s.clock.Now())
	}
	if _, err := s.cfg.Calendar.Day(date); err != nil {
		return RollResult{}, err
	}
	out := RollResult{Date: date}
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		rolled, err := tx.MarkRolled(ctx, date, now, force)
		if err != nil || !rolled {
			out.Rolled = false
			return err
		}
		out.Rolled, out.RolledAt = true, now
		return tx.RollStocks(ctx, now)
	})
	if errors.Is(err, domain.ErrDuplicate) {
		// A concurrent roll of the same date won.
		out.Rolled, err = false, nil
	}
	if err != nil {
		return RollResult{}, err
	}
	if !out.Rolled {
		rec, err := s.store.GetMarketDay(ctx, date)
		if err != nil {
			return RollResult{}, err
		}
		out.RolledAt = rec.RolledAt
	}
	return out, nil
}

// RollDay rolls today (Seoul) if it has not been rolled yet.
func (s *Market) RollDay(ctx context.Context) error {
	_, err := s.Roll(ctx, "", false)
	return err
}

// ExpireDayOrders expires, in bulk, the DAY orders whose close has passed,
// and reports how many.
func (s *Market) ExpireDayOrders(ctx context.Context) (int, error) {
	return s.orders.ExpireDue(ctx)
}

// MarkClosed records that the close of date was processed.
func (s *Market) MarkClosed(ctx context.Context, date string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if _, err := tx.GetMarketDay(ctx, date); domain.IsCode(err, domain.CodeNotFound) {
			// A day closed that was never rolled (the market day started
			// after its open was missed) is recorded as rolled now.
			if _, err := tx.MarkRolled(ctx, date, s.clock.Now().UTC(), false); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return tx.MarkClosed(ctx, date, s.clock.Now().UTC())
	})
}
