package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/trustly-cashier/cashier/models"
)

// focused describes the element that has the focus: its data-testid (or id, or
// tag), and whether a focus ring is drawn around it (an outline or a box shadow).
const focused = `(function(){ var e = document.activeElement, s = getComputedStyle(e);
	var name = e.getAttribute("data-testid") || e.id || e.tagName.toLowerCase();
	var ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
	var r = e.getBoundingClientRect();
	return name + (ring ? "" : " (no focus ring)") + (r.width > 1 && r.height > 1 && r.top >= 0 ? "" : " (not visible)"); })()`

// tabTo presses Tab until the element with data-testid testid has the focus,
// checking on the way that every element focused shows it, and returns the
// order in which they were reached.
func (b *browser) tabTo(testid string) []string {
	b.t.Helper()
	var order []string
	for range 40 {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		name, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](focused))
		if err != nil {
			b.t.Fatal(err)
		}
		order = append(order, name)
		if strings.Contains(name, "(") {
			b.t.Errorf("focus on %s", name)
		}
		if name == testid || strings.HasPrefix(name, testid+" ") {
			return order
		}
	}
	b.t.Fatalf("Tab never reached %s; it went %v", testid, order)
	return nil
}

// press types keys into whatever has the focus.
func (b *browser) press(what, keys string) {
	b.t.Helper()
	b.do(what, chromedp.KeyEvent(keys))
}

// TestBrowserKeyboard: a player who uses only the keyboard deposits and withdraws.
// The first Tab reaches a visible skip link, which moves the focus to the page's
// content; Tab then reaches the amount, the quick picks and the button in the
// order they are shown, each with a visible focus ring; Enter sends the form.
// Trustly's checkout is Trustly's page: it is completed over HTTP here, once the
// frame shows it.
func TestBrowserKeyboard(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 2*browserTimeout)
	email := "mia@example.com"
	b.do("register", b.register(email)...)

	b.do("open the cashier", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("deposit-form")))
	if order := b.tabTo("skip-link"); len(order) != 1 {
		t.Errorf("the first Tab reaches %v; want the skip link", order)
	}
	b.press("follow the skip link", kb.Enter)
	if name, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); name != "main" {
		t.Errorf("the skip link moved the focus to %q; want main", name)
	}
	order := b.tabTo("amount")
	if len(order) > 3 {
		t.Errorf("from the content, Tab passes %v before the amount", order)
	}
	b.press("type the amount", "150")
	order = b.tabTo("deposit-submit")
	if want := []string{"pick-100.00", "pick-250.00", "pick-500.00", "pick-1000.00", "deposit-submit"}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("after the amount Tab goes %v; want %v", order, want)
	}
	b.press("deposit", kb.Enter)
	b.waitLocation("/deposit/checkout")
	loc := b.location()
	messageID := loc[strings.Index(loc, "order=")+len("order="):]
	// The framed checkout must show its first step before the order is completed
	// behind its back: a checkout page loaded after that shows "done" and sends the
	// whole tab to the success page, at a moment of its own (under load, as the
	// tab is sent to /payout: net::ERR_ABORTED).
	b.doIn(b.checkoutFrame(), "wait for the framed checkout", chromedp.WaitVisible(id("bank-next")))
	lv.checkoutAction(messageID, "confirm")
	lv.waitStatus(messageID, models.OrderCredited)
	player := lv.playerByEmail(email)
	lv.waitAccount(player, models.AccountFromDeposit)

	b.do("open the withdrawal form", chromedp.Navigate(lv.URL+"/payout"), chromedp.WaitVisible(id("payout-form")))
	b.tabTo("skip-link")
	b.press("follow the skip link", kb.Enter)
	b.tabTo("amount")
	b.press("type the amount", "40")
	order = b.tabTo("payout-submit")
	if len(order) < 2 || !strings.HasPrefix(order[0], "account-") {
		t.Errorf("after the amount Tab goes %v; want the account first, then on to Withdraw", order)
	}
	b.press("withdraw", kb.Enter)
	b.waitLocation("/payouts/")
	b.do("wait for the payout", chromedp.WaitVisible(id("payout-state")))
	if got := b.text("payout-amount"); got != "SEK 40.00" {
		t.Errorf("the payout is of %q; want SEK 40.00", got)
	}
}
