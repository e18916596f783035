package domain

import (
	"time"

	"github.com/shopspring/decimal"
)

// PaymentStatus is StocKing's own view of a PortOne payment.
type PaymentStatus string

// Payment statuses. PREPARED and AWAITING_DEPOSIT are open; the rest are
// final.
const (
	PaymentPrepared        PaymentStatus = "PREPARED"
	PaymentAwaitingDeposit PaymentStatus = "AWAITING_DEPOSIT"
	PaymentPaid            PaymentStatus = "PAID"
	PaymentMismatched      PaymentStatus = "MISMATCHED"
	PaymentFailed          PaymentStatus = "FAILED"
	PaymentCancelled       PaymentStatus = "CANCELLED"
	PaymentExpired         PaymentStatus = "EXPIRED"
)

// Final reports whether the payment can no longer change.
func (s PaymentStatus) Final() bool {
	return s != PaymentPrepared && s != PaymentAwaitingDeposit
}

// Product is what a payment buys.
type Product string

// Products.
const (
	// ProductCash tops up virtual cash.
	ProductCash Product = "CASH"
	// ProductPremium extends the premium subscription.
	ProductPremium Product = "PREMIUM"
)

// Payment is a real-money purchase through PortOne.
type Payment struct {
	ID        string // PortOne paymentId chosen by StocKing
	UserID    string
	Product   Product
	OrderName string
	Amount    decimal.Decimal // what the user must pay, in the currency's unit
	Currency  string
	Status    PaymentStatus
	// CreditAmount is the virtual cash a CASH payment books when paid.
	CreditAmount decimal.Decimal
	// PremiumDays is what a PREMIUM payment adds to premium_until.
	PremiumDays int
	// PaidAmount and PaidCurrency are what PortOne reported; set once
	// the payment was seen paid (or mismatched).
	PaidAmount    decimal.NullDecimal
	PaidCurrency  string
	TransactionID string
	Reason        string // why a payment failed, mismatched or expired
	FulfilledAt   time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// GatewayStatus is a payment's status at PortOne.
type GatewayStatus string

// Statuses of the PortOne Payment object; unknown future ones come through
// as they are.
const (
	GatewayReady                GatewayStatus = "READY"
	GatewayPayPending           GatewayStatus = "PAY_PENDING"
	GatewayVirtualAccountIssued GatewayStatus = "VIRTUAL_ACCOUNT_ISSUED"
	GatewayPaid                 GatewayStatus = "PAID"
	GatewayFailed               GatewayStatus = "FAILED"
	GatewayPartialCancelled     GatewayStatus = "PARTIAL_CANCELLED"
	GatewayCancelled            GatewayStatus = "CANCELLED"
)

// GatewayPayment is the part of PortOne's Payment object StocKing acts on.
type GatewayPayment struct {
	ID            string
	Status        GatewayStatus
	TransactionID string
	StoreID       string
	OrderName     string
	Currency      string
	// TotalAmount is amount.total in the currency's minor unit (won).
	TotalAmount     int64
	PaidAmount      int64
	CancelledAmount int64
	// ChannelType is LIVE or TEST; "" when PortOne sent no channel.
	ChannelType string
	// VirtualAccountExpiresAt is set for issued virtual accounts.
	VirtualAccountExpiresAt time.Time
	FailureReason           string
	PaidAt                  time.Time
}

// WebhookEvent is a verified PortOne webhook.
type WebhookEvent struct {
	ID            string // webhook-id header
	Type          string // e.g. Transaction.Paid; unknown types are kept
	PaymentID     string // "" for non-payment events
	TransactionID string
	StoreID       string
	Timestamp     time.Time
}
