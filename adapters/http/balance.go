package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

type cashInput struct {
	Body struct {
		Amount    Money  `json:"amount" doc:"Whole won."`
		AccountID string `json:"account_id,omitempty" maxLength:"64" doc:"One of the caller's accounts; the personal account when omitted."`
	}
}

type balanceOutput struct {
	Body Envelope[Balance]
}

func (s *server) registerBalance(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "get-balance", Method: http.MethodGet, Path: "/balance", Tags: []string{"balance"},
		Summary: "Cash, reservations and equity",
	}, func(ctx context.Context, in *accountQuery) (*balanceOutput, error) {
		b, err := s.svc.Accounts.Balance(ctx, target(ctx, in.AccountID))
		if err != nil {
			return nil, err
		}
		return &balanceOutput{Body: Envelope[Balance]{balanceDTO(b)}}, nil
	})

	type mover func(ctx context.Context, t service.Target, amount decimal.Decimal) (domain.Account, error)
	move := func(id, path, summary string, do mover) {
		register(api, signedIn, huma.Operation{
			OperationID: id, Method: http.MethodPost, Path: path, Tags: []string{"balance"}, Summary: summary,
			Description: "Answers with the new balance.",
		}, func(ctx context.Context, in *cashInput) (*balanceOutput, error) {
			amount, err := in.Body.Amount.required("amount")
			if err != nil {
				return nil, err
			}
			t := target(ctx, in.Body.AccountID)
			if _, err := do(ctx, t, amount); err != nil {
				return nil, err
			}
			// The answer is the whole balance, holdings value included,
			// which only the read model computes.
			b, err := s.svc.Accounts.Balance(ctx, t)
			if err != nil {
				return nil, err
			}
			return &balanceOutput{Body: Envelope[Balance]{balanceDTO(b)}}, nil
		})
	}
	// Bound when called, not here: the document is also built without a
	// service (stocking openapi).
	move("deposit", "/balance/deposit", "Add virtual cash", func(ctx context.Context, t service.Target, amount decimal.Decimal) (domain.Account, error) {
		return s.svc.Accounts.Deposit(ctx, t, amount)
	})
	move("withdraw", "/balance/withdraw", "Remove available virtual cash", func(ctx context.Context, t service.Target, amount decimal.Decimal) (domain.Account, error) {
		return s.svc.Accounts.Withdraw(ctx, t, amount)
	})
}
