package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/models"
)

// Browser tests of the player's flows around the checkout and the forms: Back,
// Forward and reload, a session that ends while a form is open, the sandbox's
// scenarios as the pages tell them, and bank accounts in every market's language.

// back presses the browser's Back (history.back(): chromedp's NavigateBack waits
// for a load that a page restored from the back/forward cache never sends).
func (b *browser) back() {
	b.t.Helper()
	b.do("press Back", chromedp.Evaluate[chromedp.Void](`history.back()`))
}

// TestBrowserBackShowsTheStateNow: Chromium keeps pages in its back/forward cache
// even when they are sent Cache-Control: no-store, so Back showed a page as it was
// when the player left it. Back from a payout's page showed the withdrawal form
// with the balance from before the payout and "No withdrawals yet"; Back from a
// cancelled deposit's fail page showed its checkout again, asking to approve the
// payment. Every page a player goes back to is loaded again.
func TestBrowserBackShowsTheStateNow(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	email := "olle@example.com"
	b.do("register", b.register(email)...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "100")
	acc := lv.waitAccount(lv.playerByEmail(email), models.AccountFromDeposit)

	b.withdraw("20", acc.Descriptor)
	b.back()
	b.waitLocation("/payout")
	b.waitText("withdrawable", "SEK 80.00")
	if !b.has("payout-state") {
		t.Error("back on the withdrawal form, the payout just made is not listed")
	}

	b.do("start a deposit", b.depositSteps("50")...)
	b.do("see the checkout", chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "cancel in the checkout", cancelInCheckout()...)
	b.waitLocation("/deposit/fail")
	b.waitText("order-status", "Cancelled — nothing was charged")
	b.back()
	// The checkout of a cancelled deposit sends the browser to its fail page.
	b.waitLocation("/deposit/fail")
	b.waitText("order-status", "Cancelled — nothing was charged")
}
