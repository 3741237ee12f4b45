package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
)

// TestBrowserPhoneQuickPicksFit: on a 360 px phone every quick pick's label fits
// its button in every language; "1 000 SEK" (fi, et) and "SEK 1.000" (nl) ran
// past the border of a button 87 px wide.
func TestBrowserPhoneQuickPicksFit(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("pia@example.com")...)
	const cut = `Array.from(document.querySelectorAll(".quick-pick")).filter(function(e){ return e.scrollWidth > e.clientWidth; }).map(function(e){ return e.textContent + " " + e.scrollWidth + " > " + e.clientWidth; })`
	for _, l := range lang.Languages {
		b.do("choose "+l.Code, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(lv.URL+"/cashier"),
			chromedp.WaitVisible(id("language")), chromedp.SetValue(id("language"), l.Code))
		b.waitText("deposit-submit", lang.For(l.Code, nil).T("deposit.submit"))
		b.do("use a 360 px phone", chromedp.EmulateViewport(360, 780), chromedp.Reload(), chromedp.WaitVisible(id("pick-1000.00")))
		if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](cut)); err != nil || len(got) > 0 {
			t.Errorf("%s: quick picks cut off on a phone: %q (%v)", l.Code, got, err)
		}
	}
}
