package sandboxtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds Chromium: $CHROMIUM, /usr/bin/chromium, or chromium,
// chromium-browser, google-chrome on PATH. "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		// An explicit path that does not exist means no Chromium (CHROMIUM=none
		// shows what a machine without one does).
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser starts a headless Chromium for one test with the flags STACK.md
// requires and a fresh user-data-dir, and returns a chromedp context for its first
// tab, limited to timeout. Without Chromium the test is skipped, unless CI=true,
// where it fails: install it with `apt-get install -y chromium`. Everything
// stops in t.Cleanup.
func Browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (CI=true): apt-get install -y chromium, or set CHROMIUM")
		}
		t.Skip("chromium not found: apt-get install -y chromium (or set CHROMIUM) to run browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry the timeout, which
	// would stop the whole browser (chromedp.Run's documentation).
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// TestID is the CSS selector for an element's data-testid.
func TestID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }
