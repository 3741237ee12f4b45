package handlers

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// Browser tests of bank accounts and payouts, on the helpers of
// browser_helpers_test.go: a player in Chromium, the cashier on a listener, and the
// sandbox on another site delivering notifications over HTTP. Payout outcomes are
// chosen as a developer does, on the sandbox's own /sandbox/ page.

// signedInAs is a page-test browser signed in as the player a Chromium test
// registered, to set up what the test is not about (a deposit) quickly.
func (lv *liveApp) signedInAs(email string) *testClient {
	lv.t.Helper()
	cl := lv.client()
	cl.signIn(email, testPassword)
	return cl
}

// fund deposits amount for the player signed in as cl through the sandbox's
// checkout, confirmed over HTTP, and waits for the credit.
func (lv *liveApp) fund(cl *testClient, amount string) {
	lv.t.Helper()
	id := lv.startDeposit(cl, amount)
	lv.checkoutAction(id, "confirm")
	lv.waitStatus(id, models.OrderCredited)
}

// playerByEmail loads a player the browser registered.
func (lv *liveApp) playerByEmail(email string) models.Player {
	lv.t.Helper()
	var p models.Player
	if err := lv.DB.Where("email = ?", email).Take(&p).Error; err != nil {
		lv.t.Fatal(err)
	}
	return p
}

// openPayoutForm opens /payout until its form offers an account labelled with
// suffix: an account notification may come a moment after the credit.
func (b *browser) openPayoutForm(suffix string) {
	b.t.Helper()
	expr := `Array.from(document.querySelectorAll('[data-testid="choice-label"]')).map(e => e.textContent.trim())`
	var labels []string
	b.eventually("the withdrawal form offers an account ending "+suffix, func() (bool, error) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate(b.lv.URL+"/payout"), chromedp.WaitVisible(id("withdrawable"))); err != nil {
			return false, err
		}
		var err error
		labels, err = chromedp.Run(b.ctx, chromedp.Evaluate[[]string](expr))
		for _, l := range labels {
			if strings.HasSuffix(l, suffix) {
				return true, err
			}
		}
		return false, err
	}, func() string { return "it offers " + strings.Join(labels, ", ") })
}

// withdraw fills in the withdrawal form for the account whose label ends with
// suffix and sends it; the tab ends on the payout's page.
func (b *browser) withdraw(amount, suffix string) {
	b.t.Helper()
	b.openPayoutForm(suffix)
	pick := `(function(){ var labels = document.querySelectorAll('[data-testid="choice-label"]');
		for (var i = 0; i < labels.length; i++) { if (labels[i].textContent.trim().endsWith(` + jsString(suffix) + `)) {
			labels[i].closest("label").querySelector("input").click(); return true; } } return false; })()`
	b.do("withdraw "+amount,
		chromedp.SendKeys(id("amount"), amount),
		chromedp.Evaluate[chromedp.Void](pick),
		chromedp.Click(id("payout-submit")),
		chromedp.WaitVisible(id("payout-state")))
	b.waitLocation("/payouts/")
}

// choosePayoutScenario picks what the sandbox's next payouts do on its /sandbox/
// page, as a developer running the cashier does.
func (b *browser) choosePayoutScenario(sc sandbox.Scenario) {
	b.t.Helper()
	b.do("choose the next payouts' outcome on the sandbox page",
		chromedp.Navigate(b.lv.Sandbox.URL+"/sandbox/"),
		chromedp.WaitVisible(id("payout-scenario")),
		chromedp.SetValue(id("payout-scenario"), string(sc)),
		chromedp.Click(id("payout-scenario-submit")))
	var got sandbox.Scenario
	b.eventually("the sandbox's next payouts play "+string(sc), func() (bool, error) {
		got = b.lv.Sandbox.Sandbox.PayoutScenario()
		return got == sc, nil
	}, func() string { return "they play " + strconv.Quote(string(got)) })
}

// snapWidths saves screenshots of the current page at desktop and phone widths
// when $CASHIER_SCREENSHOTS is set, and leaves the tab at desktop width.
func (b *browser) snapWidths(name string) {
	b.t.Helper()
	if os.Getenv("CASHIER_SCREENSHOTS") == "" {
		return
	}
	b.do("desktop width", chromedp.EmulateViewport(1280, 900))
	b.snap(name + "-desktop")
	b.do("phone width", chromedp.EmulateViewport(390, 844))
	b.snap(name + "-phone")
	b.do("desktop width", chromedp.EmulateViewport(1280, 900))
}

// visible reports whether the element with data-testid testid is shown.
func (b *browser) visible(testid string) bool {
	b.t.Helper()
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function(e){ return !!e && e.offsetParent !== null; })(document.querySelector(`+
		jsString(`[data-testid="`+testid+`"]`)+`))`))
	if err != nil {
		b.t.Fatal(err)
	}
	return shown
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestBrowserDepositThenPayout: a player deposits in the framed checkout, then
// withdraws part of it to the account the deposit saved; the payout page moves on
// to "Paid out" by itself when Trustly's confirmation arrives.
func TestBrowserDepositThenPayout(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	b.do("register", b.register("erik@example.com")...)
	b.do("start the deposit", b.depositSteps("1000")...)
	b.do("wait for the checkout", chromedp.WaitVisible(id("checkout-frame")))
	b.doIn(b.checkoutFrame(), "pay in the framed checkout", payInCheckout("deposit-ok")...)
	b.waitLocation("/deposit/success")
	b.waitText("order-status", "In your balance")

	b.do("open the withdrawal page from the menu", chromedp.Click(`nav a[href="/payout"]`), chromedp.WaitVisible(id("withdrawable")))
	player := lv.playerByEmail("erik@example.com")
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	b.withdraw("250", acc.Descriptor)
	b.snapWidths("payout-sent")
	b.waitText("payout-state", cashier.PayoutTextPaid)
	if got := b.text("withdrawable"); got != "SEK 750.00" {
		t.Errorf("withdrawable after the payout %q; want SEK 750.00", got)
	}
	if !strings.HasSuffix(b.text("payout-account"), acc.Descriptor) {
		t.Errorf("payout account %q; want %s", b.text("payout-account"), acc.Descriptor)
	}
	b.snapWidths("payout-paid")

	b.do("check with the bank", chromedp.Click(id("check")), chromedp.WaitVisible(id("flash")))
	if got := b.text("flash"); got != enText("payout.checked_now") {
		t.Errorf("flash %q", got)
	}
	if got := b.text("checked"); !strings.HasPrefix(got, "Last checked with the bank") {
		t.Errorf("checked %q", got)
	}
	b.do("back to the withdrawals", chromedp.Click(id("back-to-payout")), chromedp.WaitVisible(id("payouts")))
	if got := b.text("payout-state"); got != cashier.PayoutTextPaid {
		t.Errorf("payouts list state %q", got)
	}
	b.snapWidths("payout-form")
	if got := lv.wallet(player); got.Minor != 75000 {
		t.Errorf("wallet %s; want 750.00", got)
	}
}

// TestBrowserAddAccountWithTrustly: the player adds an account in Trustly's
// framed SelectAccount checkout; the success page says it is verifying until the
// account notification arrives, then shows it; a payout goes to it.
func TestBrowserAddAccountWithTrustly(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	b.do("register", b.register("frida@example.com")...)
	b.do("open the bank accounts", chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("no-accounts")))
	b.snapWidths("bank-accounts-empty")
	b.do("add an account with Trustly", chromedp.Click(id("add-with-trustly")), chromedp.WaitVisible(id("checkout-frame")))
	b.waitLocation("/bank-accounts/checkout")
	if got := b.text("checkout-title"); got != "Add a bank account" {
		t.Errorf("checkout title %q", got)
	}
	b.doIn(b.checkoutFrame(), "choose the account in the framed checkout", payInCheckout("select-ok")...)
	b.waitLocation("/accounts/success")
	first := b.text("account-status")
	b.snap("account-verifying")
	b.waitText("result-title", "Bank account added")
	if first != "Verifying your account…" {
		t.Logf("the account arrived before the success page was shown (%q); its live update was not exercised", first)
	}
	if got := b.text("account-verified"); got != "Verified" {
		t.Errorf("verified %q", got)
	}
	label := b.text("account-label")
	b.snapWidths("account-added")

	b.do("see the account listed", chromedp.Click(id("back-to-accounts")), chromedp.WaitVisible(id("bank-account")))
	if got := b.text("account-source"); got != "Chosen with Trustly" {
		t.Errorf("source %q", got)
	}

	email := "frida@example.com"
	lv.fund(lv.signedInAs(email), "500")
	b.withdraw("100", label[strings.LastIndex(label, " ")+1:])
	b.waitText("payout-state", cashier.PayoutTextPaid)
	if got := b.text("payout-account"); got != label {
		t.Errorf("payout account %q; want %q", got, label)
	}
}

// TestBrowserEnterBankDetails: the player types a Swedish account and a Finnish
// IBAN (the form changes with the country); a mistyped IBAN is refused with a
// sentence before anything reaches Trustly; a payout goes to the typed account.
// On a phone-sized screen.
func TestBrowserEnterBankDetails(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)
	b.do("use a phone-sized screen", chromedp.EmulateViewport(390, 844))

	email := "goran@example.com"
	b.do("register", b.register(email)...)
	b.do("open the bank accounts", chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("enter-details")))
	b.do("enter bank details", chromedp.Click(id("enter-details")), chromedp.WaitVisible(id("details-form")))
	if got := b.text("holder"); got != "Åsa Öberg" {
		t.Errorf("holder %q", got)
	}
	b.snapWidths("details-se")
	b.do("type a Swedish account",
		chromedp.SendKeys(id("bank"), "6112"),
		chromedp.SendKeys(id("account"), "6970 6212"),
		chromedp.Click(id("details-submit")),
		chromedp.WaitVisible(id("flash")))
	b.waitLocation("/bank-accounts")
	if got := b.text("flash"); got != "Handelsbanken **706212 was added. Payouts can go to it now." {
		t.Errorf("flash %q", got)
	}

	b.do("choose Finland", chromedp.Navigate(lv.URL+"/bank-accounts/new"), chromedp.WaitVisible(id("country")),
		chromedp.Evaluate[chromedp.Void](`(function(){ var s = document.querySelector('[data-testid="country"]');
			s.value = "FI"; s.dispatchEvent(new Event("change")); })()`))
	b.waitLocation("/bank-accounts/new?country=FI")
	b.do("wait for the IBAN form", chromedp.WaitVisible(id("account")))
	if b.has("bank") || b.has("country-submit") && b.visible("country-submit") {
		t.Error("the Finnish form shows a clearing number, or the country button despite JavaScript")
	}
	b.snapWidths("details-fi")
	b.do("type a mistyped IBAN",
		chromedp.SendKeys(id("account"), "FI21 1234 5600 0007 86"),
		chromedp.Click(id("details-submit")),
		chromedp.WaitVisible(id("problem")))
	if got := b.text("problem"); got != "This IBAN has a typing error: check the digits again." {
		t.Errorf("problem %q", got)
	}
	b.snapWidths("details-fi-problem")
	// Trustly would have answered 624, which reads "Trustly does not accept this
	// account number"; the sentence above is the cashier's own check.
	if logs := lv.Logs.String(); strings.Contains(logs, "RegisterAccount: Trustly refused") || strings.Contains(logs, "RegisterAccount failed") {
		t.Error("the mistyped IBAN reached Trustly")
	}
	b.do("correct the IBAN",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="account"]').value = ""`),
		chromedp.SendKeys(id("account"), "FI21 1234 5600 0007 85"),
		chromedp.Click(id("details-submit")),
		chromedp.WaitVisible(id("flash")))
	if got := b.text("flash"); !strings.Contains(got, "**000785 was added. Payouts can go to it now.") {
		t.Errorf("flash %q", got)
	}
	b.snapWidths("bank-accounts")
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="bank-account"]').length`))
	if err != nil || n != 2 {
		t.Errorf("%d accounts listed (%v); want 2", n, err)
	}

	lv.fund(lv.signedInAs(email), "500")
	b.withdraw("120.50", "**706212")
	b.waitText("payout-state", cashier.PayoutTextPaid)
	if got := b.text("payout-amount"); got != "SEK 120.50" {
		t.Errorf("amount %q", got)
	}
	b.snap("payout-paid-phone")
}

// TestBrowserPayoutReturned: the bank takes a payout and then sends it back
// (chosen on the sandbox's page); the page follows it to "Returned by the bank"
// and the balance is whole again, once.
func TestBrowserPayoutReturned(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	email := "hanna@example.com"
	b.do("register", b.register(email)...)
	lv.fund(lv.signedInAs(email), "1000")
	player := lv.playerByEmail(email)
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	b.choosePayoutScenario(sandbox.ScenarioPayoutBounce)

	b.withdraw("300", acc.Descriptor)
	if got := b.text("withdrawable"); got != "SEK 700.00" && got != "SEK 1,000.00" {
		t.Errorf("withdrawable right after the request %q", got)
	}
	b.waitText("payout-state", cashier.PayoutTextReturned)
	b.waitText("withdrawable", "SEK 1,000.00")
	b.snapWidths("payout-returned")

	b.do("open the withdrawals", chromedp.Navigate(lv.URL+"/payout"), chromedp.WaitVisible(id("payouts")))
	if got := b.text("withdrawable"); got != "SEK 1,000.00" {
		t.Errorf("withdrawable on the form %q", got)
	}
	if got := b.text("payout-state"); got != cashier.PayoutTextReturned {
		t.Errorf("payouts list state %q", got)
	}
	if err := ledger.New(lv.DB).Audit(context.Background()); err != nil {
		t.Errorf("ledger audit: %v", err)
	}
	if got := lv.wallet(player); got.Minor != 100000 {
		t.Errorf("wallet %s; want 1000.00, the payout returned once", got)
	}
	var returns int64
	lv.DB.Model(&models.Order{}).Where("kind = ? AND returned_at IS NOT NULL", models.OrderPayout).Count(&returns)
	if returns != 1 {
		t.Errorf("%d payouts returned; want 1", returns)
	}
}

// TestBrowserPayoutFailed: the bank refuses a payout (payoutfailed with
// incorrect_account_number, then Trustly's credit). The player reads why, the
// money is back, and the account is no longer offered for payouts: the bank
// accounts page says why.
func TestBrowserPayoutFailed(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)

	email := "ines@example.com"
	b.do("register", b.register(email)...)
	lv.fund(lv.signedInAs(email), "1000")
	player := lv.playerByEmail(email)
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	b.choosePayoutScenario(sandbox.ScenarioPayoutFailed)

	b.withdraw("300", acc.Descriptor)
	b.waitText("payout-state", cashier.PayoutTextRefused)
	b.waitText("withdrawable", "SEK 1,000.00")
	b.waitText("payout-failure", "The receiving bank says the account number is incorrect.")
	b.snapWidths("payout-failed")

	b.do("open the withdrawal form", chromedp.Navigate(lv.URL+"/payout"), chromedp.WaitVisible(id("withdrawable")))
	if b.has("account-" + strconv.FormatInt(acc.ID, 10)) {
		t.Errorf("the withdrawal form still offers %s, which the bank refused", acc.Descriptor)
	}
	b.do("open the bank accounts", chromedp.Navigate(lv.URL+"/bank-accounts"), chromedp.WaitVisible(id("account-payout-failed")))
	if got := b.text("account-payout-failed"); !strings.Contains(got, "account number is incorrect") {
		t.Errorf("the bank accounts page says %q", got)
	}
}
