package handlers

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSwedishThenFinnish: a Swedish player picks Svenska at the foot of
// the page and sees the cashier in Swedish with amounts in kronor ("kr"), and
// Trustly's checkout opens with Locale sv_SE (the checkout URL the sandbox built
// from the Deposit it stored); switching to Suomi changes both the page and the
// Locale (fi_SE: a Finnish page for a player in Sweden).
func TestBrowserSwedishThenFinnish(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)
	b.do("register", b.register("sven@example.com")...)
	if got := b.text("deposit-submit"); got != "Deposit with Trustly" {
		t.Errorf("before choosing, the cashier says %q; want English", got)
	}

	for _, tt := range []struct{ lang, submit, pick, heading, locale string }{
		{"sv", "Sätt in med Trustly", "100 kr", "Sätt in 100,00 kr", "sv_SE"},
		{"fi", "Talleta Trustlyllä", "100 SEK", "Talleta 100,00 SEK", "fi_SE"},
	} {
		b.do("choose "+tt.lang, chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("language")),
			chromedp.SetValue(id("language"), tt.lang)) // the picker sends itself on change (static/js/cashier.js)
		b.waitText("deposit-submit", tt.submit)
		if got := b.text("pick-100.00"); got != tt.pick {
			t.Errorf("%s: quick pick %q; want %q", tt.lang, got, tt.pick)
		}
		if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || got != tt.lang {
			t.Errorf("%s: <html lang=%q> (%v)", tt.lang, got, err)
		}
		b.snap("cashier-" + tt.lang)
		b.do("start a deposit", b.depositSteps("100")...)
		b.waitLocation("/deposit/checkout")
		b.waitText("checkout-title", tt.heading)
		if got := b.checkoutLocale(); got != tt.locale {
			t.Errorf("%s: Trustly's checkout opened with locale %q; want %q", tt.lang, got, tt.locale)
		}
	}
}

// checkoutLocale is the locale of the framed checkout as Chromium loaded it: the
// sandbox puts the Locale of the Deposit it stored into the checkout URL it
// returns, as Trustly does.
func (b *browser) checkoutLocale() string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			b.t.Fatalf("list targets: %v", err)
		}
		attr, err := chromedp.Run(b.ctx, chromedp.AttributeValue(id("checkout-frame"), "src"))
		frame := attr.Value
		if err == nil && frame != "" {
			for _, info := range infos {
				if info.Type == "iframe" && info.URL == frame {
					u, err := url.Parse(info.URL)
					if err != nil {
						b.t.Fatal(err)
					}
					return u.Query().Get("locale")
				}
				seen = append(seen, info.URL)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("no checkout frame loaded; targets %s", strings.Join(seen, ", "))
	return ""
}
