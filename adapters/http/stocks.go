package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

type listStocksInput struct {
	Q      string `query:"q" maxLength:"100" doc:"Only listings whose code, Korean or English name contains this text."`
	Market string `query:"market" enum:"KOSPI,KOSDAQ" doc:"Only listings on this board."`
}

type stockCodeInput struct {
	Code string `path:"code" example:"005930" doc:"Six-character KRX code."`
}

type pricesInput struct {
	Code  string    `path:"code" example:"005930"`
	Since time.Time `query:"since" doc:"Only prices recorded at or after this time (RFC 3339)."`
	Limit int       `query:"limit" minimum:"1" maximum:"5000" doc:"At most this many of the newest prices (default 500)."`
}

type stocksOutput struct {
	Body Page[Stock]
}

type stockOutput struct {
	Body Envelope[Stock]
}

type pricesOutput struct {
	Body Page[PricePoint]
}

type marketStatusOutput struct {
	Body Envelope[MarketStatus]
}

func (s *server) registerStocks(api huma.API) {
	register(api, public, huma.Operation{
		OperationID: "list-stocks", Method: http.MethodGet, Path: "/stocks", Tags: []string{"stocks"},
		Summary: "List listings with quotes",
	}, func(ctx context.Context, in *listStocksInput) (*stocksOutput, error) {
		list, err := s.svc.Market.List(ctx, in.Q, in.Market)
		if err != nil {
			return nil, err
		}
		out := make([]Stock, len(list))
		for i, st := range list {
			out[i] = stockDTO(st)
		}
		return &stocksOutput{Body: Page[Stock]{Data: out}}, nil
	})

	register(api, public, huma.Operation{
		OperationID: "get-stock", Method: http.MethodGet, Path: "/stocks/{code}", Tags: []string{"stocks"},
		Summary: "One listing with its quote, price band and tick size",
	}, func(ctx context.Context, in *stockCodeInput) (*stockOutput, error) {
		st, err := s.svc.Market.Stock(ctx, in.Code)
		if err != nil {
			return nil, err
		}
		return &stockOutput{Body: Envelope[Stock]{stockDTO(st)}}, nil
	})

	register(api, public, huma.Operation{
		OperationID: "list-stock-prices", Method: http.MethodGet, Path: "/stocks/{code}/prices", Tags: []string{"stocks"},
		Summary: "Price history of a listing, oldest first",
	}, func(ctx context.Context, in *pricesInput) (*pricesOutput, error) {
		pts, err := s.svc.Market.PriceHistory(ctx, in.Code, in.Since, in.Limit)
		if err != nil {
			return nil, err
		}
		out := make([]PricePoint, len(pts))
		for i, p := range pts {
			out[i] = PricePoint{Price: money(p.Price), RecordedAt: utc(p.At)}
		}
		return &pricesOutput{Body: Page[PricePoint]{Data: out}}, nil
	})

	register(api, public, huma.Operation{
		OperationID: "get-market-status", Method: http.MethodGet, Path: "/market/status", Tags: []string{"market"},
		Summary: "Whether the market is open, and the next open and close",
	}, func(_ context.Context, _ *struct{}) (*marketStatusOutput, error) {
		sess := s.svc.Market.Status()
		st := MarketStatus{
			Open: sess.Open, Status: "CLOSED", Now: s.svc.Now().UTC(), NextOpen: nullTime(sess.NextOpen),
			NextClose: utc(sess.NextClose), Timezone: domain.Seoul.String(), AlwaysOpen: s.svc.Calendar().Always,
		}
		if sess.Open {
			st.Status = "OPEN"
		}
		return &marketStatusOutput{Body: Envelope[MarketStatus]{st}}, nil
	})
}
