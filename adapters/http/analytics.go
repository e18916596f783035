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
		Summary: "Trading statistics: trades, win rate, P&L, fees, tax, return and time-weighted performance",
	}, func(ctx context.Context, in *accountQuery) (*summaryOutput, error) {
		t := target(ctx, in.AccountID)
		sum, err := s.svc.Accounts.Summary(ctx, t)
		if err != nil {
			return nil, err
		}
		perf, err := s.svc.Accounts.Performance(ctx, t)
		if err != nil {
			return nil, err
		}
		out := summaryDTO(sum)
		out.TWR, out.MaxDrawdown, out.Volatility, out.Sharpe = pct(perf.TWR), pct(perf.MaxDrawdown), pct(perf.Volatility), perf.Sharpe.String()
		return &summaryOutput{Body: Envelope[Summary]{out}}, nil
	})
}
