package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stocking-kr/stocking/adapters/http/webui"
)

// Where the browser pages live beside the API.
const (
	// DocsPath serves Swagger UI for the OpenAPI document.
	DocsPath = "/docs"
	// AppPath serves the web app.
	AppPath = "/app"
)

// mountWeb serves the browser pages from files embedded in the binary:
// Swagger UI at /docs and the web app at /app/. Neither loads anything
// from another host. The app finds the API relative to its own URL.
func mountWeb(r chi.Router, opts Options) {
	r.Mount(DocsPath, http.StripPrefix(DocsPath, webui.Docs()))
	r.Mount(AppPath, http.StripPrefix(AppPath, webui.App(webui.AppConfig{
		APIBase:     ".." + BasePath,
		CheckoutURL: opts.CheckoutURL,
	})))
}
