package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/service"
)

// Account is one of a user's accounts with its balance.
type Account struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind" enum:"PERSONAL,CONTEST"`
	ContestID     *string   `json:"contest_id" doc:"The contest of a CONTEST account; null for the personal one."`
	Cash          string    `json:"cash"`
	ReservedCash  string    `json:"reserved_cash"`
	AvailableCash string    `json:"available_cash"`
	HoldingsValue string    `json:"holdings_value"`
	Equity        string    `json:"equity"`
	Currency      string    `json:"currency" example:"KRW"`
	CreatedAt     time.Time `json:"created_at"`
}

func accountDTO(b service.Balance) Account {
	a := b.Account
	return Account{
		ID: a.ID, Kind: string(a.Kind), ContestID: nullString(a.ContestID),
		Cash: money(a.Cash), ReservedCash: money(a.ReservedCash), AvailableCash: money(a.Available()),
		HoldingsValue: money(b.HoldingsValue), Equity: money(b.TotalEquity()), Currency: "KRW",
		CreatedAt: utc(a.CreatedAt),
	}
}

type accountsOutput struct {
	Body Page[Account]
}

func (s *server) registerAccounts(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "list-accounts", Method: http.MethodGet, Path: "/accounts", Tags: []string{"accounts"},
		Summary: "The caller's accounts",
		Description: "The personal account first (its id is the user's), then one account per contest joined. Every trading and " +
			"reading endpoint takes one of these ids as account_id; without it, it acts on the personal account.",
	}, func(ctx context.Context, _ *struct{}) (*accountsOutput, error) {
		bs, err := s.svc.Accounts.List(ctx, userID(ctx))
		if err != nil {
			return nil, err
		}
		out := make([]Account, len(bs))
		for i, b := range bs {
			out[i] = accountDTO(b)
		}
		return &accountsOutput{Body: Page[Account]{Data: out}}, nil
	})
}
