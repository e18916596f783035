package ports

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// Session is one refresh token handed out. The tokens of one login form a
// family (FamilyID, the id of its first token): each refresh uses up its
// token and adds the next one, so a used token presented again was copied,
// and the family is revoked.
type Session struct {
	ID        string
	FamilyID  string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
	RevokedAt time.Time // zero while the family is live
}

// SessionReader reads sessions.
type SessionReader interface {
	// GetSession returns domain.ErrNotFound for an unknown id.
	GetSession(ctx context.Context, id string) (Session, error)
}

// SessionWriter writes sessions and stream tickets.
type SessionWriter interface {
	CreateSession(ctx context.Context, s Session) error
	// UseSession marks an unused, unrevoked session used and reports
	// whether it did: of two refreshes with one token, only one wins.
	UseSession(ctx context.Context, id string, at time.Time) (bool, error)
	// RevokeSessionFamily revokes every session of a family.
	RevokeSessionFamily(ctx context.Context, familyID string, at time.Time) (int64, error)
	// RevokeUserSessions revokes every session of the user outside the
	// family kept ("" keeps none).
	RevokeUserSessions(ctx context.Context, userID, keepFamilyID string, at time.Time) (int64, error)

	// CreateStreamTicket stores a single-use ticket for the event stream.
	CreateStreamTicket(ctx context.Context, id, userID string, expires time.Time) error
	// UseStreamTicket takes the user's ticket if it is unused and not
	// expired at now, and reports whether it did.
	UseStreamTicket(ctx context.Context, id, userID string, now time.Time) (bool, error)
	// DeleteStreamTickets removes tickets that expired before the time.
	DeleteStreamTickets(ctx context.Context, before time.Time) (int64, error)
}

// ChangeReader finds what changed, for the event stream: every API process
// polls it, so that a change made through any process reaches the streams
// of all of them.
type ChangeReader interface {
	// ListOrdersChanged returns up to limit orders (without executions)
	// of the account, or of every account when accountID is "", updated
	// at or after since, oldest change first.
	ListOrdersChanged(ctx context.Context, accountID string, since time.Time, limit int) ([]domain.Order, error)
	// ListStocksChanged returns up to limit listings updated at or after
	// since, oldest change first.
	ListStocksChanged(ctx context.Context, since time.Time, limit int) ([]domain.Stock, error)
	// ListAccountsChanged returns up to limit accounts updated at or
	// after since, oldest change first.
	ListAccountsChanged(ctx context.Context, since time.Time, limit int) ([]domain.Account, error)
}
