package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

type modifyOrderInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Quantity   *int64 `json:"quantity,omitempty" minimum:"1" maximum:"1000000" example:"5" doc:"The order's new total size in whole shares, filled ones included: more than what has filled. Omit to keep it."`
		LimitPrice Money  `json:"limit_price,omitempty" doc:"The new limit: a price on the KRX tick grid inside today's band. Omit to keep it."`
		AccountID  string `json:"account_id,omitempty" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); when given, the order must be in it."`
	}
}

func (s *server) registerModifyOrder(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "modify-order", Method: http.MethodPatch, Path: "/orders/{id}", Tags: []string{"orders"},
		Summary: "Modify a resting order's quantity or limit price",
		Description: "Changes the quantity, the limit price or both of a PENDING or PARTIALLY_FILLED order and answers the " +
			"modified order. The price is checked against the tick grid and today's band, and the reservation is taken " +
			"anew in the same transaction (422 when the cash or shares are not there). The order keeps its place in the " +
			"queue only when its quantity goes down and its price stays; any other change queues it behind the orders " +
			"already at its price. 409 when the order is already final; 422 when the new quantity is not above the " +
			"filled quantity, or nothing changes.",
	}, func(ctx context.Context, in *modifyOrderInput) (*orderOutput, error) {
		b := in.Body
		limit, err := b.LimitPrice.optional("limit_price")
		if err != nil {
			return nil, err
		}
		req := domain.ModifyRequest{LimitPrice: limit}
		if b.Quantity != nil {
			if *b.Quantity <= 0 {
				return nil, domain.FieldErrorf(domain.CodeInvalid, "quantity", "must be a positive whole number of shares, got %d", *b.Quantity)
			}
			req.Quantity = *b.Quantity
		}
		o, err := s.svc.Orders.Modify(ctx, target(ctx, b.AccountID), in.ID, req)
		if err != nil {
			return nil, err
		}
		return &orderOutput{Body: Envelope[Order]{orderDTO(o)}}, nil
	})
}
