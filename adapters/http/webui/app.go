package webui

import (
	"encoding/json"
	"net/http"
)

// AppCSP is the Content-Security-Policy of the web app: scripts, styles
// and API calls (fetch and EventSource) go to the server itself only; no
// inline script or style; forms never submit (the app sends JSON with
// fetch), so a page whose scripts failed to load cannot put a password in
// a URL.
const AppCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// AppConfig is what the web app reads from config.json at start.
type AppConfig struct {
	// APIBase is the API's base URL, resolved against the app's own URL:
	// "../api/v1" when the app is served at /app/ beside the API, which
	// keeps working behind a proxy that adds a path prefix.
	APIBase string `json:"api_base"`
	// CheckoutURL is the payment window a top-up opens in the same tab,
	// resolved like APIBase: the development fake PortOne's checkout
	// page, which sends the browser back with paymentId added to the URL
	// it was given. Empty: this server offers no top-up in the app.
	CheckoutURL string `json:"checkout_url"`
}

// App serves the web app. Mount it with the mount point stripped
// (http.StripPrefix("/app", App(cfg))): /app redirects to /app/, which
// answers index.html; every other path is an embedded file or 404, so a
// typo in a module path fails loudly instead of returning the page.
func App(cfg AppConfig) http.Handler {
	s := newSite("app", AppCSP)
	conf, err := json.Marshal(cfg)
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !methodsGetHead(w, r) {
			return
		}
		switch r.URL.Path {
		case "":
			redirect(w, "app/")
		case "/":
			s.serveFile(w, r, "index.html")
		case "/config.json":
			s.setSecurityHeaders(w)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(conf)
		default:
			s.serveFile(w, r, clean(r.URL.Path))
		}
	})
}
