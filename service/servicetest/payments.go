package servicetest

import (
	"context"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// The payment test drives the real payment use cases over the store under
// test: whatever the engine, a paid payment that many callers verify at
// once (the browser's completion, PortOne's webhook and its retries, the
// workflow's polls) must credit exactly once, and a payment whose amount
// does not match what was prepared must never credit.

const (
	paymentRacers  = 30
	conformanceWon = 10_000
)

// stubGateway is PortOne reduced to what the test needs: it reports each
// payment it was told about as PAID for the amount it was told, and counts
// refunds. Webhooks never reach it.
type stubGateway struct {
	mu      sync.Mutex
	paid    map[string]int64
	cancels map[string]int
}

var _ ports.PaymentGateway = (*stubGateway)(nil)

func (g *stubGateway) pay(id string, amount int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paid[id] = amount
}

func (g *stubGateway) GetPayment(_ context.Context, id string) (domain.GatewayPayment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	amount, ok := g.paid[id]
	if !ok {
		return domain.GatewayPayment{}, domain.Errorf(domain.CodeNotFound, "no payment %s at the gateway", id)
	}
	return domain.GatewayPayment{
		ID: id, Status: domain.GatewayPaid, TransactionID: "tx-" + id, StoreID: g.StoreID(), Currency: "KRW",
		TotalAmount: amount, PaidAmount: amount, ChannelType: "TEST", PaidAt: time.Now().UTC(),
	}, nil
}

func (g *stubGateway) CancelPayment(_ context.Context, id, _, _ string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancels[id]++
	return nil
}

func (g *stubGateway) VerifyWebhook(map[string][]string, []byte, time.Time) (domain.WebhookEvent, error) {
	return domain.WebhookEvent{}, domain.Errorf(domain.CodeUnavailable, "the conformance gateway takes no webhooks")
}

func (g *stubGateway) StoreID() string    { return "store-conformance" }
func (g *stubGateway) ChannelKey() string { return "channel-conformance" }

// testPaymentFulfilOnce: 30 concurrent verifications of one PAID payment
// book exactly one DEPOSIT and credit once, on every engine; a payment
// paid with another amount is marked MISMATCHED, refunded and never
// credited.
func testPaymentFulfilOnce(f *fixture) {
	gw := &stubGateway{paid: map[string]int64{}, cancels: map[string]int{}}
	svc, err := service.New(service.Deps{
		Store: f.s, Clock: wallClock{}, IDs: uuidV7{}, Hasher: fakeHasher{}, Gateway: gw,
	}, service.Config{
		InitialCash: decimal.NewFromInt(10_000_000),
		Calendar:    &domain.Calendar{Always: true},
		Payments:    service.PaymentConfig{CashPerWon: decimal.NewFromInt(100)},
	})
	f.must(err)
	uid := f.serviceUsers(svc, "payer", 1)[0]
	prepare := func() string {
		f.Helper()
		p, err := svc.Payments.Prepare(f.ctx, uid, service.PrepareInput{Amount: decimal.NewFromInt(conformanceWon), OrderName: "가상머니 충전", Currency: "KRW"})
		f.must(err)
		return p.Payment.ID
	}
	// race runs n verifications together, as the completion call (half of
	// them) and the webhook or workflow poll (the other half) would.
	race := func(id string, n int) []domain.Payment {
		out := make([]domain.Payment, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				if i%2 == 0 {
					out[i], errs[i] = svc.Payments.Complete(f.ctx, uid, id)
				} else {
					out[i], errs[i] = svc.Payments.Sync(f.ctx, id)
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				f.Errorf("verification %d of payment %s: %v", i, id, err)
			}
		}
		return out
	}
	deposits := func(id string) int {
		f.Helper()
		rows, err := f.s.ListLedger(f.ctx, ports.LedgerFilter{AccountID: uid, Type: domain.TxDeposit, Limit: 1000})
		f.must(err)
		n := 0
		for _, r := range rows {
			if r.PaymentID == id {
				n++
			}
		}
		return n
	}

	paid := prepare()
	gw.pay(paid, conformanceWon)
	for i, p := range race(paid, paymentRacers) {
		if p.Status != domain.PaymentPaid {
			f.Errorf("verification %d answered %s, want PAID", i, p.Status)
		}
	}
	if n := deposits(paid); n != 1 {
		f.Errorf("%d DEPOSIT rows for one payment, want exactly 1", n)
	}
	a, err := f.s.GetAccount(f.ctx, uid)
	f.must(err)
	f.sameMoney("cash after the payment", a.Cash, dec("11000000"))
	p, err := f.s.GetPayment(f.ctx, paid)
	f.must(err)
	if p.Status != domain.PaymentPaid || !p.PaidAmount.Valid || p.PaidAmount.Decimal.IntPart() != conformanceWon || p.FulfilledAt.IsZero() {
		f.Errorf("paid payment %+v", p)
	}

	// The browser paid 100 won instead of 10,000.
	tampered := prepare()
	gw.pay(tampered, 100)
	for i, p := range race(tampered, paymentRacers/3) {
		if p.Status != domain.PaymentMismatched {
			f.Errorf("verification %d of the tampered payment answered %s, want MISMATCHED", i, p.Status)
		}
	}
	if n := deposits(tampered); n != 0 {
		f.Errorf("a mismatched payment booked %d DEPOSIT rows", n)
	}
	a, err = f.s.GetAccount(f.ctx, uid)
	f.must(err)
	f.sameMoney("cash after the tampered payment", a.Cash, dec("11000000"))
	gw.mu.Lock()
	refunds := gw.cancels[tampered]
	gw.mu.Unlock()
	if refunds == 0 {
		f.Error("the mismatched payment was not refunded")
	}

	rep, err := svc.Audit.Run(f.ctx)
	f.must(err)
	for _, v := range rep.Violations {
		f.Errorf("audit: %+v", v)
	}
}
