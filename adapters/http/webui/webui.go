// Package webui serves StocKing's browser pages from files embedded in the
// binary: the trading app (App, mounted at /app/) and Swagger UI for the
// OpenAPI document (Docs, mounted at /docs). Nothing they load comes from
// another host, so both work offline and under a Content-Security-Policy
// that allows only the server itself.
//
// The app is plain files (ES modules and CSS) with no build step. Swagger
// UI is a pinned npm release that scripts/build-web.sh copies into
// docs/swagger-ui; that copy is committed so that `go build` needs no npm.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed app docs
var files embed.FS

// contentTypes are the types of the files shipped here, fixed rather than
// read from the machine's MIME database, which may lack or mistype .js
// (a module script with the wrong type does not run).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".txt":  "text/plain; charset=utf-8",
}

// site serves one embedded folder under one Content-Security-Policy.
type site struct {
	files fs.FS
	csp   string
	etags map[string]string
}

func newSite(dir, csp string) *site {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err)
	}
	s := &site{files: sub, csp: csp, etags: map[string]string{}}
	// Embedded files have no modification time, so answers are validated
	// by a hash of their contents instead: a browser revalidates each file
	// and gets 304 until the binary ships another version.
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.etags[p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	if err != nil {
		panic(err)
	}
	return s
}

// setSecurityHeaders marks every answer of the site, files and errors
// alike.
func (s *site) setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// serveFile answers with the embedded file name (slash separated, no
// leading slash), or 404.
func (s *site) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	s.setSecurityHeaders(w)
	etag, ok := s.etags[name]
	ct := contentTypes[path.Ext(name)]
	if !ok || ct == "" {
		notFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.files, name)
	if err != nil {
		notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("ETag", etag)
	// Always revalidate: the files carry no version in their names, and
	// an app that mixes modules of two releases breaks in odd ways.
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// methodsGetHead refuses anything but reads, which is all a static site
// answers.
func methodsGetHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, r.Method+" is not allowed here", http.StatusMethodNotAllowed)
	return false
}

func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "no file "+r.URL.Path, http.StatusNotFound)
}

// redirect sends the browser to target, relative to the requested URL.
// It does not use http.Redirect, which resolves relative targets against
// the path after http.StripPrefix rather than the one the browser asked
// for.
func redirect(w http.ResponseWriter, target string) {
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusMovedPermanently)
}

// clean turns a request path below the mount point into a file name, or
// "" when it names no file (a directory, or a path trying to climb out).
func clean(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.HasSuffix(p, "/") || !fs.ValidPath(p) {
		return ""
	}
	return p
}
