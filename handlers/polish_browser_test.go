package handlers

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
)

// Browser tests of the player pages' finish: what testers clicking through from
// outside called sloppy, measured where it can be.

// boxes is the JavaScript that returns [left, top, width, height] of the element
// with each data-testid given (JSON array literal spliced in as %s), in order;
// a missing element is [-1, -1, -1, -1].
func boxes(testids ...string) string {
	list := "["
	for i, s := range testids {
		if i > 0 {
			list += ","
		}
		list += jsString(s)
	}
	return `(function(){ return ` + list + `].map(function(t){
		var e = document.querySelector('[data-testid="' + t + '"]');
		if (!e) return [-1, -1, -1, -1];
		var r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }); })()`
}

// TestBrowserBankAccountButtonsMatch: the bank accounts page's two ways to add
// an account, side by side in their cards, have buttons of one size on a desktop
// and of one width on a phone, in every language. "Add account with Trustly" (a
// button in a form) was as wide as its words while "Enter bank details" (a link
// laid out by the card) took the card's whole width, and the link's border made
// it 2 px taller.
func TestBrowserBankAccountButtonsMatch(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 2*browserTimeout)
	b.do("register", b.register("bo@example.com")...)
	for _, l := range lang.Languages {
		b.chooseLanguage(l.Code)
		for _, width := range []int64{1280, 375} {
			b.do("open the bank accounts at "+strconv.FormatInt(width, 10)+" px", chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("enter-details")))
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]float64](boxes("add-with-trustly", "enter-details")))
			if err != nil {
				t.Fatal(err)
			}
			trustly, details := got[0], got[1]
			// On a phone the cards stack, and a long label (Dutch) may wrap to two lines.
			if diff(trustly[2], details[2]) > 1 || (width > 375 && diff(trustly[3], details[3]) > 1) {
				b.snap("bank-account-buttons-" + l.Code + "-" + strconv.FormatInt(width, 10))
				t.Errorf("at %d px in %s the add buttons are %.0f × %.0f (with Trustly) and %.0f × %.0f (by hand); want one size",
					width, l.Code, trustly[2], trustly[3], details[2], details[3])
			}
		}
	}
}

// diff is |a - b|.
func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}
