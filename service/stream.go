package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Stream serves the event stream: single-use tickets that stand in for
// the bearer header EventSource cannot send, and the reads of what changed
// that every API process polls, so that a change made through any process
// reaches the streams connected to all of them.
type Stream struct {
	*core
}

// TicketTTL is how long a stream ticket stays good.
const TicketTTL = 60 * time.Second

// Ticket hands out a single-use ticket for the user's event stream.
func (s *Stream) Ticket(ctx context.Context, userID string) (string, time.Time, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, err
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.clock.Now().UTC()
	expires := now.Add(TicketTTL)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		// Expired tickets are swept by whoever asks for a new one.
		if _, err := tx.DeleteStreamTickets(ctx, now.Add(-TicketTTL)); err != nil {
			return err
		}
		return tx.CreateStreamTicket(ctx, secret, userID, expires)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return userID + "." + secret, expires, nil
}

// Redeem takes a ticket and answers whose stream it opens. A ticket works
// once, within TicketTTL.
func (s *Stream) Redeem(ctx context.Context, ticket string) (string, error) {
	userID, secret, ok := strings.Cut(ticket, ".")
	bad := domain.FieldErrorf(domain.CodeUnauthorized, "ticket", "is not a valid stream ticket, or was used or expired; POST /api/v1/stream/ticket for a new one")
	if !ok || userID == "" || secret == "" {
		return "", bad
	}
	var used bool
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) (err error) {
		used, err = tx.UseStreamTicket(ctx, secret, userID, s.clock.Now().UTC())
		return err
	})
	if err != nil {
		return "", err
	}
	if !used {
		return "", bad
	}
	return userID, nil
}

// Account checks that the account is the user's and returns it.
func (s *Stream) Account(ctx context.Context, t Target) (domain.Account, error) {
	return s.account(ctx, t)
}

// AccountsChanged returns up to limit accounts updated at or after since,
// oldest change first: the accounts whose balance the stream sends.
func (s *Stream) AccountsChanged(ctx context.Context, since time.Time, limit int) ([]domain.Account, error) {
	return s.store.ListAccountsChanged(ctx, since, limit)
}

// OrdersChanged returns up to limit orders, with their executions, of the
// account (every account when accountID is ""), updated at or after since,
// oldest change first.
func (s *Stream) OrdersChanged(ctx context.Context, accountID string, since time.Time, limit int) ([]domain.Order, error) {
	orders, err := s.store.ListOrdersChanged(ctx, accountID, since, limit)
	if err != nil || len(orders) == 0 {
		return orders, err
	}
	ids := make([]string, 0, len(orders))
	for _, o := range orders {
		if o.FilledQuantity > 0 {
			ids = append(ids, o.ID)
		}
	}
	byOrder := map[string][]domain.Execution{}
	if len(ids) > 0 {
		exs, err := s.store.ListExecutions(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, e := range exs {
			byOrder[e.OrderID] = append(byOrder[e.OrderID], e)
		}
	}
	for i := range orders {
		orders[i].Executions = byOrder[orders[i].ID]
		if orders[i].Executions == nil {
			orders[i].Executions = []domain.Execution{}
		}
	}
	return orders, nil
}

// StocksChanged returns up to limit listings updated at or after since,
// oldest change first.
func (s *Stream) StocksChanged(ctx context.Context, since time.Time, limit int) ([]domain.Stock, error) {
	return s.store.ListStocksChanged(ctx, since, limit)
}

// Now is the service's clock.
func (s *Stream) Now() time.Time { return s.clock.Now() }
