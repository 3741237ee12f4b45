package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser tests: the real app on a 127.0.0.1 listener, the sandbox as Trustly on
// another site, notifications over HTTP from the sandbox's outbox, and a player
// clicking in Chromium. Helpers: browser_helpers_test.go.

// TestBrowserDepositInFrame: a new player deposits 100.00 through the checkout
// framed in the cashier page; Trustly's URLTarget _top brings the whole window
// to the success page, which shows the credit without a reload.
func TestBrowserDepositInFrame(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	b.do("register", b.register("asa@example.com")...)
	if got := b.text("balance"); got != "SEK 0.00" {
		t.Errorf("balance after registering %q; want SEK 0.00", got)
	}
	b.snap("cashier")
	b.do("pick 100 SEK", chromedp.Click(id("pick-100.00")))
	amount, err := chromedp.Run(b.ctx, chromedp.Value(id("amount")))
	if err != nil || amount != "100.00" {
		t.Fatalf("the 100 SEK quick pick filled in %q (%v); want 100.00", amount, err)
	}
	b.do("start the deposit", chromedp.Click(id("deposit-submit")), chromedp.WaitVisible(id("checkout-frame")))
	b.waitLocation("/deposit/checkout")
	b.snap("checkout-desktop")

	frame := b.checkoutFrame()
	b.doIn(frame, "pay in the framed checkout", payInCheckout("deposit-ok")...)
	b.waitLocation("/deposit/success")
	b.do("mark the page", chromedp.WaitVisible(id("order-state")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	if b.has("checkout-frame") {
		t.Error("the success page is shown with the checkout frame still there")
	}
	first := b.text("order-status")
	if got := b.text("result-title"); first != "In your balance" && got != "Processing your deposit" {
		t.Errorf("title %q", got)
	}
	b.snap("success-waiting")
	b.waitText("order-status", "In your balance")
	b.waitText("balance", "SEK 100.00")
	// The heading follows the money: no "Processing" once it is in the balance.
	b.waitText("result-title", enText("deposit.result.title_credited"))
	if reloaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.notReloaded !== true`)); err != nil || reloaded {
		t.Errorf("the success page was reloaded to show the credit (%v)", err)
	}
	if first == "In your balance" {
		t.Logf("the credit arrived before the success page was first shown; its live update was not exercised")
	}
	b.snap("success-credited")

	b.do("back to the cashier", chromedp.Click(id("back-to-cashier")), chromedp.WaitVisible(id("deposit-form")))
	if got := b.text("balance"); got != "SEK 100.00" {
		t.Errorf("cashier balance %q; want SEK 100.00", got)
	}
}

// TestBrowserCancelOnPhone: on a phone-sized screen the cashier sends the whole
// window to the checkout (no frame); the player cancels there, lands on the fail
// page, and nothing was booked.
func TestBrowserCancelOnPhone(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	b.do("use a phone-sized screen", chromedp.EmulateViewport(390, 844))
	b.do("register", b.register("bo@example.com")...)
	b.snap("cashier-phone")
	b.do("start the deposit", b.depositSteps("100")...)
	b.do("wait for the checkout in the whole window", chromedp.WaitVisible(id("sandbox-banner")))
	if loc := b.location(); !strings.HasPrefix(loc, lv.CheckoutOrigin+"/checkout/") {
		t.Fatalf("the phone shows %s; want the checkout at %s", loc, lv.CheckoutOrigin)
	}
	b.snap("checkout-phone")

	b.do("cancel in the checkout", cancelInCheckout()...)
	b.waitLocation("/deposit/fail")
	b.do("wait for the fail page", chromedp.WaitVisible(id("order-status")))
	if got := b.text("result-title"); got != "Your deposit was not completed" {
		t.Errorf("title %q", got)
	}
	// Before Trustly's cancel arrives the order is still started; the fail page
	// must not say "Waiting for the bank" beside "not completed".
	if got := b.text("order-status"); got != enText("deposit.status.not_completed") && got != "Cancelled — nothing was charged" {
		t.Errorf("the fail page first reads %q; want %q (or the cancel's words)", got, enText("deposit.status.not_completed"))
	}
	b.waitText("order-status", "Cancelled — nothing was charged")
	b.snap("fail-phone")
	if got := b.text("balance"); got != "SEK 0.00" {
		t.Errorf("balance on the fail page %q; want SEK 0.00", got)
	}

	b.do("try again", chromedp.Click(id("try-again")), chromedp.WaitVisible(id("deposit-form")))
	if amount, err := chromedp.Run(b.ctx, chromedp.Value(id("amount"))); err != nil || amount != "100.00" {
		t.Errorf("Try again fills in %q (%v); want 100.00", amount, err)
	}
	if got := b.text("balance"); got != "SEK 0.00" {
		t.Errorf("cashier balance %q; want SEK 0.00", got)
	}
	b.do("open the history", chromedp.Navigate(lv.URL+"/history"), chromedp.WaitVisible(id("order-row")))
	if got := b.text("order-status"); got != "Cancelled — nothing was charged" {
		t.Errorf("history status %q", got)
	}
}

// TestBrowserDepositReturned: the bank returns a credited deposit (Trustly's D1
// debit). The balance goes back to zero and the player reads why.
func TestBrowserDepositReturned(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	b.do("register", b.register("cai@example.com")...)
	b.do("start the deposit", b.depositSteps("100")...)
	b.do("wait for the checkout", chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "pay in the framed checkout", payInCheckout("deposit-credit-then-debit")...)
	b.waitLocation("/deposit/success")
	b.waitText("order-status", "Returned by your bank")
	b.waitText("balance", "SEK 0.00")
	b.waitText("result-title", enText("deposit.result.title_returned"))
	b.snap("success-returned")

	b.do("open the history", chromedp.Navigate(lv.URL+"/history"), chromedp.WaitVisible(id("order-row")))
	if got := b.text("order-status"); got != "Returned by your bank" {
		t.Errorf("history status %q", got)
	}
	b.snap("history-returned")
	b.do("open the cashier", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("deposit-form")))
	if got := b.text("balance"); got != "SEK 0.00" {
		t.Errorf("cashier balance %q; want SEK 0.00", got)
	}
}

// TestBrowserWithoutJavaScript: the deposit works without scripts. A quick pick
// sends the form with its amount even though the amount field is empty, and the
// checkout page frames Trustly as the server rendered it. The result pages of the
// deposit and of an account chosen with Trustly say that they update by
// themselves, which only their script did: without it they went on saying
// "waiting" after the money and the account had arrived. They reload themselves
// while they wait (a refresh in noscript), and show both. Each result page waits
// for the sandbox at a person's pace and then for its next reload, up to
// noScriptEvery (5 s), by design: twice the usual time.
func TestBrowserWithoutJavaScript(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowserFor(t, lv, 2*browserTimeout)

	b.do("register", b.register("dan@example.com")...)
	b.do("turn JavaScript off", scriptOff(), chromedp.Reload(), chromedp.WaitVisible(id("deposit-form")))
	b.do("press the 250 SEK quick pick", chromedp.Click(id("pick-250.00")), chromedp.WaitVisible(id("checkout-frame")))
	b.waitLocation("/deposit/checkout")
	if got := b.text("checkout-title"); got != "Deposit SEK 250.00" {
		t.Errorf("checkout title %q; want Deposit SEK 250.00", got)
	}
	b.doIn(b.checkoutFrame(), "pay in the framed checkout", payInCheckout("deposit-ok")...)
	b.waitLocation("/deposit/success")
	if first := b.text("order-status"); first == "In your balance" {
		t.Logf("the credit arrived before the success page was first shown; its update was not exercised")
	}
	b.waitText("order-status", "In your balance")
	b.waitText("balance", "SEK 250.00")

	b.do("add an account with Trustly", chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("add-with-trustly")),
		chromedp.Click(id("add-with-trustly")), chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "choose the account in the framed checkout", payInCheckout("select-ok")...)
	b.waitLocation("/accounts/success")
	if first := b.text("account-status"); first != "Verifying your account…" {
		t.Logf("the account arrived before the success page was shown (%q); its update was not exercised", first)
	}
	b.waitText("result-title", "Bank account added")
}
