package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type summaryOutput struct {
	Body Envelope[Summary]
}

func (s *server) registerAnalytics(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "get-analytics-summary", Method: http.MethodGet, Path: "/analytics/summary", Tags: []string{"analytics"},
		Summary: "Trading statistics: trades, win rate, P&L, fees, tax and return",
	}, func(ctx context.Context, in *accountQuery) (*summaryOutput, error) {
		sum, err := s.svc.Accounts.Summary(ctx, target(ctx, in.AccountID))
		if err != nil {
			return nil, err
		}
		return &summaryOutput{Body: Envelope[Summary]{summaryDTO(sum)}}, nil
	})
}
