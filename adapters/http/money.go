package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// Money is an amount of money in a request body. Every money input of the
// API takes both forms: a decimal string ("70000", "1234.5"), which is how
// the API writes money in its answers, and a JSON number (70000), which is
// what browsers and PortOne's totalAmount naturally send. A number is kept
// as its literal text, never converted to a float, so that no won is lost
// to binary rounding; both forms then pass the same checks (digits, at most
// one point, no sign or exponent), so they are refused alike.
//
// Answers always write money as strings.
type Money struct {
	text   string
	number bool
	set    bool
}

// Schema documents both accepted forms.
func (Money) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Description: "An amount of money: a decimal string (\"70000\", \"1234.5\") or a JSON number (70000).",
		Examples:    []any{"70000"},
		OneOf: []*huma.Schema{
			{Type: huma.TypeString},
			{Type: huma.TypeNumber},
		},
	}
}

// UnmarshalJSON keeps a number's literal text or a string's contents; null
// leaves the amount unset.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*m = Money{}
		return nil
	case len(b) > 0 && b[0] == '"':
		*m = Money{set: true}
		return json.Unmarshal(b, &m.text)
	}
	*m = Money{text: string(b), number: true, set: true}
	return nil
}

// MarshalJSON writes the amount as a string, the API's form.
func (m Money) MarshalJSON() ([]byte, error) {
	if !m.set {
		return []byte("null"), nil
	}
	return json.Marshal(m.text)
}

// required parses an amount the request must carry; field names it in
// errors.
func (m Money) required(field string) (decimal.Decimal, error) {
	if !m.set || m.text == "" {
		return decimal.Zero, domain.FieldErrorf(domain.CodeInvalid, field, "is required")
	}
	d, err := domain.ParseMoney(field, m.text)
	if err != nil && m.number {
		return decimal.Zero, domain.FieldErrorf(domain.CodeInvalid, field,
			"must be a positive amount written with digits and at most one point, such as 70000 or \"70000\" (no sign or exponent), got %s", m.text)
	}
	return d, err
}

// optional parses an amount the request may leave out: absent, null and ""
// all mean none.
func (m Money) optional(field string) (decimal.NullDecimal, error) {
	if !m.set || m.text == "" {
		return decimal.NullDecimal{}, nil
	}
	d, err := m.required(field)
	if err != nil {
		return decimal.NullDecimal{}, err
	}
	return decimal.NewNullDecimal(d), nil
}

func intPtr(n int) *int { return &n }
