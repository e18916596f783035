package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/service"
)

type ledgerInput struct {
	AccountID string    `query:"account_id" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); the personal account when omitted."`
	Type      string    `query:"type" enum:"BUY,SELL,DEPOSIT,WITHDRAW,DIVIDEND,FEE,TAX,RESET"`
	StockCode string    `query:"stock_code" maxLength:"16"`
	From      time.Time `query:"from" doc:"Rows at or after this time (RFC 3339)."`
	To        time.Time `query:"to" doc:"Rows before this time (RFC 3339)."`
	Cursor    string    `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page, unchanged."`
	Limit     int       `query:"limit" minimum:"1" maximum:"200" doc:"Page size (default 50)."`
}

type ledgerOutput struct {
	Body Page[Transaction]
}

func (s *server) registerLedger(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "list-transactions", Method: http.MethodGet, Path: "/transactions", Tags: []string{"transactions"},
		Summary:     "The caller's ledger, newest first",
		Description: "One row per real movement of money: BUY, SELL, DEPOSIT, WITHDRAW. Placing, resting and cancelling orders write none.",
	}, func(ctx context.Context, in *ledgerInput) (*ledgerOutput, error) {
		after, err := readCursor(cursorTransactions, in.Cursor)
		if err != nil {
			return nil, err
		}
		rows, next, err := s.svc.Accounts.Transactions(ctx, target(ctx, in.AccountID), service.LedgerQuery{
			Type: in.Type, StockCode: in.StockCode, From: in.From, To: in.To, Cursor: after, Limit: in.Limit,
		})
		if err != nil {
			return nil, err
		}
		out := make([]Transaction, len(rows))
		for i, r := range rows {
			out[i] = transactionDTO(r)
		}
		return &ledgerOutput{Body: Page[Transaction]{Data: out, NextCursor: nextCursor(cursorTransactions, next)}}, nil
	})
}
