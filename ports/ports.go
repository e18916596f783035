// Package ports declares the interfaces the core needs from the outside
// world: storage with a unit of work, time and identifiers, tokens and
// password hashing, market feeds, the payment gateway and the workflow
// engine. Adapters implement them; only cmd wires adapters together.
package ports

import (
	"context"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// Clock tells the time. Tests and time-skipping workflows supply their own.
type Clock interface {
	Now() time.Time
}

// IDGenerator makes identifiers for new rows. They must sort by creation
// time (UUIDv7) because cursor pagination orders by id.
type IDGenerator interface {
	NewID() string
}

// TokenPair is what signup, login and refresh hand out.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	// RefreshExpiresIn is the refresh token's lifetime.
	RefreshExpiresIn time.Duration
}

// SessionRef names the session a token pair belongs to: the refresh
// token's own id and its family (see Session).
type SessionRef struct {
	ID       string
	FamilyID string
}

// Claims are what a verified token says about its bearer.
type Claims struct {
	UserID string
	Role   domain.Role
	// Session is the session of the token: both ids for a refresh token,
	// the family for an access token. Empty for tokens issued without
	// one.
	Session SessionRef
}

// TokenIssuer issues and verifies bearer tokens.
type TokenIssuer interface {
	// Issue returns a fresh access and refresh token for the user, in the
	// session named: the refresh token carries both of its ids, the access
	// token its family.
	Issue(u domain.User, s SessionRef) (TokenPair, error)
	// VerifyAccess checks an access token's signature, type and expiry.
	// Any failure is a domain error with CodeUnauthorized.
	VerifyAccess(token string) (Claims, error)
	// VerifyRefresh does the same for a refresh token.
	VerifyRefresh(token string) (Claims, error)
}

// PasswordHasher hashes passwords with a slow, salted function.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Compare returns nil when password matches hash.
	Compare(hash, password string) error
}

// MarketSink is what a price feed drives: the listings it quotes and the
// place its ticks go.
type MarketSink interface {
	// Stocks lists the active listings with their last price and previous
	// close.
	Stocks(ctx context.Context) ([]domain.Stock, error)
	// ApplyTrades records trades, in the order given, and fills the
	// resting orders they cross. Feeds hand over what arrived together so
	// that the writes can be batched.
	ApplyTrades(ctx context.Context, trades []domain.Trade) error
}

// MarketFeed produces trades until ctx ends.
type MarketFeed interface {
	Run(ctx context.Context, sink MarketSink) error
}

// PaymentGateway is the payment provider (PortOne V2), the only authority
// on whether a payment happened.
type PaymentGateway interface {
	// GetPayment fetches a payment. A payment the provider does not know
	// is a domain error with CodeNotFound.
	GetPayment(ctx context.Context, paymentID string) (domain.GatewayPayment, error)
	// CancelPayment refunds the whole remaining amount. idempotencyKey
	// makes a retried cancel safe.
	CancelPayment(ctx context.Context, paymentID, reason, idempotencyKey string) error
	// VerifyWebhook checks a webhook's signature over the raw body and its
	// timestamp against now, and parses it. Failures are domain errors with
	// CodeUnauthorized (bad signature, stale timestamp) or CodeInvalid.
	VerifyWebhook(header map[string][]string, body []byte, now time.Time) (domain.WebhookEvent, error)
	// StoreID and ChannelKey are what the browser SDK needs.
	StoreID() string
	ChannelKey() string
}
