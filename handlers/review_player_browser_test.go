package handlers

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserReviewPhoneFitsEveryLanguage: on a 375 px phone no player page is
// wider than the screen in any language, with the longest texts the pages have:
// deposit limits set and a raise waiting, a payout, a cancelled deposit. No
// table is wider than its card either (the history's and the limits' rows
// stack), and axe finds nothing serious on the history and the limits.
func TestBrowserReviewPhoneFitsEveryLanguage(t *testing.T) {
	script := axeScript(t)
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 4*browserTimeout)
	email := "pia@example.com"
	b.do("register", b.register(email)...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "1000")
	pia := lv.playerByEmail(email)
	acc := lv.waitAccount(pia, models.AccountFromDeposit)
	credited := latestOrder(t, lv, pia, models.OrderDeposit)
	cancelled := lv.startDeposit(cl, "100")
	lv.checkoutAction(cancelled, "cancel")
	lv.waitStatus(cancelled, models.OrderFailed)
	b.withdraw("300", acc.Descriptor)
	payout := b.location()[len(lv.URL):]
	cl.submit("/limits", url.Values{"day": {"500"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")
	cl.submit("/limits", url.Values{"day": {"900"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")

	paths := []string{"/cashier", "/deposit/success?order=" + credited, "/deposit/fail?order=" + cancelled, "/history",
		"/bank-accounts", "/payout", payout, "/profile", "/breaks", "/limits"}
	for _, l := range lang.Languages {
		b.chooseLanguage(l.Code)
		b.do("phone width", chromedp.EmulateViewport(375, 800))
		for _, path := range paths {
			b.do("open "+path, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
			if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
				t.Errorf("%s in %s is wider than a 375 px phone: %v (%v)", path, l.Code, wide, err)
			}
		}
		b.checkAxeAt(script, []int64{375}, "/history", "/limits")
	}
}
