package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Auditor checks the books: every ledger and reservation invariant of every
// user, and which rows need a running workflow.
type Auditor struct{ *core }

// Violation is one broken invariant.
type Violation struct {
	AccountID string
	Rule      string
	Detail    string
}

func (v Violation) String() string {
	return fmt.Sprintf("account %s: %s: %s", v.AccountID, v.Rule, v.Detail)
}

// AuditReport is the outcome of Auditor.Run.
type AuditReport struct {
	Accounts   int
	Violations []Violation
}

// Run checks the ledger and reservation invariants of every account:
//
//   - cash equals deposits minus withdrawals minus buys (amount and
//     commission) plus sells (amount less commission and tax), from the
//     ledger;
//   - the ledger is a chain: each row starts where the previous ended, and
//     the newest row ends at the account's cash;
//   - each holding's quantity = Σ bought − Σ sold, from the executions;
//   - reserved cash = Σ open buy reservations;
//   - reserved quantity = Σ open sell remainders;
//   - nothing is negative.
//
// Each account is read under its lock (see Account), so trades in flight
// never show up as violations.
func (s *Auditor) Run(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	after := ""
	for {
		ids, err := s.store.ListAccountIDs(ctx, after, 500)
		if err != nil {
			return rep, err
		}
		if len(ids) == 0 {
			return rep, nil
		}
		for _, id := range ids {
			vs, err := s.Account(ctx, id)
			if err != nil {
				return rep, err
			}
			rep.Accounts++
			rep.Violations = append(rep.Violations, vs...)
		}
		after = ids[len(ids)-1]
	}
}

// OpenWork calls onOrder for every open order and onPayment for every
// payment still open: the rows that must each have a running workflow.
func (s *Auditor) OpenWork(ctx context.Context, onOrder func(domain.Order), onPayment func(domain.Payment)) error {
	after := ""
	for {
		ids, err := s.store.ListAccountIDs(ctx, after, 500)
		if err != nil || len(ids) == 0 {
			break
		}
		for _, id := range ids {
			orders, err := s.store.ListOpenOrders(ctx, id)
			if err != nil {
				return err
			}
			for _, o := range orders {
				onOrder(o)
			}
		}
		after = ids[len(ids)-1]
	}
	after = ""
	for {
		ids, err := s.store.ListUserIDs(ctx, after, 500)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			before := ""
			for {
				ps, err := s.store.ListPayments(ctx, id, before, 200)
				if err != nil {
					return err
				}
				for _, p := range ps {
					if !p.Status.Final() {
						onPayment(p)
					}
				}
				if len(ps) < 200 {
					break
				}
				before = ps[len(ps)-1].ID
			}
		}
		after = ids[len(ids)-1]
	}
}

// Account checks one account's invariants. It reads the account's rows in
// one transaction that holds the account's lock: every change of an
// account's money, holdings and orders locks the account first, so what it
// reads is one consistent state even while trades go on.
func (s *Auditor) Account(ctx context.Context, accountID string) ([]Violation, error) {
	var out []Violation
	// A long ledger can take longer to read than a request's bound.
	err := s.store.WithinTx(ports.WithBulkTimeout(ctx, time.Minute), func(ctx context.Context, tx ports.Tx) error {
		var err error
		out, err = s.account(ctx, tx, accountID)
		return err
	})
	return out, err
}

func (s *Auditor) account(ctx context.Context, tx ports.Tx, accountID string) ([]Violation, error) {
	var out []Violation
	bad := func(rule, format string, args ...any) {
		out = append(out, Violation{AccountID: accountID, Rule: rule, Detail: fmt.Sprintf(format, args...)})
	}
	a, err := tx.LockAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}

	// Ledger, oldest first.
	var ledger []domain.LedgerEntry
	before := ""
	for {
		rows, err := tx.ListLedger(ctx, ports.LedgerFilter{AccountID: accountID, Before: before, Limit: 1000})
		if err != nil {
			return nil, err
		}
		ledger = append(ledger, rows...)
		if len(rows) < 1000 {
			break
		}
		before = rows[len(rows)-1].ID
	}
	// Order by the account's own sequence, not by id or time: rows written
	// by processes with different clocks still sort exactly.
	slices.SortFunc(ledger, func(x, y domain.LedgerEntry) int { return cmp.Compare(x.Seq, y.Seq) })
	sum := decimal.Zero
	// A reset clears the holdings: only executions after the last one
	// count toward them.
	var resetAt time.Time
	for i, l := range ledger {
		switch l.Type {
		case domain.TxDeposit, domain.TxWithdraw, domain.TxBuy, domain.TxSell, domain.TxDividend, domain.TxTax:
		case domain.TxReset:
			resetAt = l.CreatedAt
		default:
			bad("ledger-type", "row %s has unexpected type %s", l.ID, l.Type)
		}
		delta := ledgerDelta(l)
		sum = sum.Add(delta)
		if l.Seq != int64(i+1) {
			bad("ledger-seq", "row %s has sequence %d where %d was expected", l.ID, l.Seq, i+1)
		}
		if i > 0 && !l.CashBalanceBefore.Equal(ledger[i-1].CashBalanceAfter) {
			bad("ledger-chain", "row %s starts at %s but the previous row %s ended at %s", l.ID, l.CashBalanceBefore, ledger[i-1].ID, ledger[i-1].CashBalanceAfter)
		}
		if !l.CashBalanceAfter.Sub(l.CashBalanceBefore).Equal(delta) {
			bad("ledger-row", "row %s moves the balance from %s to %s, which does not match its %s amount", l.ID, l.CashBalanceBefore, l.CashBalanceAfter, l.Type)
		}
	}
	if !sum.Equal(a.Cash) {
		bad("cash-sum", "cash is %s but the ledger sums to %s", a.Cash, sum)
	}
	if n := int64(len(ledger)); n != a.LedgerSeq {
		bad("ledger-seq", "the account counts %d ledger rows but %d exist", a.LedgerSeq, n)
	}
	if n := len(ledger); n > 0 && !ledger[n-1].CashBalanceAfter.Equal(a.Cash) {
		bad("cash-last", "cash is %s but the newest ledger row %s ends at %s", a.Cash, ledger[n-1].ID, ledger[n-1].CashBalanceAfter)
	} else if n == 0 && !a.Cash.IsZero() {
		bad("cash-last", "cash is %s with no ledger rows", a.Cash)
	}

	// Executions → expected quantity per listing.
	qty := map[string]int64{}
	after := ""
	for {
		exs, err := tx.ListAccountExecutions(ctx, accountID, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range exs {
			if !e.ExecutedAt.After(resetAt) {
				continue
			}
			if e.Side == domain.Buy {
				qty[e.StockCode] += e.Quantity
			} else {
				qty[e.StockCode] -= e.Quantity
			}
		}
		if len(exs) < 1000 {
			break
		}
		after = exs[len(exs)-1].ID
	}

	// Open orders → expected reservations.
	open, err := tx.ListOpenOrders(ctx, accountID)
	if err != nil {
		return nil, err
	}
	reservedCash := decimal.Zero
	reservedQty := map[string]int64{}
	for _, o := range open {
		if o.Side == domain.Buy {
			reservedCash = reservedCash.Add(o.ReservedAmount)
		} else {
			reservedQty[o.StockCode] += o.Quantity - o.FilledQuantity
		}
	}
	if !reservedCash.Equal(a.ReservedCash) {
		bad("reserved-cash", "reserved cash is %s but open buy orders reserve %s", a.ReservedCash, reservedCash)
	}
	for name, v := range map[string]decimal.Decimal{"cash": a.Cash, "reserved cash": a.ReservedCash, "available cash": a.Available()} {
		if v.IsNegative() {
			bad("negative", "%s is %s", name, v)
		}
	}

	holdings, err := tx.ListHoldings(ctx, accountID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, h := range holdings {
		seen[h.StockCode] = true
		if h.Quantity != qty[h.StockCode] {
			bad("holding-quantity", "%s: holding is %d shares but executions add up to %d", h.StockCode, h.Quantity, qty[h.StockCode])
		}
		if h.ReservedQuantity != reservedQty[h.StockCode] {
			bad("reserved-quantity", "%s: %d shares reserved but open sell orders hold %d", h.StockCode, h.ReservedQuantity, reservedQty[h.StockCode])
		}
		if h.Quantity < 0 || h.ReservedQuantity < 0 || h.Available() < 0 {
			bad("negative", "%s: quantity %d, reserved %d", h.StockCode, h.Quantity, h.ReservedQuantity)
		}
	}
	for code, q := range qty {
		if q != 0 && !seen[code] {
			bad("holding-quantity", "%s: no holding but executions add up to %d shares", code, q)
		}
	}
	for code, q := range reservedQty {
		if q != 0 && !seen[code] {
			bad("reserved-quantity", "%s: no holding but open sell orders hold %d shares", code, q)
		}
	}
	return out, nil
}

// ledgerDelta is how much a ledger row changes the cash balance.
func ledgerDelta(l domain.LedgerEntry) decimal.Decimal {
	switch l.Type {
	case domain.TxDeposit, domain.TxReset:
		return l.Amount
	case domain.TxWithdraw:
		return l.Amount.Neg()
	case domain.TxBuy:
		return l.Amount.Add(l.Commission).Neg()
	case domain.TxSell:
		return l.Amount.Sub(l.Commission).Sub(l.Tax)
	case domain.TxDividend:
		return l.Amount
	case domain.TxTax:
		return l.Amount.Neg()
	}
	return decimal.Zero
}
