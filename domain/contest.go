package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// AccountKind says what an account is for.
type AccountKind string

// Account kinds: every user has one personal account, and one account per
// contest joined.
const (
	PersonalAccount AccountKind = "PERSONAL"
	ContestAccount  AccountKind = "CONTEST"
)

// ContestStatus is where a contest is in its life.
type ContestStatus string

// Contest statuses.
const (
	ContestScheduled ContestStatus = "SCHEDULED"
	ContestRunning   ContestStatus = "RUNNING"
	ContestEnded     ContestStatus = "ENDED"
)

// Contest is a league: traders join with an account funded with the same
// initial cash and compete on return between two instants, optionally on a
// restricted set of listings.
type Contest struct {
	ID          string
	Name        string
	StartsAt    time.Time
	EndsAt      time.Time
	InitialCash decimal.Decimal
	// Listings restricts trading to these codes; empty allows every
	// listing.
	Listings []string
	// FinalAt is when the final ranking was frozen; zero before.
	FinalAt   time.Time
	CreatedAt time.Time
}

// MaxContestNameLen bounds a contest's name.
const MaxContestNameLen = 80

// Validate checks a new contest.
func (c Contest) Validate(now time.Time) error {
	name := strings.TrimSpace(c.Name)
	switch {
	case name == "":
		return FieldErrorf(CodeInvalid, "name", "is required")
	case utf8.RuneCountInString(name) > MaxContestNameLen:
		return FieldErrorf(CodeInvalid, "name", "must be at most %d characters", MaxContestNameLen)
	case c.StartsAt.IsZero():
		return FieldErrorf(CodeInvalid, "starts_at", "is required")
	case c.EndsAt.IsZero():
		return FieldErrorf(CodeInvalid, "ends_at", "is required")
	case !c.EndsAt.After(c.StartsAt):
		return FieldErrorf(CodeInvalid, "ends_at", "must be after starts_at (%s), got %s", c.StartsAt.UTC().Format(time.RFC3339), c.EndsAt.UTC().Format(time.RFC3339))
	case !c.EndsAt.After(now):
		return FieldErrorf(CodeInvalid, "ends_at", "must be in the future, got %s", c.EndsAt.UTC().Format(time.RFC3339))
	case c.EndsAt.Sub(c.StartsAt) > 366*24*time.Hour:
		return FieldErrorf(CodeInvalid, "ends_at", "a contest lasts at most a year")
	}
	if err := ValidateCashAmount("initial_cash", c.InitialCash); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, code := range c.Listings {
		if !ValidStockCode(code) {
			return FieldErrorf(CodeInvalid, "listings", "%q is not a six-character KRX code", code)
		}
		if seen[code] {
			return FieldErrorf(CodeInvalid, "listings", "%s is listed twice", code)
		}
		seen[code] = true
	}
	return nil
}

// StatusAt is the contest's status at t.
func (c Contest) StatusAt(t time.Time) ContestStatus {
	switch {
	case t.Before(c.StartsAt):
		return ContestScheduled
	case t.Before(c.EndsAt):
		return ContestRunning
	}
	return ContestEnded
}

// Allows reports whether the contest lets its accounts trade code.
func (c Contest) Allows(code string) bool {
	if len(c.Listings) == 0 {
		return true
	}
	for _, l := range c.Listings {
		if l == code {
			return true
		}
	}
	return false
}

// Ranking is one line of a leaderboard.
type Ranking struct {
	Rank       int
	AccountID  string
	UserID     string
	Nickname   string
	ReturnRate decimal.Decimal // percent
	Equity     decimal.Decimal
	Trades     int64
}

// Leaderboard is a ranking as of the refresh that computed it.
type Leaderboard struct {
	ContestID string // "" for the personal boards
	Period    string // 1d, 1w, 1m, all; "contest" for a contest's board
	AsOf      time.Time
	Entries   []Ranking
}
