package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium, headless, through the
// DevTools protocol. Chromium is a system package, not a Go module: where
// it is missing the tests skip, unless STOCKING_TEST_REQUIRE_BROWSER=1
// (CI sets it), which turns a missing or broken browser into a failure.

// chromiumNames are the executables tried, in order, when
// STOCKING_TEST_CHROMIUM does not name one.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// browser is one headless Chromium tab for a test, with what the page
// wrote to its console.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// noBrowser skips the test, or fails it when a browser is required.
func noBrowser(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("STOCKING_TEST_REQUIRE_BROWSER") == "1" {
		t.Fatalf("STOCKING_TEST_REQUIRE_BROWSER=1 but %s (apt-get install -y chromium)", why)
	}
	t.Skipf("skipping the browser test: %s (apt-get install -y chromium, or set STOCKING_TEST_CHROMIUM)", why)
}

// newBrowser starts Chromium with the flags a root user in a container
// needs, and a tab. On failure the test leaves a screenshot of the tab.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := os.Getenv("STOCKING_TEST_CHROMIUM")
	if path == "" {
		for _, name := range chromiumNames {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		noBrowser(t, "no Chromium on PATH")
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // root in a container has no user namespace to sandbox with
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Chromium's own calls home would only meet the closed network.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// Cleanups run last first: the screenshot before the tab closes, the
	// tab before the browser stops, the browser before its profile
	// directory is removed.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: ctx}
	// The first action starts the browser and ties its life to the context
	// it runs on, so it runs on the tab's own context, with no deadline.
	if err := chromedp.Do(ctx); err != nil {
		noBrowser(t, fmt.Sprintf("%s does not start: %v", path, err))
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.screenshotOnFailure)
	return b
}

// screenshotOnFailure saves what the tab showed when the test failed. It
// goes to a directory of its own rather than t.TempDir, which the testing
// package removes as soon as the test ends.
func (b *browser) screenshotOnFailure() {
	if !b.t.Failed() {
		return
	}
	for _, m := range b.console() {
		b.t.Logf("browser console: %s (%s:%d)", m, m.URL, m.Line+1)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	dir, err := os.MkdirTemp("", "stocking-browser-")
	if err == nil {
		name := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+".png")
		if err = os.WriteFile(name, png, 0o644); err == nil {
			b.t.Logf("screenshot of the failing page: %s", name)
			return
		}
	}
	b.t.Logf("no screenshot: %v", err)
}

// snapshot saves a screenshot of the tab as name.png in the directory
// STOCKING_TEST_SCREENSHOTS names, for a person to look at the screens;
// without the variable it does nothing.
func (b *browser) snapshot(name string) {
	b.t.Helper()
	dir := os.Getenv("STOCKING_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

func (b *browser) console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.messages...)
}

// do runs the actions of one step, failing the test with the step's name.
func (b *browser) do(step string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("not done after %s", timeout)
		}
		b.t.Fatalf("%s: %v", step, err)
	}
}

// text reads the text of the first element the CSS selector matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// attr reads an attribute of the first element the CSS selector matches.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	a, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("attributes of %s: %v", sel, err)
	}
	return a[name]
}

// waitFor waits until the JavaScript expression is truthy.
func (b *browser) waitFor(step, expr string, timeout time.Duration) {
	b.t.Helper()
	b.do(step, timeout+5*time.Second, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout)))
}

// eval evaluates JavaScript, awaiting a promise, and decodes the result.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// checkConsole fails the test for every uncaught exception and every
// Content-Security-Policy violation the pages reported: the first means a
// broken screen, the second something loaded or run that the policy (and
// so an offline browser) would not allow.
func (b *browser) checkConsole() {
	b.t.Helper()
	for _, m := range b.console() {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || m.Source == "security" {
			b.t.Errorf("browser console: %s (%s:%d)", m, m.URL, m.Line+1)
		}
	}
}
