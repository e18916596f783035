package httpapi_test

import (
	"encoding/json"
	"slices"
	"testing"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
)

// TestOpenAPIDocumentForLinters checks what CI's linters need of the
// document beyond what Huma derives: servers, declared and described
// tags, an explicit empty security list on public operations, and the
// PortOne webhook's body and headers. The linters themselves run in CI
// (scripts/lint-openapi.sh).
func TestOpenAPIDocumentForLinters(t *testing.T) {
	raw, err := httpapi.OpenAPI(httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
		Tags    []struct {
			Name, Description string
		} `json:"tags"`
		Paths map[string]map[string]struct {
			OperationID string                 `json:"operationId"`
			Tags        []string               `json:"tags"`
			Security    *[]map[string][]string `json:"security"`
			Parameters  []struct {
				Name, In string
				Required bool
			} `json:"parameters"`
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Type       any                        `json:"type"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) == 0 || doc.Servers[0].URL == "" {
		t.Errorf("servers: %v", doc.Servers)
	}
	described := map[string]bool{}
	for _, tag := range doc.Tags {
		described[tag.Name] = tag.Description != ""
	}
	for path, item := range doc.Paths {
		for method, op := range item {
			for _, tag := range op.Tags {
				if !described[tag] {
					t.Errorf("%s %s: tag %q is not declared with a description", method, path, tag)
				}
			}
			if op.Security == nil {
				t.Errorf("%s %s: no security list; public operations say security: []", method, path)
			}
		}
	}
	if s := doc.Paths["/api/v1/stocks"]["get"].Security; s == nil || len(*s) != 0 {
		t.Errorf("GET /stocks is public: %v", s)
	}
	if s := doc.Paths["/api/v1/orders"]["post"].Security; s == nil || len(*s) != 1 {
		t.Errorf("POST /orders needs a token: %v", s)
	}

	hook := doc.Paths["/api/v1/payments/portone/webhook"]["post"]
	if ref := hook.RequestBody.Content["application/json"].Schema.Ref; ref != "#/components/schemas/PortOneWebhook" {
		t.Errorf("webhook body schema %q", ref)
	}
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		if !slices.ContainsFunc(hook.Parameters, func(p struct {
			Name, In string
			Required bool
		}) bool {
			return p.Name == h && p.In == "header" && p.Required
		}) {
			t.Errorf("webhook header %s is not declared", h)
		}
	}
	wh := doc.Components.Schemas["PortOneWebhook"]
	for _, f := range []string{"type", "timestamp", "data"} {
		if _, ok := wh.Properties[f]; !ok {
			t.Errorf("PortOneWebhook lacks %s", f)
		}
	}

	var code struct{ Enum []string }
	if err := json.Unmarshal(doc.Components.Schemas["Problem"].Properties["code"], &code); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"invalid", "not_found", "conflict", "insufficient_funds", "unauthorized", "unavailable", "internal", "method_not_allowed"} {
		if !slices.Contains(code.Enum, c) {
			t.Errorf("Problem.code enum %v lacks %s", code.Enum, c)
		}
	}
	var tif struct{ Enum []any }
	if err := json.Unmarshal(doc.Components.Schemas["Order"].Properties["time_in_force"], &tif); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tif.Enum, any(nil)) || !slices.Contains(tif.Enum, any("GTC")) {
		t.Errorf("Order.time_in_force enum %v: a nullable enum must list null", tif.Enum)
	}
}

// TestEveryListHasTheSameEnvelope checks that every operation answering a
// list puts it in data with next_cursor beside it, so that clients read
// every list the same way.
func TestEveryListHasTheSameEnvelope(t *testing.T) {
	raw, err := httpapi.OpenAPI(httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Ref        string             `json:"$ref"`
		Type       any                `json:"type"`
		Properties map[string]*schema `json:"properties"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema schema `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(s *schema) *schema {
		for s != nil && s.Ref != "" {
			s = doc.Components.Schemas[s.Ref[len("#/components/schemas/"):]]
		}
		return s
	}
	lists := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for status, r := range op.Responses {
				mt, ok := r.Content["application/json"]
				if !ok || status[0] != '2' {
					continue
				}
				body := resolve(&mt.Schema)
				if body == nil || body.Properties["data"] == nil {
					continue
				}
				data := resolve(body.Properties["data"])
				if data.Type != "array" && !slices.Contains(toStrings(data.Type), "array") {
					continue
				}
				lists++
				if body.Properties["next_cursor"] == nil {
					t.Errorf("%s %s answers a list without next_cursor beside data", method, path)
				}
			}
		}
	}
	if lists < 6 {
		t.Errorf("found %d lists; the document's shape changed under this test", lists)
	}
}

func toStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
