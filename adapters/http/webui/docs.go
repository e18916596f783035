package webui

import "net/http"

// DocsCSP is the Content-Security-Policy of /docs. Swagger UI needs
// nothing but the server itself: its script and styles are files here,
// its start-up code is a file too (no inline script), it sets styles
// through the DOM rather than style attributes, it fetches the document
// and sends "Try it out" requests to the same origin, and its icons are
// inline SVG or data: URLs in its stylesheet. Forms and framing are off.
const DocsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Docs serves Swagger UI for the OpenAPI document at /openapi.json. Mount
// it at /docs with that prefix stripped (http.StripPrefix("/docs",
// Docs())): the page answers at /docs and refers to its files below
// /docs/ by absolute path, as Huma refers to /openapi.json.
func Docs() http.Handler {
	s := newSite("docs", DocsCSP)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !methodsGetHead(w, r) {
			return
		}
		switch r.URL.Path {
		case "":
			s.serveFile(w, r, "index.html")
		case "/", "/index.html":
			// One address for the page, so bookmarks and Swagger UI's deep
			// links agree.
			redirect(w, "/docs")
		default:
			s.serveFile(w, r, clean(r.URL.Path))
		}
	})
}
