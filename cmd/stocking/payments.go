package main

import (
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/adapters/portone/portonefake"
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
	case m.Options.FakePortOne && m.ln != nil:
		// The fake lives on the API's own server (mountPayments), whose
		// address is known because Run binds the listener before Open.
		secret := portonefake.GenerateSecret()
		fake, err := portonefake.New(portonefake.Config{
			StoreID: cfg.PortOneStoreID, ChannelKey: cfg.PortOneChannelKey,
			WebhookSecrets: []string{secret}, Logger: m.Logger.With("component", "portone-fake"),
			WebhookURLs: []string{m.URL() + webhookPath},
		})
		if err != nil {
			return nil, err
		}
		fc := fake.Config()
		c, err := portone.New(portone.Config{
			BaseURL: m.URL() + portoneFakePrefix, APISecret: fc.APISecret, StoreID: fc.StoreID,
			ChannelKey: fc.ChannelKey, WebhookSecrets: []string{secret},
			// The fake answers at once; a short timeout keeps a request that
			// races shutdown from holding it up.
			Timeout: 10 * time.Second,
		})
		if err != nil {
			fake.Close()
			return nil, err
		}
		m.PortOneFake = fake
		m.Logger.Info("payments through a local fake PortOne (no money moves): prepare a payment, then open the checkout page with its payment_id, amount and order_name to pay, fail or issue a virtual account",
			"checkout", m.PortOneCheckoutURL(), "webhooks_to", m.URL()+webhookPath)
		return c, nil
	}
	if m.Options.API || m.Options.Worker {
		m.Logger.Info("payments are disabled: set PORTONE_V2_API_SECRET (and PORTONE_WEBHOOK_SECRET) to take PortOne payments")
	}
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

// PortOneCheckoutURL is the fake PortOne's payment window, "" when this
// process runs none. Append paymentId, amount and orderName from a
// prepared payment to pay it by hand.
func (m *Main) PortOneCheckoutURL() string {
	if m.PortOneFake == nil || m.ln == nil {
		return ""
	}
	return m.URL() + portoneFakePrefix + "/__fake/checkout"
}
