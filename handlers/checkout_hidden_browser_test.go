package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// TestBrowserPhoneNoScriptLoadsNoHiddenCheckout: on a 360 px phone without
// JavaScript the checkout page shows the link to Trustly's checkout and hides the
// frame; the hidden frame loaded Trustly's checkout all the same, a second
// checkout session in the background. On a wide screen without JavaScript the
// checkout is framed as before.
func TestBrowserPhoneNoScriptLoadsNoHiddenCheckout(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("nils@example.com")...)
	cl := lv.signedInAs("nils@example.com")
	id1 := lv.startDeposit(cl, "100")
	checkoutTargets := func() int {
		t.Helper()
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
		n := 0
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, lv.CheckoutOrigin+"/checkout/") {
				n++
			}
		}
		return n
	}
	b.do("open the checkout on a phone without JavaScript", chromedp.EmulateViewport(360, 780), scriptOff(),
		chromedp.Navigate(lv.URL+"/deposit/checkout?order="+id1), chromedp.WaitVisible(id("checkout-link")))
	time.Sleep(1500 * time.Millisecond)
	if n := checkoutTargets(); n != 0 {
		t.Errorf("the phone's hidden frame loaded Trustly's checkout (%d frames)", n)
	}
	b.do("open it on a wide screen", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(lv.URL+"/deposit/checkout?order="+id1), chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "see the framed checkout", chromedp.WaitVisible(id("bank-next")))
}

// framesCheckout reports whether page frames Trustly's checkout at checkoutURL as
// TrustlyFrame does: an iframe with a title and no src (checkout.js gives it one
// on wide screens), the URL for checkout.js, and an object of it for a browser
// without script.
func framesCheckout(page *testResponse, checkoutURL string) bool {
	frame := page.byTestID("checkout-frame")
	box := page.byTestID("checkout")
	return len(frame) == 1 && len(box) == 1 && attr(frame[0], "src") == "" && attr(frame[0], "title") != "" &&
		attr(box[0], "data-checkout-url") == checkoutURL &&
		strings.Contains(page.Body, `<object data="`+html.EscapeString(checkoutURL)+`" type="text/html" title="`)
}
