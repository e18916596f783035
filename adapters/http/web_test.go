package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	httpapi "github.com/stocking-kr/stocking/adapters/http"
	"github.com/stocking-kr/stocking/adapters/http/webui"
)

// references finds the URLs a page or stylesheet makes the browser load:
// src, href and data-url attributes, and url(...) in CSS. Fragment links
// (#/trade) and data: URLs load nothing.
var references = regexp.MustCompile(`(?:\s(?:src|href|data-url)="([^"]*)")|(?:url\(["']?([^)"']+)["']?\))`)

// checkSelfContained fetches the page at path and every file it refers
// to, and fails unless each is served here with 200 and none names
// another host.
func checkSelfContained(t *testing.T, e *env, path, csp string) []string {
	t.Helper()
	r := e.must(http.StatusOK, "GET", path, "", nil)
	if got := r.Header.Get("Content-Security-Policy"); got != csp {
		t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, csp)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: Content-Type %q", path, r.Header.Get("Content-Type"))
	}
	base, _ := url.Parse("http://stocking.test" + path)
	var loaded []string
	for _, m := range references.FindAllStringSubmatch(string(r.Raw), -1) {
		ref := m[1] + m[2]
		if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "data:") {
			continue
		}
		u, err := base.Parse(ref)
		if err != nil {
			t.Errorf("%s refers to %q: %v", path, ref, err)
			continue
		}
		if u.Host != base.Host {
			t.Errorf("%s loads %q from another host", path, ref)
			continue
		}
		a := e.must(http.StatusOK, "GET", u.RequestURI(), "", nil)
		if len(a.Raw) == 0 {
			t.Errorf("%s refers to %s, which is empty", path, u.RequestURI())
		}
		loaded = append(loaded, u.RequestURI())
	}
	return loaded
}

func TestDocsAreSelfContained(t *testing.T) {
	e := newEnv(t)
	loaded := checkSelfContained(t, e, "/docs", webui.DocsCSP)
	for _, want := range []string{"/openapi.json", "/docs/swagger-ui/swagger-ui-bundle.js", "/docs/swagger-ui/swagger-ui.css", "/docs/init.js"} {
		found := false
		for _, l := range loaded {
			found = found || l == want
		}
		if !found {
			t.Errorf("/docs does not load %s (it loads %v)", want, loaded)
		}
	}
	// The policy allows this server only: no other host, no inline script.
	for _, bad := range []string{"http:", "https:", "'unsafe-inline'", "'unsafe-eval'", "*"} {
		if strings.Contains(webui.DocsCSP, bad) {
			t.Errorf("the docs CSP allows %s", bad)
		}
	}
	css := e.must(http.StatusOK, "GET", "/docs/swagger-ui/swagger-ui.css", "", nil)
	for _, m := range references.FindAllStringSubmatch(string(css.Raw), -1) {
		if ref := m[2]; ref != "" && !strings.HasPrefix(ref, "data:") && !strings.HasPrefix(ref, "#") {
			t.Errorf("swagger-ui.css loads %q", ref)
		}
	}
	if r := e.do("GET", "/docs/", "", nil); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/docs" {
		t.Errorf("/docs/: %d to %q", r.Status, r.Header.Get("Location"))
	}
	e.must(http.StatusNotFound, "GET", "/docs/swagger-ui/nothing.js", "", nil)
	e.must(http.StatusNotFound, "GET", "/docs/../go.mod", "", nil)
	e.must(http.StatusMethodNotAllowed, "POST", "/docs", "", nil)
}

func TestAppIsSelfContained(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.CheckoutURL = "/portone-fake/__fake/checkout" })
	if r := e.do("GET", "/app", "", nil); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "app/" {
		t.Errorf("/app: %d to %q", r.Status, r.Header.Get("Location"))
	}
	loaded := checkSelfContained(t, e, "/app/", webui.AppCSP)
	if len(loaded) < 3 {
		t.Errorf("/app/ loads only %v", loaded)
	}
	// Every module the app imports, transitively, is served.
	seen := map[string]bool{}
	queue := []string{"/app/js/main.js"}
	imports := regexp.MustCompile(`(?m)^import .* from "([^"]+)";$|import\("([^"]+)"\)`)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		r := e.must(http.StatusOK, "GET", p, "", nil)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q; module scripts need a JavaScript type", p, ct)
		}
		base, _ := url.Parse("http://stocking.test" + p)
		for _, m := range imports.FindAllStringSubmatch(string(r.Raw), -1) {
			u, err := base.Parse(m[1] + m[2])
			if err != nil || u.Host != base.Host {
				t.Errorf("%s imports %q", p, m[1]+m[2])
				continue
			}
			queue = append(queue, u.Path)
		}
	}
	if len(seen) < 8 {
		t.Errorf("found only %d modules: %v", len(seen), seen)
	}

	r := e.must(http.StatusOK, "GET", "/app/config.json", "", nil)
	if str(r.Body, "api_base") != "../api/v1" || str(r.Body, "checkout_url") != "/portone-fake/__fake/checkout" {
		t.Errorf("config.json: %s", r.Raw)
	}
	// Files are revalidated by content hash.
	js := e.must(http.StatusOK, "GET", "/app/js/main.js", "", nil)
	etag := js.Header.Get("ETag")
	if etag == "" || js.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("main.js: ETag %q, Cache-Control %q", etag, js.Header.Get("Cache-Control"))
	}
	req := map[string]string{"If-None-Match": etag}
	if w := e.raw("GET", "/app/js/main.js", req); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w.Code)
	}
	e.must(http.StatusNotFound, "GET", "/app/js/nothing.js", "", nil)
	e.must(http.StatusNotFound, "GET", "/app/js/", "", nil)
}
