package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type portfolioOutput struct {
	Body Envelope[Portfolio]
}

func (s *server) registerPortfolio(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "get-portfolio", Method: http.MethodGet, Path: "/portfolio", Tags: []string{"portfolio"},
		Summary: "Holdings valued at current prices, with totals",
	}, func(ctx context.Context, in *accountQuery) (*portfolioOutput, error) {
		p, err := s.svc.Accounts.Portfolio(ctx, target(ctx, in.AccountID))
		if err != nil {
			return nil, err
		}
		return &portfolioOutput{Body: Envelope[Portfolio]{portfolioDTO(p)}}, nil
	})
}
