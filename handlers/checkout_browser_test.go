package handlers

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/models"
)

// Browser tests of Trustly's checkout as its guidelines want it (API.md §9): a
// frame on large screens, the whole window on small ones, and the result pages
// in the whole window.

// TestBrowserCheckoutResultInFrame: Trustly is asked for URLTarget _top, but a
// result page that came into the checkout's frame all the same (a checkout that
// ignores it, a bank's page that comes back into the frame) was blocked there by
// the CSP's frame-src, and the player was left before a broken frame. The fail
// pages of a deposit and of an account selection now take the whole window.
func TestBrowserCheckoutResultInFrame(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("frida@example.com")...)
	for _, tt := range []struct {
		name  string
		start []chromedp.Action[chromedp.Void]
		page  string
	}{
		{"deposit", b.depositSteps("100"), "/deposit/fail"},
		{"account selection", []chromedp.Action[chromedp.Void]{chromedp.Navigate(lv.URL + "/bank-accounts"),
			chromedp.WaitVisible(id("add-with-trustly")), chromedp.Click(id("add-with-trustly"))}, "/accounts/fail"},
	} {
		b.do("start the "+tt.name, tt.start...)
		b.do("see the "+tt.name+"'s checkout", chromedp.WaitVisible(id("checkout-frame")))
		_, query, _ := strings.Cut(b.location(), "?")
		q, _ := url.ParseQuery(query)
		order := q.Get("order")
		lv.checkoutAction(order, "cancel")
		lv.waitStatus(order, models.OrderFailed)
		b.resultInFrame(tt.name, tt.page, order)
	}
}

// TestBrowserPayNPlayResultInFrame is TestBrowserCheckoutResultInFrame for a
// Pay N Play deposit's checkout and its fail page.
func TestBrowserPayNPlayResultInFrame(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "", nil)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)
	b.depositAndPlay("SE", "100")
	_, query, _ := strings.Cut(b.location(), "?")
	q, _ := url.ParseQuery(query)
	order := q.Get("order")
	lv.checkoutAction(order, "cancel")
	lv.waitStatus(order, models.OrderFailed)
	b.resultInFrame("Pay N Play deposit", "/paynplay/fail", order)
}

// resultInFrame loads page, the result page of order, in the checkout's frame of
// the page the tab shows, and checks that it takes the whole window.
func (b *browser) resultInFrame(name, page, order string) {
	b.t.Helper()
	b.do("load the "+name+"'s result page in the checkout's frame", chromedp.Evaluate[chromedp.Void](
		`document.querySelector('[data-testid="checkout-frame"]').src = `+jsString(b.lv.URL+page+"?order="+url.QueryEscape(order))))
	b.waitLocation(page)
	b.do("see the "+name+"'s result page", chromedp.WaitVisible(id("result-title")))
	if b.has("checkout-frame") {
		b.t.Errorf("the %s's result page is shown inside the checkout's frame", name)
	}
}

// TestBrowserDepositDoubleClick: a double click on Deposit on a slow network
// sends the form twice; its token starts one order and one Deposit call, and the
// player sees that order's checkout.
func TestBrowserDepositDoubleClick(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("gun@example.com")...)
	b.do("double-click Deposit on a slow network", chromedp.SendKeys(id("amount"), "100"),
		slowNetwork(400*time.Millisecond), doubleClick("deposit-submit"))
	b.waitLocation("/deposit/checkout")
	b.do("see the checkout", chromedp.WaitVisible(id("checkout-frame")))
	if n := countOrders(t, lv.testApp); n != 1 {
		t.Errorf("a double click started %d orders; want 1", n)
	}
	_, query, _ := strings.Cut(b.location(), "?")
	q, _ := url.ParseQuery(query)
	if o := lv.order(q.Get("order")); o.Status != models.OrderStarted || o.Amount.Minor != 10000 {
		t.Errorf("the checkout shown is of order %s, %s, %d; want the started deposit of 10000", o.MessageID, o.Status, o.Amount.Minor)
	}
}

// TestBrowserPhoneDeposit: on a 360 px phone the deposit goes from the cashier
// to Trustly's checkout in the whole window (no frame) and back to the success
// page, which fits the screen and shows the credit; loading it again books
// nothing more.
func TestBrowserPhoneDeposit(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)
	email := "hugo@example.com"
	b.do("use a 360 px phone", chromedp.EmulateViewport(360, 780))
	b.do("register", b.register(email)...)
	b.do("start the deposit", b.depositSteps("100")...)
	b.do("wait for the checkout in the whole window", chromedp.WaitVisible(id("sandbox-banner")))
	if loc := b.location(); !strings.HasPrefix(loc, lv.CheckoutOrigin+"/checkout/") {
		t.Fatalf("the phone shows %s; want the checkout at %s", loc, lv.CheckoutOrigin)
	}
	b.do("pay in the checkout", payInCheckout("deposit-ok")...)
	b.waitLocation("/deposit/success")
	b.waitText("order-status", "In your balance")
	b.waitText("balance", "SEK 100.00")
	if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
		t.Errorf("on a phone the success page is cut off: %v (%v)", wide, err)
	}
	b.do("load the success page again", chromedp.Reload(), chromedp.WaitVisible(id("order-status")))
	b.waitText("order-status", "In your balance")
	b.waitText("balance", "SEK 100.00")
	if got := lv.wallet(lv.playerByEmail(email)); got.Minor != 10000 {
		t.Errorf("wallet after reloading the success page %d; want 10000", got.Minor)
	}
	if n := countOrders(t, lv.testApp); n != 1 {
		t.Errorf("%d orders; want 1", n)
	}
}
