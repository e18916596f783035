package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type watchlistOutput struct {
	Body Page[WatchItem]
}

type addWatchInput struct {
	Body struct {
		StockCode string `json:"stock_code" maxLength:"16" example:"005930"`
	}
}

type watchItemOutput struct {
	Body Envelope[WatchItem]
}

func (s *server) registerWatchlist(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "get-watchlist", Method: http.MethodGet, Path: "/watchlist", Tags: []string{"watchlist"},
		Summary: "The caller's watchlist with quotes",
	}, func(ctx context.Context, _ *struct{}) (*watchlistOutput, error) {
		items, err := s.svc.Watchlist.List(ctx, userID(ctx))
		if err != nil {
			return nil, err
		}
		out := make([]WatchItem, len(items))
		for i, w := range items {
			out[i] = watchDTO(w)
		}
		return &watchlistOutput{Body: Page[WatchItem]{Data: out}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "add-watch", Method: http.MethodPost, Path: "/watchlist", Tags: []string{"watchlist"},
		Summary: "Put a listing on the watchlist", DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *addWatchInput) (*watchItemOutput, error) {
		w, err := s.svc.Watchlist.Add(ctx, userID(ctx), in.Body.StockCode)
		if err != nil {
			return nil, err
		}
		return &watchItemOutput{Body: Envelope[WatchItem]{watchDTO(w)}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "remove-watch", Method: http.MethodDelete, Path: "/watchlist/{code}", Tags: []string{"watchlist"},
		Summary: "Take a listing off the watchlist", DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *stockCodeInput) (*struct{}, error) {
		if err := s.svc.Watchlist.Remove(ctx, userID(ctx), in.Code); err != nil {
			return nil, err
		}
		return &struct{}{}, nil
	})
}
