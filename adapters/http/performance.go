package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

type snapshotInput struct {
	Body struct {
		Date string `json:"date,omitempty" example:"2026-03-02" doc:"The Seoul date the snapshot is filed under; today when omitted."`
	}
}

// SnapshotResult says how many accounts a snapshot run wrote.
type SnapshotResult struct {
	Date     string `json:"date" example:"2026-03-02"`
	Accounts int64  `json:"accounts"`
}

type snapshotOutput struct {
	Body Envelope[SnapshotResult]
}

func (s *server) registerPerformance(api huma.API) {
	s.registerContests(api)
	register(api, adminOnly, huma.Operation{
		OperationID: "snapshot-equity", Method: http.MethodPost, Path: "/admin/snapshots", Tags: []string{"admin"},
		Summary: "Take the end-of-day equity snapshot now",
		Description: "Writes every account's cash, holdings value, equity and net external flow under the given Seoul date, " +
			"as they stand now (the market day does this after the close). Running it again for a date rewrites that date.",
	}, func(ctx context.Context, in *snapshotInput) (*snapshotOutput, error) {
		date := in.Body.Date
		if date == "" {
			date = domain.SeoulDate(s.svc.Now())
		}
		n, err := s.svc.Accounts.SnapshotEquity(ctx, date)
		if err != nil {
			return nil, err
		}
		return &snapshotOutput{Body: Envelope[SnapshotResult]{SnapshotResult{Date: date, Accounts: n}}}, nil
	})
}
