// Package service holds StocKing's use cases: sign-up and login, cash
// movements, order placement, matching, cancellation and expiry, portfolio
// and analytics reads, payments and the audit of every invariant. It
// depends only on domain and ports; adapters call it and cmd wires it.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Config holds the business settings.
type Config struct {
	// InitialCash is booked as a DEPOSIT at sign-up (INITIAL_CASH).
	InitialCash decimal.Decimal
	Fees        domain.Fees
	Calendar    *domain.Calendar
	// OrderWorkflows makes resting orders announce themselves through the
	// outbox so a workflow engine owns their lifecycle (start, fill
	// notification). Without it the in-process sweeper expires DAY orders.
	OrderWorkflows bool
	// MatchBatch is how many crossed orders one fill transaction settles.
	MatchBatch int
	// FillParticipation is the share of a trade's volume that the resting
	// orders it crosses may fill, on each side (FILL_PARTICIPATION,
	// default 1).
	FillParticipation decimal.Decimal
	// MarketDepth is the shares a quote holds when the feed does not say,
	// and the volume of a trade that gives none (MARKET_DEPTH, default
	// 1,000).
	MarketDepth int64
	Payments    PaymentConfig
	// FreeDepositDailyLimit caps the free deposits into a personal account
	// per Seoul day (FREE_DEPOSIT_DAILY_LIMIT); zero means no cap.
	FreeDepositDailyLimit decimal.Decimal
	// RiskFreeRate is the annual rate the Sharpe ratio measures excess
	// return against (RISK_FREE_RATE).
	RiskFreeRate decimal.Decimal
}

// Deps are the ports the service uses.
type Deps struct {
	Store  ports.Store
	Clock  ports.Clock
	IDs    ports.IDGenerator
	Tokens ports.TokenIssuer
	Hasher ports.PasswordHasher
	// Workflows routes cancels and payment signals to the workflow engine;
	// nil when none is configured.
	Workflows ports.Workflows
	// Gateway is the payment provider; nil disables payments.
	Gateway ports.PaymentGateway
	Logger  *slog.Logger
}

// core holds what every use case shares: the ports and the settings.
// Each use-case type embeds the same *core, so wiring (the relay's kick)
// reaches all of them at once.
type core struct {
	store     ports.Store
	clock     ports.Clock
	ids       ports.IDGenerator
	workflows ports.Workflows
	log       *slog.Logger
	cfg       Config
	// kick wakes the outbox relay after a commit that enqueued messages.
	kick func()
	// histories and boards keep what equity and leaderboard reads
	// computed, while it is current.
	histories *historyCache
	boards    *boardCache
}

// Service is the set of use cases, one cohesive type each, sharing the
// ports: adapters call svc.Orders.Place, svc.Accounts.Deposit, and so on.
type Service struct {
	// Users signs people up, logs them in and manages roles.
	Users *Users
	// Accounts moves cash and reads balances, portfolios, statistics and
	// the ledger.
	Accounts *Accounts
	// Watchlist keeps the listings a user follows.
	Watchlist *Watchlist
	// Orders places, cancels, expires and fills orders.
	Orders *Orders
	// Market holds the listings and their prices, and turns trades into
	// fills.
	Market *Market
	// Payments reconciles PortOne payments and fulfils them.
	Payments *Payments
	// Audit checks every invariant of the books.
	Audit *Auditor
	// Leaderboards ranks traders by time-weighted return.
	Leaderboards *Leaderboards
	// Contests runs leagues.
	Contests *Contests
	// Stream hands out event-stream tickets and reads what changed.
	Stream *Stream

	core *core
}

// New checks the configuration and builds the use cases.
func New(d Deps, cfg Config) (*Service, error) {
	if d.Store == nil || d.Clock == nil || d.IDs == nil {
		return nil, errors.New("service: store, clock and id generator are required")
	}
	if cfg.Calendar == nil {
		cfg.Calendar = domain.NewKRXCalendar()
	}
	if cfg.Fees.CommissionRate.IsZero() && cfg.Fees.SellTaxRate.IsZero() {
		cfg.Fees = domain.DefaultFees()
	}
	if err := cfg.Fees.Validate(); err != nil {
		return nil, err
	}
	if cfg.InitialCash.IsNegative() {
		return nil, errors.New("service: INITIAL_CASH must not be negative")
	}
	if cfg.MarketDepth <= 0 {
		cfg.MarketDepth = 1000
	}
	if cfg.MatchBatch <= 0 {
		cfg.MatchBatch = 200
	}
	if cfg.FillParticipation.IsZero() {
		cfg.FillParticipation = decimal.NewFromInt(1)
	}
	if cfg.FillParticipation.IsNegative() || cfg.FillParticipation.GreaterThan(decimal.NewFromInt(1)) {
		return nil, errors.New("service: FILL_PARTICIPATION must be more than 0 and at most 1")
	}
	if cfg.MarketDepth <= 0 {
		cfg.MarketDepth = domain.DefaultDepth
	}
	cfg.Payments.setDefaults()
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &core{store: d.Store, clock: d.Clock, ids: d.IDs, workflows: d.Workflows, log: log, cfg: cfg, kick: func() {},
		histories: &historyCache{entries: map[string]*equityHistory{}}, boards: &boardCache{m: map[boardKey]cachedBoard{}}}
	orders := &Orders{core: c}
	accounts := &Accounts{core: c}
	return &Service{
		Users:     &Users{core: c, tokens: d.Tokens, hasher: d.Hasher},
		Accounts:  accounts,
		Watchlist: &Watchlist{core: c},
		Orders:    orders,
		Market:    &Market{core: c, orders: orders},
		Payments:  &Payments{core: c, gateway: d.Gateway},
		Stream:    &Stream{core: c},
		Audit:     &Auditor{core: c},

		Leaderboards: &Leaderboards{core: c},
		Contests:     &Contests{core: c},
		core:         c,
	}, nil
}

// Config returns the settings in force.
func (s *Service) Config() Config { return s.core.cfg }

// Calendar is the market calendar in force.
func (s *Service) Calendar() *domain.Calendar { return s.core.cfg.Calendar }

// SetOutboxKick registers a function called after each commit that
// enqueued outbox messages, so a relay can deliver them without polling
// delay.
func (s *Service) SetOutboxKick(f func()) {
	if f == nil {
		f = func() {}
	}
	s.core.kick = f
}

// Store exposes the store to adapters that only read (the relay, the
// reconciler).
func (s *Service) Store() ports.Store { return s.core.store }

// Now is the service clock's time, so that adapters stamp responses with
// the same clock the use cases run on.
func (s *Service) Now() time.Time { return s.core.clock.Now() }

func (s *core) tx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	return s.store.WithinTx(ctx, fn)
}

// Target names the account a request acts on, for the user who sends it.
// An empty AccountID is the user's personal account, whose id is the
// user's own.
type Target struct {
	UserID    string
	AccountID string
}

// Personal is the target of a user's personal account.
func Personal(userID string) Target { return Target{UserID: userID} }

// ID is the id of the account targeted.
func (t Target) ID() string {
	if t.AccountID == "" {
		return t.UserID
	}
	return t.AccountID
}

// noAccount is the answer for an account that does not exist or is not
// the caller's: the two are not told apart.
func noAccount(t Target) error {
	return domain.FieldErrorf(domain.CodeNotFound, "account_id", "no account %s", t.ID())
}

// account reads the targeted account, checking it is the user's.
func (s *core) account(ctx context.Context, t Target) (domain.Account, error) {
	a, err := s.store.GetAccount(ctx, t.ID())
	return owned(t, a, err)
}

// owned checks that the account read for t (a, or err) is the user's: a
// missing account and another user's are both noAccount.
func owned(t Target, a domain.Account, err error) (domain.Account, error) {
	if domain.IsCode(err, domain.CodeNotFound) || (err == nil && a.UserID != t.UserID) {
		return domain.Account{}, noAccount(t)
	}
	return a, err
}

// lockAccount locks the targeted account in a transaction, checking it is
// the user's.
func lockAccount(ctx context.Context, tx ports.Tx, t Target) (domain.Account, error) {
	a, err := tx.LockAccount(ctx, t.ID())
	return owned(t, a, err)
}

// page clamps a requested page size.
func page(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	if limit > max {
		return max
	}
	return limit
}
