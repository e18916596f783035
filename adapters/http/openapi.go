package httpapi

import (
	"slices"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

// The OpenAPI document is linted in CI with Redocly's recommended rules
// and Spectral's spectral:oas, with zero errors allowed. What Huma derives
// from the operations is completed here, after every operation (Mount's
// included) is registered, so that a new operation is documented the same
// way without extra code at its registration.

// tagDescriptions describe the operation tags. A tag missing here is still
// declared (so operations never name an undeclared tag), but without a
// description, which the linters report as a warning.
var tagDescriptions = map[string]string{
	"auth":         "Sign-up, login and token refresh. These operations take no bearer token.",
	"users":        "The caller's profile.",
	"accounts":     "The caller's accounts: the personal one and one per contest joined.",
	"stocks":       "KRX listings with their quotes, price bands and tick sizes. Public.",
	"market":       "The market session. Public.",
	"balance":      "Cash, reservations and equity, and virtual-cash deposits and withdrawals.",
	"orders":       "Market and limit orders: placement, listing, cancellation.",
	"portfolio":    "Holdings valued at current prices.",
	"transactions": "The ledger: one row per real movement of money.",
	"watchlist":    "Listings the caller follows, with quotes.",
	"analytics":    "Trading statistics and performance.",
	"leaderboards": "Rankings of traders by return.",
	"contests":     "Trading contests with accounts of their own.",
	"stream":       "Live updates as Server-Sent Events.",
	"payments":     "Top-ups and premium paid through PortOne V2, and PortOne's webhook.",
	"admin":        "Listings and price ticks; administrators only.",
	"ops":          "Liveness and readiness probes for load balancers and orchestrators.",
}

// documentAPI completes the document: a server, declared tags, explicit
// `security: []` on public operations, the input errors every operation
// with inputs can answer, and PortOne's webhook body and headers.
func documentAPI(api huma.API) {
	oapi := api.OpenAPI()
	if len(oapi.Servers) == 0 {
		// Relative: the document describes whichever host serves it, so
		// Swagger UI's "Try it out" calls that host.
		oapi.Servers = []*huma.Server{{URL: "/", Description: "The server that serves this document."}}
	}
	used := map[string]bool{}
	for path, item := range oapi.Paths {
		for _, op := range operations(item) {
			for _, tag := range op.Tags {
				used[tag] = true
			}
			if op.Security == nil {
				// An empty list, not an absent one: the operation takes no
				// token, rather than "not stated".
				op.Security = []map[string][]string{}
			}
			documentInputErrors(api, path, op)
			if op.OperationID == "portone-webhook" {
				documentPortOneWebhook(api, op)
			}
		}
	}
	for _, schema := range oapi.Components.Schemas.Map() {
		allowNullInEnums(schema)
	}
	declared := map[string]bool{}
	for _, t := range oapi.Tags {
		declared[t.Name] = true
	}
	names := make([]string, 0, len(used))
	for name := range used {
		if !declared[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		oapi.Tags = append(oapi.Tags, &huma.Tag{Name: name, Description: tagDescriptions[name]})
	}
}

// allowNullInEnums adds null to the enum of every nullable property that
// has one: Huma types a pointer field as ["string", "null"] but leaves the
// enum as the tag wrote it, which would make null itself invalid.
func allowNullInEnums(s *huma.Schema) {
	if s == nil {
		return
	}
	for _, p := range s.Properties {
		allowNullInEnums(p)
	}
	allowNullInEnums(s.Items)
	if len(s.Enum) > 0 && s.Nullable && !slices.Contains(s.Enum, any(nil)) {
		s.Enum = append(s.Enum, nil)
	}
}

func operations(item *huma.PathItem) []*huma.Operation {
	var ops []*huma.Operation
	for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
		if op != nil {
			ops = append(ops, op)
		}
	}
	return ops
}

// documentInputErrors adds the 4xx answers an operation gives for its
// inputs when it names none: 422 when it has parameters or a body (Huma
// and the core both validate them), 404 when its path names a resource.
func documentInputErrors(api huma.API, path string, op *huma.Operation) {
	for code := range op.Responses {
		if strings.HasPrefix(code, "4") {
			return
		}
	}
	if len(op.Parameters) == 0 && op.RequestBody == nil {
		return
	}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	op.Responses["422"] = problemResponse(api, "An input is invalid; detail says which and why, errors lists each one.")
	if strings.Contains(path, "{") {
		op.Responses["404"] = problemResponse(api, "Nothing exists at this path (an unknown code or id).")
	}
}

// TransformSchema lists the codes a problem can carry, taken from the
// tables that produce them, so a code added there is documented too.
func (Problem) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	if code := s.Properties["code"]; code != nil {
		code.Enum = nil
		for _, c := range problemCodes() {
			code.Enum = append(code.Enum, c)
		}
	}
	return s
}

// problemCodes are every code a problem document may carry.
func problemCodes() []string {
	codes := []string{string(domain.CodeInternal)}
	for c := range statusByCode {
		codes = append(codes, string(c))
	}
	for _, c := range codeByStatus {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return slices.Compact(codes)
}

// webhookHeaders are the Standard Webhooks headers PortOne signs with;
// the server reads them itself (the handler takes the raw request), so
// they are declared here for the document.
var webhookHeaders = []*huma.Param{
	{Name: "webhook-id", In: "header", Required: true, Description: "Unique id of the message; repeated unchanged on each retry.",
		Schema: &huma.Schema{Type: huma.TypeString, MaxLength: intPtr(256)}, Example: "msg_2ZcX0ZqH1Ym5m0VKOoVbQm7a7Hs"},
	{Name: "webhook-timestamp", In: "header", Required: true, Description: "Unix time in seconds when the message was signed; refused when more than 5 minutes from the server clock.",
		Schema: &huma.Schema{Type: huma.TypeString, Pattern: "^[0-9]{1,12}$"}, Example: "1767225600"},
	{Name: "webhook-signature", In: "header", Required: true, Description: "Space-separated v1,<base64 HMAC-SHA256> signatures of \"id.timestamp.body\" under the webhook secret.",
		Schema: &huma.Schema{Type: huma.TypeString, MaxLength: intPtr(2048)}, Example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
}

// documentPortOneWebhook declares the JSON object PortOne posts (webhook
// version 2024-04-25) instead of the opaque bytes the handler reads, and
// the three signature headers.
func documentPortOneWebhook(api huma.API, op *huma.Operation) {
	for _, p := range webhookHeaders {
		if !slices.ContainsFunc(op.Parameters, func(q *huma.Param) bool { return q.In == p.In && strings.EqualFold(q.Name, p.Name) }) {
			op.Parameters = append(op.Parameters, p)
		}
	}
	schemas := api.OpenAPI().Components.Schemas.Map()
	if _, ok := schemas["PortOneWebhook"]; !ok {
		schemas["PortOneWebhook"] = portoneWebhookSchema()
	}
	op.RequestBody = &huma.RequestBody{
		Description: "The event as PortOne sends it. It is verified against the signature headers over the raw bytes before it is read; unknown event types and fields are accepted and acknowledged.",
		Required:    true,
		Content: map[string]*huma.MediaType{"application/json": {
			Schema: &huma.Schema{Ref: "#/components/schemas/PortOneWebhook"},
		}},
	}
}

func portoneWebhookSchema() *huma.Schema {
	str := func(desc, example string) *huma.Schema {
		return &huma.Schema{Type: huma.TypeString, Description: desc, Examples: []any{example}}
	}
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: "A PortOne V2 webhook (version 2024-04-25). Only paymentId matters to the server: it fetches that payment from PortOne, the only authority, before anything is booked.",
		Required:    []string{"type", "timestamp", "data"},
		Properties: map[string]*huma.Schema{
			"type": str("The event: Transaction.Ready, Transaction.Paid, Transaction.VirtualAccountIssued, Transaction.Failed, "+
				"Transaction.Cancelled, Transaction.PartialCancelled, Transaction.PayPending, ... (PortOne may add more).", "Transaction.Paid"),
			"timestamp": {Type: huma.TypeString, Format: "date-time", Description: "When the event happened.", Examples: []any{"2026-01-01T00:00:00.000Z"}},
			"data": {
				Type:     huma.TypeObject,
				Required: []string{"storeId"},
				Properties: map[string]*huma.Schema{
					"storeId":        str("The store the event belongs to.", "store-00000000-0000-0000-0000-000000000000"),
					"paymentId":      str("The payment_id from prepare; present on Transaction.* events.", "01a231dbf237778d8f3eac0080b872d9"),
					"transactionId":  str("PortOne's id of the paying attempt.", "01931b5c-7f9e-4d9e-a6f0-2a1d1f1c9b7a"),
					"cancellationId": str("Present on cancellation events.", "01931b5d-0000-4000-8000-000000000000"),
					"billingKey":     str("Present on BillingKey.* events.", "billing-key-01931b5e"),
				},
			},
		},
		Examples: []any{map[string]any{
			"type":      "Transaction.Paid",
			"timestamp": "2026-01-01T00:00:00.000Z",
			"data": map[string]any{
				"storeId":       "store-00000000-0000-0000-0000-000000000000",
				"paymentId":     "01a231dbf237778d8f3eac0080b872d9",
				"transactionId": "01931b5c-7f9e-4d9e-a6f0-2a1d1f1c9b7a",
			},
		}},
	}
}
