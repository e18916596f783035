package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

// Where the pieces of the payment flow live on the API's own server.
const (
	// portoneFakePrefix is where `stocking dev` mounts its stand-in for
	// PortOne when no PortOne secret is configured.
	portoneFakePrefix = "/portone-fake"
	// webhookPath is the PortOne webhook endpoint the API serves.
	webhookPath = httpapi.BasePath + "/payments/portone/webhook"
)

// PaymentConfig is the service's payment settings from the environment.
// Test-channel payments never credit a production balance.
func (c Config) PaymentConfig() service.PaymentConfig {
	return service.PaymentConfig{
		CashPerWon:         c.CashPerWon,
		PremiumPrice:       c.PremiumPrice,
		PremiumDays:        c.PremiumDays,
		RequireLiveChannel: c.Env == "production",
	}
}

// openPayments chooses the payment gateway: PortOne itself when
// PORTONE_V2_API_SECRET is set; the in-process fake when this command runs
// one (`stocking dev`) and serves HTTP to mount it on; otherwise none, and
// the payment endpoints answer 503. The result is an untyped nil in the
// last case, because a nil client in a non-nil interface would make the
// service believe payments are on.
func (m *Main) openPayments() (ports.PaymentGateway, error) {
	cfg := m.Config
	switch {
	case cfg.PortOneAPISecret != "":
		var secrets []string
		if cfg.PortOneWebhookSecret != "" {
			secrets = []string{cfg.PortOneWebhookSecret}
		}
		c, err := portone.New(portone.Config{
			BaseURL: cfg.PortOneAPIBase, APISecret: cfg.PortOneAPISecret, StoreID: cfg.PortOneStoreID,
			ChannelKey: cfg.PortOneChannelKey, WebhookSecrets: secrets,
		})
		if err != nil {
			return nil, err
		}
		if len(secrets) == 0 {
			m.Logger.Warn("PORTONE_WEBHOOK_SECRET is unset: PortOne webhooks are refused and payments are found by completion calls and polling only")
		}
		m.Logger.Info("payments through PortOne", "api", cfg.PortOneAPIBase, "store_id", cfg.PortOneStoreID, "live_channel_required", cfg.Env == "production")
		return c, nil
	case m.Options.FakePortOne && m.Options.API:
		secret := portonefake.GenerateSecret()
		fake, err := portonefake.New(portonefake.Config{
			StoreID: cfg.PortOneStoreID, ChannelKey: cfg.PortOneChannelKey,
			WebhookSecrets: []string{secret}, Logger: m.Logger.With("component", "portone-fake"),
		})
		if err != nil {
			return nil, err
		}
		fc := fake.Config()
		m.PortOneFake = fake
		m.devGateway = &lateGateway{storeID: fc.StoreID, channelKey: fc.ChannelKey, secret: secret}
		return m.devGateway, nil
	}
	m.Logger.Info("payments are disabled: set PORTONE_V2_API_SECRET (and PORTONE_WEBHOOK_SECRET) to take PortOne payments")
	return nil, nil
}

// mountPayments puts the fake PortOne, when there is one, on the API's
// server, so that `stocking dev` needs no second port and the API reaches
// it (and it the webhook) over real HTTP.
func (m *Main) mountPayments(r chi.Router, _ huma.API) {
	if m.PortOneFake != nil {
		r.Mount(portoneFakePrefix, http.StripPrefix(portoneFakePrefix, m.PortOneFake))
	}
}

// startPayments connects the fake PortOne and the client once the API
// listens, since only then is the address known (PORT=0 in tests).
func (m *Main) startPayments() error {
	if m.PortOneFake == nil || m.devGateway == nil {
		return nil
	}
	fc := m.PortOneFake.Config()
	c, err := portone.New(portone.Config{
		BaseURL: m.URL() + portoneFakePrefix, APISecret: fc.APISecret, StoreID: fc.StoreID,
		ChannelKey: fc.ChannelKey, WebhookSecrets: []string{m.devGateway.secret},
		// The fake answers at once; a short timeout keeps a request that
		// races shutdown from holding it up.
		Timeout: 10 * time.Second,
	})
	if err != nil {
		return err
	}
	m.devGateway.client.Store(c)
	m.PortOneFake.SetWebhookURLs(m.URL() + webhookPath)
	m.Logger.Info("payments through a local fake PortOne (no money moves): prepare a payment, then open the checkout page with its payment_id, amount and order_name to pay, fail or issue a virtual account",
		"checkout", m.PortOneCheckoutURL(), "webhooks_to", m.URL()+webhookPath)
	return nil
}

// PortOneCheckoutURL is the fake PortOne's payment window, "" when this
// process runs none. Append paymentId, amount and orderName from a
// prepared payment to pay it by hand.
func (m *Main) PortOneCheckoutURL() string {
	if m.PortOneFake == nil || m.ln == nil {
		return ""
	}
	return m.URL() + portoneFakePrefix + "/__fake/checkout"
}

// lateGateway is the client of the in-process fake PortOne. The service
// needs its gateway when it is built, before the API listens, but the
// fake's address is the API's own, known only after; until then the
// gateway reports PortOne as unavailable.
type lateGateway struct {
	storeID, channelKey, secret string
	client                      atomic.Pointer[portone.Client]
}

var _ ports.PaymentGateway = (*lateGateway)(nil)

func (g *lateGateway) get() (*portone.Client, error) {
	if c := g.client.Load(); c != nil {
		return c, nil
	}
	return nil, domain.Errorf(domain.CodeUnavailable, "the development PortOne is not listening yet; try again in a moment")
}

// GetPayment asks the fake.
func (g *lateGateway) GetPayment(ctx context.Context, paymentID string) (domain.GatewayPayment, error) {
	c, err := g.get()
	if err != nil {
		return domain.GatewayPayment{}, err
	}
	return c.GetPayment(ctx, paymentID)
}

// CancelPayment refunds at the fake.
func (g *lateGateway) CancelPayment(ctx context.Context, paymentID, reason, idempotencyKey string) error {
	c, err := g.get()
	if err != nil {
		return err
	}
	return c.CancelPayment(ctx, paymentID, reason, idempotencyKey)
}

// VerifyWebhook checks a webhook the fake signed.
func (g *lateGateway) VerifyWebhook(header map[string][]string, body []byte, now time.Time) (domain.WebhookEvent, error) {
	c, err := g.get()
	if err != nil {
		return domain.WebhookEvent{}, err
	}
	return c.VerifyWebhook(header, body, now)
}

// StoreID is the fake's store.
func (g *lateGateway) StoreID() string { return g.storeID }

// ChannelKey is the fake's channel key.
func (g *lateGateway) ChannelKey() string { return g.channelKey }
