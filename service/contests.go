package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// OutboxContestStart starts a contest's workflow (ContestWorkflow,
// contest-<id>); its payload is a ContestEvent.
const OutboxContestStart = "contest.start"

// ContestEvent is the payload of contest outbox messages.
type ContestEvent struct {
	ContestID string `json:"contest_id"`
}

// Contests runs leagues: traders join with an account funded with the
// contest's initial cash and compete on equity between its start and its
// end. A workflow per contest owns its clock: it ranks the contest while
// it runs and, at the end, cancels open orders and freezes the ranking.
type Contests struct{ *core }

// ContestInput is a new contest.
type ContestInput struct {
	Name        string
	StartsAt    time.Time
	EndsAt      time.Time
	InitialCash decimal.Decimal
	Listings    []string
}

// Create validates and stores a contest, and starts its workflow through
// the outbox in the same transaction.
func (s *Contests) Create(ctx context.Context, in ContestInput) (domain.Contest, error) {
	now := s.clock.Now().UTC()
	c := domain.Contest{
		ID: s.ids.NewID(), Name: strings.TrimSpace(in.Name), StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(),
		InitialCash: in.InitialCash, CreatedAt: now,
	}
	for _, code := range in.Listings {
		c.Listings = append(c.Listings, strings.ToUpper(strings.TrimSpace(code)))
	}
	if err := c.Validate(now); err != nil {
		return domain.Contest{}, err
	}
	for _, code := range c.Listings {
		if _, err := s.store.GetStock(ctx, code); domain.IsCode(err, domain.CodeNotFound) {
			return domain.Contest{}, domain.FieldErrorf(domain.CodeInvalid, "listings", "unknown stock code %s", code)
		} else if err != nil {
			return domain.Contest{}, err
		}
	}
	payload, err := json.Marshal(ContestEvent{ContestID: c.ID})
	if err != nil {
		return domain.Contest{}, err
	}
	start := ports.OutboxMessage{ID: s.ids.NewID(), Kind: OutboxContestStart, Key: c.ID, Payload: payload, CreatedAt: now}
	if !s.cfg.OrderWorkflows {
		start = ports.OutboxMessage{}
	}
	if err := s.store.CreateContest(ctx, c, start); err != nil {
		return domain.Contest{}, err
	}
	if start.ID != "" {
		s.kick()
	}
	return c, nil
}

// List returns the contests, the latest to end first.
func (s *Contests) List(ctx context.Context, limit int) ([]domain.Contest, error) {
	return s.store.ListContests(ctx, page(limit, 50, 200))
}

// Get returns a contest.
func (s *Contests) Get(ctx context.Context, id string) (domain.Contest, error) {
	c, err := s.store.GetContest(ctx, id)
	if domain.IsCode(err, domain.CodeNotFound) {
		return c, domain.Errorf(domain.CodeNotFound, "no contest %s", id)
	}
	return c, err
}

// Ended reports whether the contest is over at now: past its end, or
// frozen.
func contestOver(c domain.Contest, now time.Time) bool {
	return !c.FinalAt.IsZero() || c.StatusAt(now) == domain.ContestEnded
}

// JoinResult is the contest account and whether this call opened it.
type JoinResult struct {
	Account domain.Account
	Created bool
}

// Join opens the user's account in a contest, funded with its initial
// cash (a DEPOSIT). Joining again answers the same account; joining after
// the end is a conflict.
func (s *Contests) Join(ctx context.Context, userID, contestID string) (JoinResult, error) {
	c, err := s.Get(ctx, contestID)
	if err != nil {
		return JoinResult{}, err
	}
	if contestOver(c, s.clock.Now()) {
		return JoinResult{}, domain.Errorf(domain.CodeConflict, "contest %s ended at %s; it can no longer be joined", c.ID, c.EndsAt.Format(time.RFC3339))
	}
	if a, ok, err := s.contestAccount(ctx, userID, c.ID); err != nil || ok {
		return JoinResult{Account: a}, err
	}
	now := s.clock.Now().UTC()
	a := domain.Account{
		ID: s.ids.NewID(), UserID: userID, Kind: domain.ContestAccount, ContestID: c.ID,
		HistoryStart: now, CreatedAt: now, UpdatedAt: now,
	}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		return s.bookCash(ctx, tx, &a, domain.TxDeposit, c.InitialCash, "", "contest "+c.ID+" initial cash")
	})
	if errors.Is(err, domain.ErrDuplicate) {
		// A concurrent join won.
		if prev, ok, gerr := s.contestAccount(ctx, userID, c.ID); gerr == nil && ok {
			return JoinResult{Account: prev}, nil
		}
	}
	if err != nil {
		return JoinResult{}, err
	}
	return JoinResult{Account: a, Created: true}, nil
}

func (s *Contests) contestAccount(ctx context.Context, userID, contestID string) (domain.Account, bool, error) {
	as, err := s.store.ListAccounts(ctx, userID)
	if err != nil {
		return domain.Account{}, false, err
	}
	for _, a := range as {
		if a.ContestID == contestID {
			return a, true, nil
		}
	}
	return domain.Account{}, false, nil
}

// Leaderboard returns a contest's ranking as last computed; final once
// the contest's workflow froze it.
func (s *Contests) Leaderboard(ctx context.Context, contestID string, limit int) (domain.Leaderboard, domain.Contest, error) {
	c, err := s.Get(ctx, contestID)
	if err != nil {
		return domain.Leaderboard{}, c, err
	}
	lb, err := s.board(ctx, c.ID, "contest", limit)
	return lb, c, err
}

// Rank recomputes a contest's ranking (the workflow's timer calls it).
// A frozen ranking is left alone.
func (s *Contests) Rank(ctx context.Context, contestID string) (int64, error) {
	c, err := s.Get(ctx, contestID)
	if err != nil || !c.FinalAt.IsZero() {
		return 0, err
	}
	return s.store.RankContest(ctx, c.ID, s.clock.Now().UTC())
}

// Finish ends a contest: every open order of its accounts is cancelled,
// then the final ranking is computed and frozen. It is idempotent: a
// finished contest stays as it was frozen.
func (s *Contests) Finish(ctx context.Context, contestID string) (domain.Contest, error) {
	c, err := s.Get(ctx, contestID)
	if err != nil || !c.FinalAt.IsZero() {
		return c, err
	}
	ids, err := s.store.ListContestAccountIDs(ctx, c.ID)
	if err != nil {
		return c, err
	}
	orders := &Orders{core: s.core}
	for _, id := range ids {
		open, err := s.store.ListOpenOrders(ctx, id)
		if err != nil {
			return c, err
		}
		for _, o := range open {
			if _, err := orders.closeOrder(ctx, o.ID, domain.Cancelled, "the contest ended", true); err != nil && !domain.IsCode(err, domain.CodeConflict) {
				return c, err
			}
		}
	}
	if _, err := s.store.FreezeContest(ctx, c.ID, s.clock.Now().UTC()); err != nil {
		return c, err
	}
	s.kick()
	return s.Get(ctx, c.ID)
}

// checkContestTrade applies a contest's rules to an order on one of its
// accounts: no trading before the start or after the end (409), and only
// the contest's listings when it restricts them (422). A personal
// account, whose id is the user's, costs no read. It runs before the
// order's transaction: a contest's times and listings never change, and
// the end is enforced again by the workflow, which cancels what is open.
func (s *core) checkContestTrade(ctx context.Context, t Target, code string) error {
	if t.ID() == t.UserID {
		return nil
	}
	a, err := s.account(ctx, t)
	if err != nil || a.Kind != domain.ContestAccount {
		return err
	}
	c, err := s.store.GetContest(ctx, a.ContestID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	switch {
	case contestOver(c, now):
		return domain.FieldErrorf(domain.CodeConflict, "account_id", "contest %s ended at %s; its accounts can no longer trade", c.ID, c.EndsAt.Format(time.RFC3339))
	case c.StatusAt(now) == domain.ContestScheduled:
		return domain.FieldErrorf(domain.CodeConflict, "account_id", "contest %s starts at %s; its accounts cannot trade before then", c.ID, c.StartsAt.Format(time.RFC3339))
	case !c.Allows(code):
		return domain.FieldErrorf(domain.CodeInvalid, "stock_code", "contest %s trades only %s, not %s", c.ID, strings.Join(c.Listings, ", "), code)
	}
	return nil
}
