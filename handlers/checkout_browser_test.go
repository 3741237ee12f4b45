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
