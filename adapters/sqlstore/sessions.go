package sqlstore

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/adapters/sqlstore/internal/sqldb"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

func session(r sqldb.Session) ports.Session {
	return ports.Session{
		ID: r.ID, FamilyID: r.FamilyID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		UsedAt: timeOf(r.UsedAt), RevokedAt: timeOf(r.RevokedAt),
	}
}

// GetSession returns domain.ErrNotFound for an unknown id.
func (r reader) GetSession(ctx context.Context, id string) (ports.Session, error) {
	return get(r, ctx, "get session", sqldb.Queries.GetSession, id, session)
}

// ListOrdersChanged returns orders updated at or after since.
func (r reader) ListOrdersChanged(ctx context.Context, accountID string, since time.Time, n int) ([]domain.Order, error) {
	if accountID == "" {
		return list(r, ctx, "list changed orders", sqldb.Queries.ListOrdersChanged,
			sqldb.ListOrdersChangedParams{Since: clamp(since, timeMin), Limit: limit(n)}, order)
	}
	return list(r, ctx, "list changed orders", sqldb.Queries.ListAccountOrdersChanged,
		sqldb.ListAccountOrdersChangedParams{AccountID: accountID, Since: clamp(since, timeMin), Limit: limit(n)}, order)
}

// ListAccountsChanged returns accounts updated at or after since.
func (r reader) ListAccountsChanged(ctx context.Context, since time.Time, n int) ([]domain.Account, error) {
	return list(r, ctx, "list changed accounts", sqldb.Queries.ListAccountsChanged,
		sqldb.ListAccountsChangedParams{Since: clamp(since, timeMin), Limit: limit(n)}, account)
}

// ListStocksChanged returns listings updated at or after since.
func (r reader) ListStocksChanged(ctx context.Context, since time.Time, n int) ([]domain.Stock, error) {
	return list(r, ctx, "list changed stocks", sqldb.Queries.ListStocksChanged,
		sqldb.ListStocksChangedParams{Since: clamp(since, timeMin), Limit: limit(n)}, stock)
}

// CreateSession stores a refresh token's session.
func (t *tx) CreateSession(ctx context.Context, s ports.Session) error {
	return blind(t, ctx, "create session", sqldb.Queries.CreateSession, sqldb.CreateSessionParams{
		ID: s.ID, FamilyID: s.FamilyID, UserID: s.UserID, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
	})
}

// UseSession marks the session used if it is neither used nor revoked.
func (t *tx) UseSession(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := exec(t, ctx, "use session", Counted, sqldb.Queries.UseSession, sqldb.UseSessionParams{UsedAt: nullTime(at), ID: id})
	return n == 1, err
}

// RevokeSessionFamily revokes a family.
func (t *tx) RevokeSessionFamily(ctx context.Context, familyID string, at time.Time) (int64, error) {
	return exec(t, ctx, "revoke session family", Counted, sqldb.Queries.RevokeSessionFamily,
		sqldb.RevokeSessionFamilyParams{RevokedAt: nullTime(at), FamilyID: familyID})
}

// RevokeUserSessions revokes the user's families but one.
func (t *tx) RevokeUserSessions(ctx context.Context, userID, keepFamilyID string, at time.Time) (int64, error) {
	return exec(t, ctx, "revoke user sessions", Counted, sqldb.Queries.RevokeUserSessions,
		sqldb.RevokeUserSessionsParams{RevokedAt: nullTime(at), UserID: userID, KeepFamilyID: keepFamilyID})
}

// CreateStreamTicket stores a ticket.
func (t *tx) CreateStreamTicket(ctx context.Context, id, userID string, expires time.Time) error {
	return blind(t, ctx, "create stream ticket", sqldb.Queries.CreateStreamTicket,
		sqldb.CreateStreamTicketParams{ID: id, UserID: userID, ExpiresAt: expires.UTC()})
}

// UseStreamTicket takes a live ticket.
func (t *tx) UseStreamTicket(ctx context.Context, id, userID string, now time.Time) (bool, error) {
	n, err := exec(t, ctx, "use stream ticket", Counted, sqldb.Queries.UseStreamTicket,
		sqldb.UseStreamTicketParams{UsedAt: nullTime(now), ID: id, UserID: userID, Now: now.UTC()})
	return n == 1, err
}

// DeleteStreamTickets removes expired tickets.
func (t *tx) DeleteStreamTickets(ctx context.Context, before time.Time) (int64, error) {
	return exec(t, ctx, "delete stream tickets", Counted, sqldb.Queries.DeleteStreamTickets, before.UTC())
}
