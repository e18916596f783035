package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/service"
)

type upsertStockInput struct {
	Code string `path:"code" example:"005930"`
	Body struct {
		Name      string `json:"name,omitempty" maxLength:"100" example:"삼성전자"`
		NameEn    string `json:"name_en,omitempty" maxLength:"100" example:"Samsung Electronics"`
		Market    string `json:"market,omitempty" enum:"KOSPI,KOSDAQ"`
		Price     Money  `json:"price,omitempty" doc:"Required for a new listing; on the tick grid."`
		PrevClose Money  `json:"prev_close,omitempty" doc:"Base of the day's ±30% band; defaults to price for a new listing."`
		Active    *bool  `json:"active,omitempty" doc:"Inactive listings cannot be traded."`
	}
}

type tickInput struct {
	Code string `path:"code" example:"005930"`
	Body struct {
		Price  Money  `json:"price"`
		Volume *int64 `json:"volume,omitempty" minimum:"0" example:"100" doc:"Shares traded; omitted: MARKET_DEPTH."`
		Bid    Money  `json:"bid,omitempty" doc:"Best bid after the trade, on the tick grid."`
		Ask    Money  `json:"ask,omitempty" doc:"Best ask after the trade, on the tick grid."`
	}
}

// TickResult is a recorded price and the resting orders it filled.
type TickResult struct {
	Stock        Stock `json:"stock"`
	FilledOrders int   `json:"filled_orders"`
}

type tickOutput struct {
	Body Envelope[TickResult]
}

func (s *server) registerAdmin(api huma.API) {
	register(api, adminOnly, huma.Operation{
		OperationID: "upsert-stock", Method: http.MethodPut, Path: "/admin/stocks/{code}", Tags: []string{"admin"},
		Summary:     "Create or update a listing",
		Description: "Omitted fields keep their value. A new listing needs name and price.",
	}, func(ctx context.Context, in *upsertStockInput) (*stockOutput, error) {
		b := in.Body
		price, err := b.Price.optional("price")
		if err != nil {
			return nil, err
		}
		prev, err := b.PrevClose.optional("prev_close")
		if err != nil {
			return nil, err
		}
		st, err := s.svc.Market.Upsert(ctx, service.StockInput{
			Code: in.Code, Name: b.Name, NameEn: b.NameEn, Market: b.Market,
			Price: price, PrevClose: prev, Active: b.Active,
		})
		if err != nil {
			return nil, err
		}
		return &stockOutput{Body: Envelope[Stock]{stockDTO(st)}}, nil
	})

	register(api, adminOnly, huma.Operation{
		OperationID: "tick-stock-price", Method: http.MethodPut, Path: "/admin/stocks/{code}/price", Tags: []string{"admin"},
		Summary:     "Record a trade",
		Description: "Records a trade the way a market feed's trades are recorded: the price (on the tick grid, inside the day's band), its volume and the best quotes after it; then fills every resting limit order it crosses.",
	}, func(ctx context.Context, in *tickInput) (*tickOutput, error) {
		price, err := in.Body.Price.required("price")
		if err != nil {
			return nil, err
		}
		bid, err := in.Body.Bid.optional("bid")
		if err != nil {
			return nil, err
		}
		ask, err := in.Body.Ask.optional("ask")
		if err != nil {
			return nil, err
		}
		n, err := s.svc.Market.Trade(ctx, service.TradeInput{
			Code: in.Code, Price: price, Volume: in.Body.Volume, Bid: bid, Ask: ask,
		})
		if err != nil {
			return nil, err
		}
		st, err := s.svc.Market.Stock(ctx, in.Code)
		if err != nil {
			return nil, err
		}
		return &tickOutput{Body: Envelope[TickResult]{TickResult{Stock: stockDTO(st), FilledOrders: n}}}, nil
	})
}
