package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/models"
)

// Browser tests of Pay N Play (issue 9), pure and hybrid: visitors come in through
// the landing page, log in to the sandbox's bank as its test persons inside the
// framed checkout (or the whole window on a phone), and the kyc decision lets them
// in or stops them. Helpers: browser_helpers_test.go; page tests: paynplay_test.go.

// payNPlayBrowserTimeout bounds a browser test that walks several checkouts.
const payNPlayBrowserTimeout = 90 * time.Second

// bankLogin walks the sandbox checkout's bank and login steps as the test person;
// the kyc goes to the cashier when the login is sent.
func bankLogin(person string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(id("bank-next")),
		chromedp.Click(id("bank-next")),
		chromedp.WaitVisible(id("person-" + person)),
		chromedp.Click(id("person-" + person)),
		chromedp.Click(id("login")),
	}
}

// bankFrame is checkoutFrame once the framed checkout shows its first step. A
// context attached while the frame is still loading its first page can miss that
// page (its waits then never end), so it attaches again until the step is seen.
func (b *browser) bankFrame() context.Context {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		var frame context.Context
		var detach context.CancelFunc
		b.eventually("a checkout frame", func() (bool, error) {
			infos, err := chromedp.Targets(b.ctx)
			for _, info := range infos {
				if info.Type == "iframe" && strings.HasPrefix(info.URL, b.lv.CheckoutOrigin+"/checkout/") {
					frame, detach = chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
					return true, err
				}
			}
			return false, err
		}, func() string { return "none among the tab's targets" })
		// The first Run attaches, on the frame's own context: a timeout on it would
		// detach the frame when it ends.
		err := chromedp.Do(frame)
		if err == nil {
			ctx, cancel := context.WithTimeout(frame, 3*time.Second)
			err = chromedp.Do(ctx, chromedp.WaitVisible(id("bank-next")))
			cancel()
		}
		if err == nil {
			b.t.Cleanup(detach)
			return frame
		}
		detach()
		if attempt == 4 {
			b.t.Fatalf("the framed checkout never showed its bank step: %v", err)
		}
	}
}

// payAfterKYC waits until the cashier's kyc answer let the checkout go on to the
// account step, then pays with the first account.
func payAfterKYC() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(id("account-next")),
		chromedp.Click(id("account-next")),
		chromedp.WaitVisible(id("scenario")),
		chromedp.SetValue(id("scenario"), "deposit-ok"),
		chromedp.Click(id("confirm")),
	}
}

// depositAndPlay starts "Deposit & play" of amount on the landing page of market.
func (b *browser) depositAndPlay(market, amount string) {
	b.t.Helper()
	b.do("deposit & play "+amount+" in "+market,
		chromedp.Navigate(b.lv.URL+"/?market="+market),
		chromedp.WaitVisible(id("deposit-play-form")),
		chromedp.SendKeys(id("amount"), amount),
		chromedp.Click(id("deposit-play")),
		chromedp.WaitVisible(id("checkout-frame")))
	b.waitLocation("/paynplay/checkout")
}

// backToMerchant waits until the whole tab shows path after a checkout that ends
// without a last click of ours (a login, or a refusal). The sandbox's last page
// sends the top window back by script; where Chromium blocks a cross-site frame
// from doing that without a click, the player presses "Back to the merchant".
func (b *browser) backToMerchant(frame context.Context, path string) {
	b.t.Helper()
	var loc string
	b.eventually("back at "+path, func() (bool, error) {
		var err error
		if loc, err = chromedp.Run(b.ctx, chromedp.Location()); err == nil && strings.HasPrefix(loc, b.lv.URL+path) {
			return true, nil
		}
		ctx, cancel := context.WithTimeout(frame, 300*time.Millisecond)
		defer cancel()
		chromedp.Do(ctx, chromedp.WaitVisible(id("continue")), chromedp.Click(id("continue")))
		return false, err
	}, func() string { return "the tab shows " + loc })
}

// countPlayersWith counts the players matching where.
func (lv *liveApp) countPlayersWith(where string, args ...any) int64 {
	lv.t.Helper()
	return lv.countRows(&models.Player{}, where, args...)
}

// playerByPersonID loads the player the bank's personid names.
func (lv *liveApp) playerByPersonID(personID string) models.Player {
	lv.t.Helper()
	var p models.Player
	if err := lv.DB.Where("person_id = ?", personID).Take(&p).Error; err != nil {
		lv.t.Fatalf("player with personid %s: %v", personID, err)
	}
	return p
}

// TestBrowserPayNPlayPure: in the pure model a new Swedish person deposits 100
// with "Deposit & play": the bank's identity creates the player, who is signed in
// and funded. Logged out, the same person comes back with "Log in with your bank"
// (a login-only order) to the same wallet, sees the bank's identity on the
// profile, and withdraws to the account they deposited from with one AccountPayout
// and no choice of account.
func TestBrowserPayNPlayPure(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "", playerPace)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.do("open the start page", chromedp.Navigate(lv.URL+"/?market=SE"), chromedp.WaitVisible(id("bank-login-form")))
	if b.has("to-register") || b.has("password") {
		t.Error("the pure model's start page offers a password sign-up or login")
	}
	b.snapWidths("paynplay-landing")
	b.depositAndPlay("SE", "100")
	b.snap("paynplay-checkout")
	frame := b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa", bankLogin("se-adult")...)
	b.doIn(frame, "pay after the identity check", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	if got := b.text("flash"); got != "Welcome, Åsa. You are logged in with your bank." {
		t.Errorf("flash %q", got)
	}
	b.waitText("order-status", "In your balance")
	b.waitText("balance", "SEK 100.00")
	b.snap("paynplay-funded")
	player := lv.playerByPersonID("SE197901311246")
	if n := lv.countPlayersWith("1 = 1"); n != 1 || player.Email != "" || player.PasswordHash != "" || player.FirstName != "Åsa" {
		t.Errorf("%d players, %+v; want one, Åsa from her bank, without email or password", n, player)
	}
	if got := lv.wallet(player); got.Minor != 10000 || got.Currency != "SEK" {
		t.Errorf("wallet %v; want 100.00 SEK", got)
	}

	b.do("open the profile", chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id("bank-identity")))
	if got := b.text("profile-dob") + " | " + b.text("profile-address"); got != "1979-01-31 | Kungsgatan 1, 111 22 Stockholm" {
		t.Errorf("profile shows %q", got)
	}

	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("bank-login-form")))
	b.waitLocation("/")
	b.do("log in with the bank", chromedp.Click(id("bank-login")), chromedp.WaitVisible(id("checkout-frame")))
	frame = b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa again", bankLogin("se-adult")...)
	b.backToMerchant(frame, "/cashier")
	b.do("the cashier", chromedp.WaitVisible(id("deposit-form")))
	if got := b.text("balance"); got != "SEK 100.00" {
		t.Errorf("balance after logging in with the bank %q; want the same wallet's SEK 100.00", got)
	}
	if n := lv.countPlayersWith("1 = 1"); n != 1 {
		t.Errorf("%d players after the login; want 1", n)
	}

	b.do("open the withdrawal form", chromedp.Navigate(lv.URL+"/payout"), chromedp.WaitVisible(id("withdrawable")))
	b.eventually("the form names the account deposited from", func() (bool, error) {
		if b.has("deposit-account") {
			return true, nil
		}
		return false, chromedp.Do(b.ctx, chromedp.Reload(), chromedp.WaitVisible(id("withdrawable")))
	}, func() string { return "it does not" })
	if b.has("account-choices") || b.has("add-account") {
		t.Error("the pure model's withdrawal form offers a choice of account")
	}
	if got := b.text("deposit-account"); !strings.HasSuffix(got, "**706212") {
		t.Errorf("withdrawal goes to %q; want the account deposited from, **706212", got)
	}
	b.snap("paynplay-payout")
	b.do("withdraw 40", chromedp.SendKeys(id("amount"), "40"), chromedp.Click(id("payout-submit")),
		chromedp.WaitVisible(id("payout-state")))
	b.waitLocation("/payouts/")
	var payout models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderPayout).Take(&payout).Error; err != nil {
		t.Fatal(err)
	}
	var account models.BankAccount
	if err := lv.DB.Where("player_id = ? AND source = ?", player.ID, models.AccountFromDeposit).Take(&account).Error; err != nil {
		t.Fatal(err)
	}
	if payout.BankAccountID != account.ID || payout.AccountID != account.AccountID || payout.Amount.Minor != 4000 {
		t.Errorf("payout to account %d (%s) of %v; want the deposit's account %d (%s), 40.00", payout.BankAccountID,
			payout.AccountID, payout.Amount, account.ID, account.AccountID)
	}
	if n := lv.Sandbox.Sandbox.PayoutCalls(payout.MessageID); n != 1 {
		t.Errorf("AccountPayout calls %d; want 1", n)
	}
	if n := lv.countRows(&models.Order{}, "kind = ?", models.OrderSelectAccount); n != 0 {
		t.Errorf("%d SelectAccount orders; want none", n)
	}
}

// TestBrowserPayNPlayFinlandNetherlands: in the hybrid model a Finnish and a Dutch
// person each register by their first deposit, in their market's currency; the
// Dutch one has no personid.
func TestBrowserPayNPlayFinlandNetherlands(t *testing.T) {
	lv := startPayNPlayLive(t, "hybrid", "", playerPace)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.do("choose Finland on the start page", chromedp.Navigate(lv.URL+"/"), chromedp.WaitVisible(id("market-picker")),
		// SetValue fires the select's change event, on which the page sends the
		// form itself (data-submit-on-change): clicking its button as well loaded
		// Finland's page twice, and the second load cut into what the test read.
		chromedp.SetValue(id("market"), "FI"))
	// Wait for the new page before reading it: under load the old one may still
	// be there, and its nodes vanish mid-read.
	b.waitLocation("/?market=FI")
	b.do("wait for Finland's start page",
		chromedp.WaitReady(`[data-testid="deposit-play-form"] input[name="market"][value="FI"]`))
	if got := b.text("deposit-currency"); got != "EUR" || !b.has("to-register") || b.has("bank-login-form") {
		t.Errorf("Finland's hybrid start page: amount in %q, register %t, bank login %t", got, b.has("to-register"), b.has("bank-login-form"))
	}
	b.depositAndPlay("FI", "100")
	frame := b.bankFrame()
	b.doIn(frame, "log in to the bank as Matti", bankLogin("fi-adult")...)
	b.doIn(frame, "pay", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "€100.00")
	matti := lv.playerByPersonID("FI131052-309U")
	if matti.FirstName != "Matti" || matti.Country != "FI" || matti.Currency != "EUR" {
		t.Errorf("Finnish player %+v", matti)
	}
	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("landing-title")))

	b.depositAndPlay("NL", "50")
	frame = b.bankFrame()
	b.doIn(frame, "log in to the bank as Jan", bankLogin("nl-adult")...)
	b.doIn(frame, "pay", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "€50.00")
	var jan models.Player
	if err := lv.DB.Where("first_name = ? AND last_name = ?", "Jan", "de Vries").Take(&jan).Error; err != nil {
		t.Fatal(err)
	}
	if jan.PersonID != "" || jan.KYCEntityID == "" || jan.Country != "NL" || jan.ID == matti.ID {
		t.Errorf("Dutch player %+v; want a new NL player keyed by kycentityid, no personid", jan)
	}
	if n := lv.countPlayersWith("1 = 1"); n != 2 {
		t.Errorf("%d players; want 2", n)
	}
	if got := lv.wallet(matti); got.Minor != 10000 {
		t.Errorf("Matti's wallet %v; want 100.00 EUR", got)
	}
}

// TestBrowserPayNPlayRefused: the under-18 person (on a phone: the checkout in the
// whole window) and the self-excluded person (in the frame) are stopped at the
// identity check with a page saying why; no player is created and no money is
// booked.
func TestBrowserPayNPlayRefused(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "", playerPace)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.do("use a phone-sized screen", chromedp.EmulateViewport(390, 844))
	b.do("deposit & play 100 on a phone", chromedp.Navigate(lv.URL+"/?market=SE"), chromedp.WaitVisible(id("deposit-play-form")),
		chromedp.SendKeys(id("amount"), "100"), chromedp.Click(id("deposit-play")),
		chromedp.WaitVisible(id("sandbox-banner")))
	if loc := b.location(); !strings.HasPrefix(loc, lv.CheckoutOrigin+"/checkout/") {
		t.Fatalf("the phone shows %s; want the checkout in the whole window", loc)
	}
	b.do("log in to the bank as Elsa, 12", bankLogin("se-minor")...)
	b.waitLocation("/paynplay/fail")
	b.waitText("refusal", "You must be 18 or older to play. No money was moved.")
	b.snap("paynplay-refused-phone")

	b.do("use a desktop screen", chromedp.EmulateViewport(1280, 900))
	b.depositAndPlay("SE", "100")
	frame := b.bankFrame()
	b.doIn(frame, "log in to the bank as Sven, self-excluded", bankLogin("se-excluded")...)
	b.backToMerchant(frame, "/paynplay/fail")
	b.do("the refusal", chromedp.WaitVisible(id("refusal")))
	if got := b.text("refusal"); !strings.Contains(got, "excluded from gambling") || !strings.Contains(got, "No money was moved") {
		t.Errorf("refusal %q; want self-exclusion named", got)
	}
	if got := b.text("result-title"); got != "You cannot play here" {
		t.Errorf("title %q", got)
	}
	b.snap("paynplay-refused")
	b.do("the cashier is closed", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("login-form")))

	if n := lv.countPlayersWith("1 = 1"); n != 0 {
		t.Errorf("%d players; want none", n)
	}
	var orders []models.Order
	if err := lv.DB.Find(&orders).Error; err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.KYCOutcome != models.KYCFinish || o.PlayerID != 0 {
			t.Errorf("order %s: kyc %q, player %d; want finish, none", o.MessageID, o.KYCOutcome, o.PlayerID)
		}
	}
	if n := lv.countRows(&models.Transfer{}, "1 = 1"); n != 0 || len(orders) != 2 {
		t.Errorf("%d ledger transfers for %d orders; want none for 2", n, len(orders))
	}
}

// TestBrowserPayNPlayHybridPasswordPlayer: in the hybrid model a player with a
// password deposits from the cashier, where the bank confirms who they are. With
// their own identity they keep one player and one wallet, which "Deposit & play"
// later finds by that identity; a player logging in to someone else's bank is
// refused, the deposit page says why, and nothing is booked.
func TestBrowserPayNPlayHybridPasswordPlayer(t *testing.T) {
	lv := startPayNPlayLive(t, "hybrid", "", playerPace)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.do("register as Åsa Öberg-Lindqvist", b.registerAs("asa@example.com", "Åsa", "Öberg-Lindqvist", "19790131-1246")...)
	if got := b.text("bank-check"); !strings.Contains(got, "It must be you") {
		t.Errorf("the cashier does not say what the bank check does: %q", got)
	}
	b.do("deposit 100", b.depositSteps("100")...)
	frame := b.bankFrame()
	b.doIn(frame, "log in to her own bank", bankLogin("se-adult")...)
	b.doIn(frame, "pay", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "SEK 100.00")
	asa := lv.playerByEmail("asa@example.com")
	if asa.PersonID != "SE197901311246" {
		t.Errorf("password player's personid %q; want the bank's SE197901311246", asa.PersonID)
	}

	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	b.depositAndPlay("SE", "50")
	frame = b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa", bankLogin("se-adult")...)
	b.doIn(frame, "pay", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "SEK 150.00")
	if n := lv.countPlayersWith("1 = 1"); n != 1 {
		t.Errorf("%d players; want Åsa's one", n)
	}
	if got := lv.wallet(asa); got.Minor != 15000 {
		t.Errorf("Åsa's wallet %v; want 150.00 SEK in one wallet", got)
	}

	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	bertID := nextSEPersonID()
	b.do("register as Bert Berg", b.registerAs("bert@example.com", "Bert", "Berg", bertID)...)
	b.do("deposit 100", b.depositSteps("100")...)
	frame = b.bankFrame()
	b.doIn(frame, "log in to Lars Nilsson's bank", bankLogin("se-adult2")...)
	b.backToMerchant(frame, "/deposit/fail")
	b.waitText("kyc-refusal", "The bank identity you logged in with is not the one of this account. No money was moved.")
	b.waitText("order-status", "Cancelled — nothing was charged")
	b.snap("paynplay-hybrid-refused")
	bert := lv.playerByEmail("bert@example.com")
	if got := lv.wallet(bert); got.Minor != 0 {
		t.Errorf("Bert's wallet %v; want 0", got)
	}
	if want := "SE" + strings.ReplaceAll(bertID, "-", ""); bert.PersonID != want {
		t.Errorf("Bert's personid %s; want the one he registered with, %s, not the bank's", bert.PersonID, want)
	}
	if n := lv.countPlayersWith("1 = 1"); n != 2 {
		t.Errorf("%d players; want Åsa and Bert", n)
	}
}

// registerAs opens a Swedish account with a password, the names and personnummer
// given, signs in and ends on the cashier page.
func (b *browser) registerAs(email, first, last, personID string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.lv.URL + "/register"),
		chromedp.WaitVisible(id("register-form")),
		chromedp.SendKeys(id("email"), email),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.SendKeys(id("first-name"), first),
		chromedp.SendKeys(id("last-name"), last),
		chromedp.SetValue(id("country"), "SE"),
		chromedp.SendKeys(id("person-id"), personID),
		chromedp.Click(id("register-submit")),
		chromedp.WaitVisible(id("login-form")),
		// The sign-in page has the email just registered in its field.
		chromedp.WaitVisible(`[data-testid="email"][value="` + email + `"]`),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("deposit-form")),
	}
}

// TestBrowserPayNPlayExcludedWithdraws: a pure Pay N Play player who deposited and
// then excluded themselves in the national register comes back with "Log in with
// your bank" and is let in withdraw-only: the cashier page says why deposits are
// closed, shows the balance and no deposit form, and the withdrawal goes to the
// account deposited from. "Deposit & play" is refused as before.
func TestBrowserPayNPlayExcludedWithdraws(t *testing.T) {
	fake := exclusions.Sandbox()
	setup := withPayNPlay(t, "pure")
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) { setup(s); s.Cashier.Exclusions = fake }, Sandbox: playerPace})
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.depositAndPlay("SE", "100")
	frame := b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa", bankLogin("se-adult")...)
	b.doIn(frame, "pay after the identity check", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "SEK 100.00")
	player := lv.playerByPersonID("SE197901311246")
	lv.waitAccount(player, models.AccountFromDeposit)
	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("bank-login-form")))
	exclude(t, fake, player)

	b.do("log in with the bank", chromedp.Click(id("bank-login")), chromedp.WaitVisible(id("checkout-frame")))
	frame = b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa, now excluded", bankLogin("se-adult")...)
	b.backToMerchant(frame, "/cashier")
	b.do("the withdraw-only cashier page", chromedp.WaitVisible(id("withdraw-only")))
	if got, want := b.text("withdraw-only"), "You are registered as excluded from gambling (Spelpaus), so deposits and play are closed to you here."; !strings.Contains(got, want) {
		t.Errorf("notice %q; want it to say %q", got, want)
	}
	if b.has("deposit-form") {
		t.Error("the withdraw-only cashier page offers a deposit")
	}
	if got := b.text("balance"); got != "SEK 100.00" {
		t.Errorf("balance %q; want SEK 100.00", got)
	}
	b.snap("paynplay-withdraw-only")

	b.do("follow the way to withdraw", chromedp.Click(id("withdraw-link")), chromedp.WaitVisible(id("withdrawable")))
	b.eventually("the form names the account deposited from", func() (bool, error) {
		if b.has("deposit-account") {
			return true, nil
		}
		return false, chromedp.Do(b.ctx, chromedp.Reload(), chromedp.WaitVisible(id("withdrawable")))
	}, func() string { return "it does not" })
	b.do("withdraw 40", chromedp.SendKeys(id("amount"), "40"), chromedp.Click(id("payout-submit")),
		chromedp.WaitVisible(id("payout-state")))
	b.waitLocation("/payouts/")
	var payout models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderPayout).Take(&payout).Error; err != nil {
		t.Fatal(err)
	}
	var account models.BankAccount
	if err := lv.DB.Where("player_id = ? AND source = ?", player.ID, models.AccountFromDeposit).Take(&account).Error; err != nil {
		t.Fatal(err)
	}
	if payout.BankAccountID != account.ID || payout.Amount.Minor != 4000 {
		t.Errorf("payout to account %d of %v; want the deposit's account %d, 40.00", payout.BankAccountID, payout.Amount, account.ID)
	}

	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("bank-login-form")))
	b.depositAndPlay("SE", "100")
	frame = b.bankFrame()
	b.doIn(frame, "Deposit & play as Åsa, excluded", bankLogin("se-adult")...)
	b.backToMerchant(frame, "/paynplay/fail")
	b.waitText("refusal", "You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved.")
	if got := lv.wallet(player); got.Minor != 6000 {
		t.Errorf("wallet %d; want 6000 after the payout and the refused deposit", got.Minor)
	}
}

// TestBrowserPayNPlayHybridSetsPassword: in the hybrid model a person who came in
// with "Deposit & play" has no password. On the profile page they choose an email
// and a password, which the page the deposit signs in to offers and leads to
// (two passwords that differ come back with the reason and the
// email typed), log out, and sign in at the sign-in page with them, without a
// deposit, to the same wallet. The profile page with the form, and the deposit's
// page with its offer, pass axe, in every language.
func TestBrowserPayNPlayHybridSetsPassword(t *testing.T) {
	script := axeScript(t)
	lv := startPayNPlayLive(t, "hybrid", "", playerPace)
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.depositAndPlay("SE", "100")
	frame := b.bankFrame()
	b.doIn(frame, "log in to the bank as Åsa", bankLogin("se-adult")...)
	b.doIn(frame, "pay after the identity check", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	b.waitText("balance", "SEK 100.00")
	// The deposit's page offers the rest of the registration, and leads to it.
	if !b.visible("finish-sign-in") {
		t.Error("the deposit's page of a player without a password offers no email and password")
	}
	b.snap("paynplay-deposit-offers-sign-in")
	result := strings.TrimPrefix(b.location(), lv.URL)
	b.checkAxe(script, result)
	b.checkAxeInOtherLanguages(script, result)
	b.do("follow the offer of an email and password", chromedp.Navigate(lv.URL+result),
		chromedp.Click(id("finish-sign-in-link")), chromedp.WaitVisible(id("sign-in-form")))

	b.do("open the profile", chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id("sign-in-form")))
	if b.has("password-form") {
		t.Error("the profile of a player without a password offers to change it")
	}
	b.checkAxe(script, "/profile")
	b.checkAxeInOtherLanguages(script, "/profile")
	b.do("open the profile", chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id("sign-in-form")))
	b.do("type two passwords that differ", chromedp.SendKeys(id("sign-in-email"), "asa.bank@example.com"),
		chromedp.SendKeys(id("sign-in-password"), "a new password 1"),
		chromedp.SendKeys(id("sign-in-password-again"), "a new password 2"),
		chromedp.Click(id("sign-in-submit")), chromedp.WaitVisible(id("problem")))
	if got := b.text("problem"); got != "The two passwords differ. Type the same password twice." {
		t.Errorf("problem %q", got)
	}
	if got := b.value("sign-in-email"); got != "asa.bank@example.com" {
		t.Errorf("the form came back with email %q; want the one typed", got)
	}
	b.snap("paynplay-set-password-refused")
	b.do("type the same password twice", chromedp.SendKeys(id("sign-in-password"), "a new password 1"),
		chromedp.SendKeys(id("sign-in-password-again"), "a new password 1"),
		chromedp.Click(id("sign-in-submit")), chromedp.WaitVisible(id("password-form")))
	if got := b.text("flash"); !strings.HasPrefix(got, "Your email and password are saved") {
		t.Errorf("flash %q", got)
	}
	if got := b.text("profile-email"); got != "asa.bank@example.com" {
		t.Errorf("profile email %q", got)
	}

	b.do("log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	b.do("sign in with the email and password", chromedp.SendKeys(id("email"), "asa.bank@example.com"),
		chromedp.SendKeys(id("password"), "a new password 1"), chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("deposit-form")))
	if got := b.text("balance"); got != "SEK 100.00" {
		t.Errorf("balance after signing in %q; want the same wallet's SEK 100.00", got)
	}
	if n := lv.countPlayersWith("1 = 1"); n != 1 {
		t.Errorf("%d players; want one", n)
	}
}

// TestBrowserPayNPlaySignInInAnotherTab: a visitor starts "Deposit & play" and,
// while the checkout waits at the bank, signs in with a password in another tab
// of the same browser, to an account that is not the bank's person's. The
// checkout returns the first tab to a page that says that this login did not sign
// them in and where the deposit went, never "page not found"; the browser stays
// signed in to the password account, and the money is the bank's person's.
func TestBrowserPayNPlaySignInInAnotherTab(t *testing.T) {
	lv := startPayNPlayLive(t, "hybrid", "", playerPace)
	bo := lv.player("bo@example.com")
	b := newBrowserFor(t, lv, payNPlayBrowserTimeout)

	b.depositAndPlay("SE", "100")
	frame := b.bankFrame()
	tab, closeTab := chromedp.NewContext(b.ctx)
	defer closeTab()
	other := &browser{t: t, ctx: tab, lv: lv}
	other.do("sign in with a password in another tab", chromedp.Navigate(lv.URL+"/login"),
		chromedp.WaitVisible(id("login-form")), chromedp.SendKeys(id("email"), "bo@example.com"),
		chromedp.SendKeys(id("password"), testPassword), chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("deposit-form")))

	b.doIn(frame, "log in to the bank as Lars", bankLogin("se-adult2")...)
	b.doIn(frame, "pay", payAfterKYC()...)
	b.waitLocation("/paynplay/success")
	b.waitText("refusal", "You logged in to another account while this deposit was under way, so it did not log you in. "+
		"The deposit goes to the account of the person who logged in at the bank: log out and log in with your bank to play with it.")
	b.snap("paynplay-signed-in-in-another-tab")
	b.waitLoaded() // the refusal is read before the page's deferred scripts have run
	b.do("go on to the cashier", chromedp.Click(id("back-to-start")), chromedp.WaitVisible(id("deposit-form")))
	if got := b.text("player-name"); got != bo.Name() {
		t.Errorf("signed in as %q; want %q still", got, bo.Name())
	}
	lars := lv.playerByPersonID("SE199006152350")
	b.eventually("the deposit credited to Lars", func() (bool, error) {
		return lv.wallet(lars).Minor == 10000, nil
	}, func() string { return "Lars's wallet " + lv.wallet(lars).String() })
	if got := lv.wallet(bo); got.Minor != 0 {
		t.Errorf("Bo's wallet %s; want nothing", got)
	}
}
