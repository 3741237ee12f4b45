package handlers

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
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

// TestBrowserSessionEndsInAForm: a session that ends (here signed out everywhere
// from another device) while a form is open sends the player, when they send it,
// to sign in with "you are taken back to what you were doing", and back to that
// form afterwards with what they typed: the deposit limits, and the bank details
// form's country and clearing number (the account number, which would stay in
// the browser's history, is typed again). The sign-in page had said so and sent
// them to the cashier, the limits and bank details lost.
func TestBrowserSessionEndsInAForm(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	email := "petra@example.com"
	b.do("register", b.register(email)...)
	petra := lv.playerByEmail(email)
	endSessions := func() {
		t.Helper()
		if err := lv.Svc.EndSessions(context.Background(), petra.ID); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func() {
		t.Helper()
		b.do("sign in again", chromedp.WaitVisible(id("login-form")),
			chromedp.SendKeys(id("email"), email), chromedp.SendKeys(id("password"), testPassword),
			chromedp.Click(id("login-submit")))
	}

	b.do("type limits", chromedp.Navigate(lv.URL+"/limits"), chromedp.WaitVisible(id("limits-form")),
		chromedp.SendKeys(id("limit-input-day"), "700"), chromedp.SendKeys(id("limit-input-week"), "1 500"))
	endSessions()
	b.do("save them", chromedp.Click(id("limits-submit")))
	b.waitLocation("/login")
	b.waitText("flash", msgSessionEnded)
	signIn()
	b.waitLocation("/limits")
	b.do("see the limits form", chromedp.WaitVisible(id("limits-form")))
	if day, week := b.value("limit-input-day"), b.value("limit-input-week"); day != "700" || week != "1 500" {
		t.Errorf("back on the limits form: day %q, week %q; want 700 and 1 500 as typed", day, week)
	}

	b.do("type bank details", chromedp.Navigate(lv.URL+"/bank-accounts/new"), chromedp.WaitVisible(id("details-form")),
		chromedp.SendKeys(id("bank"), "6112"), chromedp.SendKeys(id("account"), "69706212"))
	endSessions()
	b.do("send them", chromedp.Click(id("details-submit")))
	b.waitLocation("/login")
	signIn()
	b.waitLocation("/bank-accounts/new")
	b.do("see the bank details form", chromedp.WaitVisible(id("details-form")))
	if country, bank := b.value("country"), b.value("bank"); country != "SE" || bank != "6112" {
		t.Errorf("back on the bank details form: country %q, clearing number %q; want SE and 6112", country, bank)
	}

	b.do("open the bank accounts", chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("add-with-trustly")))
	endSessions()
	b.do("add an account with Trustly", chromedp.Click(id("add-with-trustly")))
	b.waitLocation("/login")
	signIn()
	b.waitLocation("/bank-accounts")
	b.do("see the bank accounts", chromedp.WaitVisible(id("add-with-trustly")))
}

// TestBrowserSessionEndsOnAResultPage: a deposit's result page and a payout's page
// keep themselves current by asking for the order's state; once the session had
// ended (signed out on another device) that question was answered with the
// sign-in page, which the script could not read, so the page went on saying
// "Waiting for the bank" whatever became of the money. Now the page goes to sign
// in, saying why, and back to the same page afterwards.
func TestBrowserSessionEndsOnAResultPage(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: func(c *sandbox.Config) {
		c.NotifyDelay = time.Second
		c.StepDelay = 300 * time.Millisecond
		c.LateDelay = time.Hour // deposit-delayed: the credit does not come during the test
	}})
	b := newBrowserFor(t, lv, 2*browserTimeout)
	email := "rut@example.com"
	b.do("register", b.register(email)...)
	rut := lv.playerByEmail(email)
	endSessions := func() {
		t.Helper()
		if err := lv.Svc.EndSessions(context.Background(), rut.ID); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func() {
		t.Helper()
		b.do("sign in again", chromedp.WaitVisible(id("login-form")),
			chromedp.SendKeys(id("email"), email), chromedp.SendKeys(id("password"), testPassword),
			chromedp.Click(id("login-submit")))
	}

	b.do("start a deposit", b.depositSteps("100")...)
	b.do("see the checkout", chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "pay in the checkout", payInCheckout("deposit-delayed")...)
	b.waitLocation("/deposit/success")
	result := b.location()
	b.waitText("order-status", enText("status.processing"))
	endSessions()
	b.waitLocation("/login")
	b.waitText("flash", msgSessionEnded)
	signIn()
	b.eventually("back on the deposit's page", func() (bool, error) {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		return loc == result, err
	}, func() string { return "at " + b.location() })

	lv.fund(lv.signedInAs(email), "500")
	acc := lv.waitAccount(rut, models.AccountFromDeposit)
	b.withdraw("100", acc.Descriptor)
	payout := b.location()
	endSessions()
	b.waitLocation("/login")
	b.waitText("flash", msgSessionEnded)
	signIn()
	b.eventually("back on the payout's page", func() (bool, error) {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		return loc == payout, err
	}, func() string { return "at " + b.location() })
}

// TestBrowserRemoveDoubleClick: without JavaScript Remove asks nothing, and a
// double click sends its form twice; the second sending found the account removed
// by the first and answered "Page not found", though the account was removed as
// asked. The player now sees the bank accounts page saying it was removed.
func TestBrowserRemoveDoubleClick(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	email := "rut@example.com"
	b.do("register", b.register(email)...)
	lv.signedInAs(email).submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"69706212"}}).
		wantRedirect("/bank-accounts")
	b.do("open the bank accounts without JavaScript", scriptOff(), chromedp.Navigate(lv.URL+"/bank-accounts"),
		chromedp.WaitVisible(id("remove")))
	b.do("double-click Remove on a slow network", slowNetwork(400*time.Millisecond), doubleClick("remove"))
	b.waitLocation("/bank-accounts")
	b.waitText("flash", "Handelsbanken **706212 was removed. Payouts already on their way to it go on.")
	if b.has("bank-account") || !b.has("no-accounts") {
		t.Error("the removed account is still listed")
	}
}

// TestBrowserPasswordDoubleClick: a double click on "Change password" on a slow
// network sends the form twice. The first sending changed the password; the
// second found it changed and said "Your current password is wrong", and the
// browser, which had dropped the first answer with its new session cookie, was
// signed out at the next page. The same change sent again now answers as the
// first: changed, and still signed in.
func TestBrowserPasswordDoubleClick(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	email := "tove@example.com"
	b.do("register", b.register(email)...)
	b.do("change the password with a double click on a slow network", slowNetwork(400*time.Millisecond),
		chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id("password-form")),
		chromedp.SendKeys(id("current"), testPassword), chromedp.SendKeys(id("new-password"), "a new password 2"),
		doubleClick("password-submit"))
	b.waitLocation("/profile")
	b.waitText("flash", enText("profile.password_changed"))
	b.do("still signed in", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("deposit-form")))
	if _, _, err := lv.Svc.Authenticate(context.Background(), email, "a new password 2"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
}
