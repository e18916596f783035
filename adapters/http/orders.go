package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// The schema bounds below repeat the domain's limits because struct tags
// must be literals; these constants stop the build if the two ever differ.
const (
	_ = uint(domain.MaxOrderQuantity - 1_000_000)
	_ = uint(1_000_000 - domain.MaxOrderQuantity)
	_ = uint(domain.MaxClientOrderIDLen - 64)
	_ = uint(64 - domain.MaxClientOrderIDLen)
)

type placeOrderInput struct {
	Body struct {
		StockCode     string `json:"stock_code" maxLength:"16" example:"005930"`
		Side          string `json:"side" enum:"BUY,SELL"`
		Type          string `json:"type" enum:"MARKET,LIMIT,STOP,STOP_LIMIT"`
		Quantity      int64  `json:"quantity" minimum:"1" maximum:"1000000" example:"10" doc:"Whole shares."`
		LimitPrice    Money  `json:"limit_price,omitempty" doc:"LIMIT and STOP_LIMIT orders only: a price on the KRX tick grid inside today's band."`
		StopPrice     Money  `json:"stop_price,omitempty" doc:"STOP and STOP_LIMIT orders only: the trigger, on the tick grid inside today's band and not yet reached (a BUY stop above the last trade, a SELL stop below it)."`
		TimeInForce   string `json:"time_in_force,omitempty" enum:"DAY,GTC,IOC,FOK" doc:"DAY (the default for resting types) or GTC for LIMIT, STOP and STOP_LIMIT orders; IOC (fill what the quote allows now, cancel the rest) or FOK (all now, or REJECTED) for MARKET and LIMIT orders. A MARKET order without one must fill whole or is refused."`
		ClientOrderID string `json:"client_order_id,omitempty" maxLength:"64" doc:"Makes placement idempotent: the same id answers the original order with status 200."`
		AccountID     string `json:"account_id,omitempty" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); the personal account when omitted."`
	}
}

type placeOrderOutput struct {
	Status int
	Body   Envelope[Order]
}

type orderOutput struct {
	Body Envelope[Order]
}

type orderIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type listOrdersInput struct {
	AccountID string `query:"account_id" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); the personal account when omitted."`
	Status    string `query:"status" enum:"PENDING,PARTIALLY_FILLED,FILLED,CANCELLED,EXPIRED,REJECTED"`
	StockCode string `query:"stock_code" maxLength:"16"`
	Side      string `query:"side" enum:"BUY,SELL"`
	Cursor    string `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page, unchanged."`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

type ordersOutput struct {
	Body Page[Order]
}

func (s *server) registerOrders(api huma.API) {
	op := huma.Operation{
		OperationID: "place-order", Method: http.MethodPost, Path: "/orders", Tags: []string{"orders"},
		Summary: "Place an order",
		Description: "A MARKET order executes at once at the quote: a BUY pays the ask, a SELL receives the bid, and each " +
			"further MARKET_DEPTH shares cost one tick more, never past today's band (an order that would pass it is " +
			"refused with 422 naming the largest size that fits); every level is one execution. IOC and FOK orders " +
			"(MARKET or LIMIT) take the quote the same way, up to their limit: IOC keeps what traded and ends CANCELLED, " +
			"FOK trades whole or is recorded REJECTED and answered 422. A DAY or GTC LIMIT order that reaches the quote " +
			"on arrival (a BUY limited at or above the ask, a SELL at or below the bid) takes it the same way up to its " +
			"limit, and the rest rests at its limit as PARTIALLY_FILLED (refused whole, 422, when the cash or shares do " +
			"not cover the takes and the rest). Any other LIMIT order reserves cash (BUY) or shares (SELL) and rests " +
			"until a trade crosses it, it is cancelled, or (DAY) it expires at the close. STOP and STOP_LIMIT orders rest until a " +
			"trade reaches their stop_price, then execute as a MARKET order or rest as a LIMIT one; a STOP BUY " +
			"reserves at the top of the band.",
		DefaultStatus: http.StatusCreated,
		Responses: map[string]*huma.Response{
			"200": {
				Description: "client_order_id matched an earlier identical order, which is returned unchanged.",
				Content: map[string]*huma.MediaType{"application/json": {
					Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Envelope[Order]](), true, "EnvelopeOrder"),
				}},
			},
		},
	}
	register(api, signedIn, op, func(ctx context.Context, in *placeOrderInput) (*placeOrderOutput, error) {
		b := in.Body
		limit, err := b.LimitPrice.optional("limit_price")
		if err != nil {
			return nil, err
		}
		stop, err := b.StopPrice.optional("stop_price")
		if err != nil {
			return nil, err
		}
		res, err := s.svc.Orders.Place(ctx, target(ctx, b.AccountID), domain.OrderRequest{
			ClientOrderID: b.ClientOrderID, StockCode: b.StockCode, Side: domain.Side(b.Side),
			Type: domain.OrderType(b.Type), TimeInForce: domain.TimeInForce(b.TimeInForce),
			Quantity: b.Quantity, LimitPrice: limit, StopPrice: stop,
		})
		if err != nil {
			return nil, err
		}
		status := http.StatusCreated
		if !res.Created {
			status = http.StatusOK
		}
		return &placeOrderOutput{Status: status, Body: Envelope[Order]{orderDTO(res.Order)}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "list-orders", Method: http.MethodGet, Path: "/orders", Tags: []string{"orders"},
		Summary: "The caller's orders, newest first, with executions",
	}, func(ctx context.Context, in *listOrdersInput) (*ordersOutput, error) {
		after, err := readCursor(cursorOrders, in.Cursor)
		if err != nil {
			return nil, err
		}
		orders, next, err := s.svc.Orders.List(ctx, target(ctx, in.AccountID), service.OrderQuery{
			Status: in.Status, StockCode: in.StockCode, Side: in.Side, Cursor: after, Limit: in.Limit,
		})
		if err != nil {
			return nil, err
		}
		out := make([]Order, len(orders))
		for i, o := range orders {
			out[i] = orderDTO(o)
		}
		return &ordersOutput{Body: Page[Order]{Data: out, NextCursor: nextCursor(cursorOrders, next)}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-order", Method: http.MethodGet, Path: "/orders/{id}", Tags: []string{"orders"},
		Summary: "One of the caller's orders with its executions",
	}, func(ctx context.Context, in *orderIDInput) (*orderOutput, error) {
		o, err := s.svc.Orders.Get(ctx, userID(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &orderOutput{Body: Envelope[Order]{orderDTO(o)}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "cancel-order", Method: http.MethodPost, Path: "/orders/{id}/cancel", Tags: []string{"orders"},
		Summary:     "Cancel a resting order",
		Description: "Answers the CANCELLED order and releases its reservation, or 409 when the order is already final (filled, cancelled or expired).",
	}, func(ctx context.Context, in *orderIDInput) (*orderOutput, error) {
		o, err := s.svc.Orders.Cancel(ctx, userID(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &orderOutput{Body: Envelope[Order]{orderDTO(o)}}, nil
	})
}
