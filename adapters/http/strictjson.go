package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Request bodies are decoded with the semantics of encoding/json/v2 rather
// than the lenient ones of encoding/json: a field named twice, a field
// whose name differs from the schema's only in case, an unknown field and
// invalid UTF-8 are refused instead of being silently taken (the last
// duplicate wins, "Amount" fills amount, ...). Huma decodes every body
// twice: first into a generic value that its validator checks against the
// schema, then into the operation's input type. The first pass stays
// lenient, so that a body with such a defect is reported by the second,
// strict pass as a 422 naming the field, like every other invalid input,
// rather than as a 400 "not JSON".

// lenient are the options of the validation pass: anything the strict pass
// will refuse with a better message is let through here.
var lenient = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// strict are the options of the pass into the input type.
var strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// jsonFormat is Huma's JSON format with strict decoding. Encoding is
// Huma's own (no HTML escaping).
var jsonFormat = huma.Format{
	Marshal:   marshalJSON,
	Unmarshal: unmarshalStrict,
}

// prerendered is a body that carries its own JSON, already encoded the
// way Huma's format would encode it, in pieces to write one after the
// other; nil means encode it as usual.
type prerendered interface{ prerendered() [][]byte }

func marshalJSON(w io.Writer, v any) error {
	if p, ok := v.(prerendered); ok {
		if pieces := p.prerendered(); pieces != nil {
			for _, b := range pieces {
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return huma.DefaultJSONFormat.Marshal(w, v)
}

func unmarshalStrict(data []byte, v any) error {
	if p, ok := v.(*any); ok {
		return jsonv2.Unmarshal(data, p, lenient)
	}
	if err := jsonv2.Unmarshal(data, v, strict); err != nil {
		return inputError(err)
	}
	if hasNUL(data) {
		return errors.New("a string in the body contains a NUL character (\\u0000), which no field accepts")
	}
	return nil
}

// hasNUL reports whether the JSON text escapes a NUL character. A raw NUL
// byte is not valid JSON at all, so the escape \u0000 is the only way one
// can reach a decoded string; it counts only when the backslash before it
// is not itself escaped.
func hasNUL(data []byte) bool {
	s := string(data)
	for {
		i := strings.Index(s, `u0000`)
		if i < 0 {
			return false
		}
		backslashes := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 1 {
			return true
		}
		s = s[i+5:]
	}
}

// inputError rewrites a decoding error of the strict pass in the API's
// words, naming the field at fault.
func inputError(err error) error {
	var se *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &syn) && errors.Is(err, jsontext.ErrDuplicateName):
		return fmt.Errorf("%s appears more than once; send each field once", fieldOf(syn.JSONPointer, "a field"))
	case errors.As(err, &syn) && strings.Contains(syn.Err.Error(), "UTF-8"):
		return fmt.Errorf("%s is not valid UTF-8 text", fieldOf(syn.JSONPointer, "a string"))
	case errors.As(err, &se) && errors.Is(err, jsonv2.ErrUnknownName):
		name := se.JSONPointer.LastToken()
		return fmt.Errorf("%q is not a field of this request; field names are snake_case and case-sensitive (see /docs)", name)
	case errors.As(err, &se) && se.JSONKind == '0':
		return fieldError(se.JSONPointer, fmt.Sprintf("must be %s, got %s", kindWord(se.GoType.String()), se.JSONValue))
	case errors.As(err, &se) && se.GoType != nil:
		return fieldError(se.JSONPointer, fmt.Sprintf("must be %s, got a JSON %s", kindWord(se.GoType.String()), se.JSONKind.String()))
	}
	return err
}

// fieldError reports a value of the wrong type at its place in the body
// (body.quantity: ...), like the schema's own errors. Huma files every
// error of this pass under "body"; fromHuma moves it to the location the
// message starts with.
func fieldError(p jsontext.Pointer, msg string) error {
	if p == "" {
		return errors.New("the body " + msg)
	}
	return errors.New("body." + strings.ReplaceAll(strings.TrimPrefix(string(p), "/"), "/", ".") + ": " + msg)
}

// bodyLocation splits a message of fieldError into its location and the
// message proper.
func bodyLocation(msg string) (loc, rest string, ok bool) {
	if !strings.HasPrefix(msg, "body.") {
		return "", msg, false
	}
	loc, rest, ok = strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(loc, " \"") {
		return "", msg, false
	}
	return loc, rest, true
}

func fieldOf(p jsontext.Pointer, fallback string) string {
	if p == "" {
		return fallback
	}
	return "field " + strings.ReplaceAll(strings.TrimPrefix(string(p), "/"), "/", ".")
}

// kindWord names what a Go type accepts in the words of the API's schema.
func kindWord(goType string) string {
	switch goType {
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "a whole number written as an integer, such as 10"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return "of another type (see /docs)"
}

// cleanInputs refuses a request whose path or query carries a NUL
// character or bytes that are not UTF-8, before any handler sees it: no
// field of the API accepts either, and some databases reject them with an
// error that would otherwise surface as a server failure.
func cleanInputs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bad(r.URL.Path) {
			writeProblem(w, badInput("path", "the path must be UTF-8 text without NUL characters"))
			return
		}
		if r.URL.RawQuery != "" {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				writeProblem(w, badInput("query", "the query string is not valid URL encoding: "+err.Error()))
				return
			}
			for k, vs := range q {
				if bad(k) {
					writeProblem(w, badInput("query", "a query parameter name is not UTF-8 text or contains a NUL character"))
					return
				}
				for _, v := range vs {
					if bad(v) {
						writeProblem(w, badInput("query."+k, "must be UTF-8 text without NUL characters"))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func bad(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

func badInput(loc, msg string) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, "", loc+": "+msg)
	p.Errors = []FieldError{{Location: loc, Message: msg}}
	return p
}
