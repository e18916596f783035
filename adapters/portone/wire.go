package portone

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stocking-kr/stocking/domain"
)

// wireInt is a money amount in the minor unit. It accepts a JSON integer or
// an integer in a string, and null as zero; a fraction is an error, because
// rounding someone's money silently is worse than refusing the response.
type wireInt int64

func (n *wireInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*n = 0
		return nil
	}
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("amount %s is not an integer", string(b))
	}
	*n = wireInt(v)
	return nil
}

// wireTime is an RFC 3339 time that never fails decoding: PortOne does not
// promise the fraction digits, and a timestamp StocKing only displays must
// not make a payment unreadable. An unparseable value is the zero time.
// Parsed times are in UTC so that equal instants compare equal.
type wireTime struct{ time.Time }

func (t *wireTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil || s == "" {
		t.Time = time.Time{}
		return nil
	}
	if v, err := time.Parse(time.RFC3339, s); err == nil {
		t.Time = v.UTC()
	}
	return nil
}

// wirePayment is the subset of PortOne's Payment object StocKing reads.
// The nested objects whose details are secondary stay raw and are decoded
// separately, so an unexpected shape there cannot hide the status or the
// amount.
type wirePayment struct {
	Status        string `json:"status"`
	ID            string `json:"id"`
	TransactionID string `json:"transactionId"`
	StoreID       string `json:"storeId"`
	OrderName     string `json:"orderName"`
	Currency      string `json:"currency"`
	Amount        struct {
		Total     wireInt `json:"total"`
		Paid      wireInt `json:"paid"`
		Cancelled wireInt `json:"cancelled"`
	} `json:"amount"`
	Channel json.RawMessage `json:"channel"`
	Method  json.RawMessage `json:"method"`
	Failure json.RawMessage `json:"failure"`
	PaidAt  wireTime        `json:"paidAt"`
}

func decodePayment(raw []byte) (domain.GatewayPayment, error) {
	var w wirePayment
	if err := json.Unmarshal(raw, &w); err != nil {
		return domain.GatewayPayment{}, err
	}
	p := domain.GatewayPayment{
		ID:            w.ID,
		Status:        domain.GatewayStatus(w.Status),
		TransactionID: w.TransactionID,
		StoreID:       w.StoreID,
		OrderName:     w.OrderName,
		// Old SDK snippets say CURRENCY_KRW; the REST API says KRW. Comparing
		// against the prepared currency must not trip over the spelling.
		Currency:        strings.TrimPrefix(w.Currency, "CURRENCY_"),
		TotalAmount:     int64(w.Amount.Total),
		PaidAmount:      int64(w.Amount.Paid),
		CancelledAmount: int64(w.Amount.Cancelled),
		PaidAt:          w.PaidAt.Time,
	}
	var channel struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(w.Channel, &channel) == nil {
		p.ChannelType = channel.Type
	}
	var method struct {
		Type      string   `json:"type"`
		ExpiredAt wireTime `json:"expiredAt"`
	}
	if json.Unmarshal(w.Method, &method) == nil {
		p.VirtualAccountExpiresAt = method.ExpiredAt.Time
	}
	var failure struct {
		Reason    string `json:"reason"`
		PGCode    string `json:"pgCode"`
		PGMessage string `json:"pgMessage"`
	}
	if json.Unmarshal(w.Failure, &failure) == nil {
		// All three are optional; the PG's own message is better than
		// nothing when PortOne gave no reason.
		p.FailureReason = failure.Reason
		if p.FailureReason == "" {
			p.FailureReason = failure.PGMessage
		}
	}
	return p, nil
}

// wireCancelRequest is the cancel body; omitempty leaves PortOne's
// defaults in force for everything the caller did not set.
type wireCancelRequest struct {
	Reason                   string `json:"reason"`
	StoreID                  string `json:"storeId,omitempty"`
	Amount                   int64  `json:"amount,omitempty"`
	TaxFreeAmount            int64  `json:"taxFreeAmount,omitempty"`
	CurrentCancellableAmount int64  `json:"currentCancellableAmount,omitempty"`
	Requester                string `json:"requester,omitempty"`
	SkipWebhook              bool   `json:"skipWebhook,omitempty"`
}

type wireCancellation struct {
	Status           string   `json:"status"`
	ID               string   `json:"id"`
	PGCancellationID string   `json:"pgCancellationId"`
	TotalAmount      wireInt  `json:"totalAmount"`
	TaxFreeAmount    wireInt  `json:"taxFreeAmount"`
	VATAmount        wireInt  `json:"vatAmount"`
	Reason           string   `json:"reason"`
	Trigger          string   `json:"trigger"`
	RequestedAt      wireTime `json:"requestedAt"`
	CancelledAt      wireTime `json:"cancelledAt"`
}
