package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

type rollInput struct {
	Body *struct {
		Force bool `json:"force,omitempty" doc:"Roll again although today was rolled already."`
	}
}

// Roll is what a roll of the market day did.
type Roll struct {
	Date     string    `json:"date" example:"2026-03-03" doc:"The Seoul date rolled."`
	Rolled   bool      `json:"rolled" doc:"False when the date had been rolled before and force was not set: nothing changed."`
	RolledAt time.Time `json:"rolled_at"`
}

type rollOutput struct {
	Body Envelope[Roll]
}

func (s *server) registerMarketDay(api huma.API) {
	register(api, adminOnly, huma.Operation{
		OperationID: "roll-market-day", Method: http.MethodPost, Path: "/admin/market/roll", Tags: []string{"admin"},
		Summary:     "Roll the market day now",
		Description: "Starts today's trading day (Seoul date) as the market day does before the open: each listing's last price becomes its previous close, so the ±30% band moves, and the day's volume starts over. Once per date; `force` rolls again.",
	}, func(ctx context.Context, in *rollInput) (*rollOutput, error) {
		force := in.Body != nil && in.Body.Force
		r, err := s.svc.Market.Roll(ctx, "", force)
		if err != nil {
			return nil, err
		}
		return &rollOutput{Body: Envelope[Roll]{Roll{Date: r.Date, Rolled: r.Rolled, RolledAt: utc(r.RolledAt)}}}, nil
	})
}
