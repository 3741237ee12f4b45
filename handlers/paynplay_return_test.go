package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// Tests of the page a Pay N Play checkout returns to, for a browser whose session
// changed while the checkout was under way: signed in with a password in another
// tab, or by another Pay N Play order of its own.

// TestPayNPlaySignedInInAnotherTab: a visitor starts "Deposit & play" in a hybrid
// market and, while the checkout is under way, signs in with their password in
// another tab. Their return page is never "page not found": before the kyc it
// waits (and its polling answers), and once the kyc named them, the account they
// signed in to (linked by their personid), it goes on to the deposit's result
// page. When the bank named another person than the one signed in, the page says
// that this login did not sign them in and where the money went, names nobody,
// and the browser stays signed in as it was; the money is the bank's person's.
// The return URL in a browser that did not start the order is still "page not
// found", signed in or not.
func TestPayNPlaySignedInInAnotherTab(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "hybrid")})
	asa, err := lv.Svc.Register(t.Context(), models.Registration{Email: "asa@example.com", Password: testPassword,
		FirstName: "Åsa", LastName: "Öberg-Lindqvist", Country: "SE", PersonID: "19790131-1246"})
	if err != nil {
		t.Fatal(err)
	}
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)
	lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	cl.signIn("asa@example.com", testPassword) // another tab

	page := cl.get(success).wantStatus(http.StatusOK)
	if !page.has("paynplay-waiting") {
		t.Errorf("return page before the kyc, signed in meanwhile: want the waiting page\n%s", page.Body)
	}
	if r := cl.get("/paynplay/status?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK); !strings.Contains(r.Body, `"waiting"`) {
		t.Errorf("status %s; want waiting", r.Body)
	}
	other := lv.client()
	other.get(success).wantStatus(http.StatusNotFound)

	lv.checkoutStep(id, "login", url.Values{"person": {"se-adult"}})
	if out := lv.waitDecision(id); out.Order.KYCOutcome != models.KYCContinue || out.Order.PlayerID != asa.ID {
		t.Fatalf("kyc %s for player %d; want continue for Åsa (%d)", out.Order.KYCOutcome, out.Order.PlayerID, asa.ID)
	}
	cl.get(success).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	if got := cl.get("/cashier").wantStatus(http.StatusOK).text("player-name"); got != "Åsa Öberg-Lindqvist" {
		t.Errorf("signed in as %q; want Åsa", got)
	}
	lv.checkoutAfterKYC(id)
	lv.checkoutStep(id, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(id, "confirm", url.Values{})
	lv.waitStatus(id, models.OrderCredited)
	cl.get(success).wantRedirect("/deposit/success?order=" + url.QueryEscape(id)) // a reload
	if got := cl.get("/deposit/success?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK).text("balance"); got != "SEK 100.00" {
		t.Errorf("balance on the deposit's page %q; want SEK 100.00", got)
	}

	// Bo signs in in another tab; the bank names Lars, a new person.
	cl.submit("/logout", nil)
	bo := lv.player("bo@example.com")
	visit := startPayNPlay(cl, "SE", "50")
	back := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(visit)
	lv.checkoutStep(visit, "bank", url.Values{"bank": {"SE|SEB"}})
	cl.signIn("bo@example.com", testPassword)
	cl.get(back).wantStatus(http.StatusOK)
	lv.checkoutStep(visit, "login", url.Values{"person": {"se-adult2"}})
	out := lv.waitDecision(visit)
	if out.Order.KYCOutcome != models.KYCContinue || out.Order.PlayerID == bo.ID || out.Order.PlayerID == asa.ID {
		t.Fatalf("kyc %s for player %d; want continue for a new player", out.Order.KYCOutcome, out.Order.PlayerID)
	}
	lv.checkoutAfterKYC(visit)
	lv.checkoutStep(visit, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(visit, "confirm", url.Values{})
	lv.waitStatus(visit, models.OrderCredited)
	for _, path := range []string{back, cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(visit)} {
		page = cl.get(path).wantStatus(http.StatusConflict)
		want := "You logged in to another account while this deposit was under way, so it did not log you in. " +
			"The deposit goes to the account of the person who logged in at the bank: log out and log in with your bank to play with it."
		if got := page.text("refusal"); got != want {
			t.Errorf("GET %s signed in as Bo: refusal %q; want %q", path, got, want)
		}
		if strings.Contains(page.Body, "Lars") || strings.Contains(page.Body, "Nilsson") {
			t.Errorf("GET %s signed in as Bo names the bank's person:\n%s", path, page.Body)
		}
	}
	if got := cl.get("/cashier").wantStatus(http.StatusOK).text("player-name"); got != bo.Name() {
		t.Errorf("signed in as %q after the return page; want Bo's %q still", got, bo.Name())
	}
	if lv.order(visit).SignedInAt != nil {
		t.Error("the order's sign-in was claimed by a browser it did not sign in")
	}
	if got := lv.wallet(models.Player{ID: out.Order.PlayerID, Currency: "SEK"}); got.Minor != 5000 {
		t.Errorf("the bank's person's wallet %s; want 50.00", got)
	}
	if got := lv.wallet(bo); got.Minor != 0 {
		t.Errorf("Bo's wallet %s; want nothing", got)
	}
	other.signIn("bo@example.com", testPassword)
	other.get(back).wantStatus(http.StatusNotFound)
}

// TestPayNPlayTwoTabs: a visitor starts "Deposit & play" in two tabs. The first
// checkout signs the browser in; the second tab's page goes on waiting (its
// polling still answers, not "page not found"), and once its kyc names the same
// person it goes on to its own deposit's result page, each deposit booked once.
func TestPayNPlayTwoTabs(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "hybrid")})
	cl := lv.client()
	first := startPayNPlay(cl, "SE", "100")
	second := startPayNPlay(cl, "SE", "50")
	for _, id := range []string{first, second} {
		lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	}
	lv.checkoutStep(first, "login", url.Values{"person": {"se-adult"}})
	out := lv.waitDecision(first)
	if out.State != cashier.PayNPlayReady {
		t.Fatalf("first: %s %q; want ready", out.State, out.Message)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(first)).wantRedirect("/deposit/success?order=" + url.QueryEscape(first))

	status := "/paynplay/status?order=" + url.QueryEscape(second)
	if r := cl.get(status).wantStatus(http.StatusOK); !strings.Contains(r.Body, `"waiting"`) {
		t.Errorf("second tab's status %s; want waiting", r.Body)
	}
	lv.checkoutStep(second, "login", url.Values{"person": {"se-adult"}})
	if o := lv.waitDecision(second); o.State != cashier.PayNPlayReady || o.Player.ID != out.Player.ID {
		t.Fatalf("second: %s %q; want ready, the first's player", o.State, o.Message)
	}
	if r := cl.get(status).wantStatus(http.StatusOK); !strings.Contains(r.Body, `"ready"`) {
		t.Errorf("second tab's status %s; want ready", r.Body)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(second)).wantRedirect("/deposit/success?order=" + url.QueryEscape(second))
	for _, id := range []string{first, second} {
		lv.checkoutAfterKYC(id)
		lv.checkoutStep(id, "account", url.Values{"account": {"0"}})
		lv.checkoutStep(id, "confirm", url.Values{})
		lv.waitStatus(id, models.OrderCredited)
	}
	if got := lv.wallet(*out.Player); got.Minor != 15000 {
		t.Errorf("wallet %s; want 150.00", got)
	}
	if n := lv.countPlayersWith("1 = 1"); n != 1 {
		t.Errorf("%d players; want one", n)
	}
	if got := cl.get("/cashier").wantStatus(http.StatusOK).text("player-name"); got != "Åsa Öberg-Lindqvist" {
		t.Errorf("signed in as %q; want Åsa", got)
	}
}

// TestPayNPlayHybridReturnOffersSignIn: in a hybrid market a player whom "Deposit
// & play" made has no password; the deposit's page the return page leads to
// offers to choose an email and a password (the profile's form) while the bank
// login is recent enough for it, and a later "Deposit & play" (the player closed
// the page, or came back after the window) offers it again. A password player,
// and a pure market's player, are offered nothing.
func TestPayNPlayHybridReturnOffersSignIn(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		withPayNPlay(t, "SE=hybrid,FI=pure")(s)
		s.Cashier.Now = clock.Now
	}})
	cl := lv.client()
	var last string
	deposit := func(market, amount, person string) *testResponse {
		t.Helper()
		id := startPayNPlay(cl, market, amount)
		lv.checkoutStep(id, "bank", url.Values{"bank": {market + "|" + map[string]string{"SE": "SEB", "FI": "Nordea"}[market]}})
		lv.checkoutStep(id, "login", url.Values{"person": {person}})
		if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
			t.Fatalf("%s: %s %q; want ready", person, out.State, out.Message)
		}
		to := "/deposit/success?order=" + url.QueryEscape(id)
		last = to
		cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect(to)
		return cl.get(to).wantStatus(http.StatusOK)
	}
	page := deposit("SE", "100", "se-adult")
	if !page.has("finish-sign-in") {
		t.Fatalf("the first deposit's page offers no email and password:\n%s", page.Body)
	}
	if got := attr(page.byTestID("finish-sign-in-link")[0], "href"); got != "/profile#sign-in-title" {
		t.Errorf("link to %q; want the profile's form", got)
	}
	if !cl.get("/profile").wantStatus(http.StatusOK).has("sign-in-form") {
		t.Error("the profile offers no form")
	}
	clock.Advance(cashier.BankSignInWindow + time.Second)
	if page := cl.get(last).wantStatus(http.StatusOK); page.has("finish-sign-in") {
		t.Error("the deposit's page offers the form after the bank login's window, where it would be refused")
	}
	cl.submit("/logout", nil)
	if page := deposit("SE", "50", "se-adult"); !page.has("finish-sign-in") {
		t.Errorf("the next deposit's page offers no email and password:\n%s", page.Body)
	}
	cl.submit("/logout", nil)

	if page := deposit("FI", "50", "fi-adult"); page.has("finish-sign-in") {
		t.Error("a pure market's player is offered an email and a password")
	}
	cl.submit("/logout", nil)
	lv.player("pw@example.com")
	cl.signIn("pw@example.com", testPassword)
	id := lv.startDeposit(cl, "100")
	if page := cl.get("/deposit/success?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK); page.has("finish-sign-in") {
		t.Error("a password player is offered an email and a password")
	}
}

// TestPayNPlayNoKYCEnds: a "Deposit & play" (and a pure market's bank login)
// whose kyc never came, its checkout left at the bank, is abandoned once the
// checkout can no longer be used. Its return page, reached late (the tab left
// open, the player back from the bank app), says that it was not completed and
// no money was moved, in the browser's language, and its polling says so too
// ("refused", so the waiting page reloads to it): it does not wait for a kyc
// forever, before the janitor comes by or after. Its checkout page, reloaded,
// goes to it rather than framing a checkout that no longer works.
func TestPayNPlayNoKYCEnds(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		withPayNPlay(t, "SE=pure")(s)
		s.Cashier.Now = clock.Now
	}})
	cl := lv.client()
	deposit := startPayNPlay(cl, "SE", "100")
	login := startPayNPlay(cl, "SE", "")
	for _, id := range []string{deposit, login} {
		lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(deposit)).wantStatus(http.StatusOK)
	clock.Advance(cashier.CheckoutExpiry + time.Minute)
	check := func(when string) {
		t.Helper()
		for _, tt := range []struct{ id, title string }{
			{deposit, "Your deposit was not completed"}, {login, "You could not log in"},
		} {
			page := cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(tt.id)).wantStatus(http.StatusOK)
			if page.has("paynplay-waiting") || page.text("result-title") != tt.title ||
				page.text("refusal") != "The checkout ended before it was completed. No money was moved." {
				t.Errorf("%s: %s reads %q, %q; want %q and that the checkout ended", when, tt.id, page.text("result-title"), page.text("refusal"), tt.title)
			}
			if r := cl.get("/paynplay/status?order=" + url.QueryEscape(tt.id)).wantStatus(http.StatusOK); !strings.Contains(r.Body, `"refused"`) {
				t.Errorf("%s: status of %s %s; want refused", when, tt.id, r.Body)
			}
		}
	}
	for _, id := range []string{deposit, login} {
		cl.get("/paynplay/checkout?order=" + url.QueryEscape(id)).wantRedirect(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id))
	}
	check("before the janitor")
	if _, err := lv.Svc.Janitor(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := lv.order(deposit).Status; got != models.OrderAbandoned {
		t.Fatalf("deposit %s after the janitor; want abandoned", got)
	}
	check("after the janitor")
	cl.setCookie(langCookie, "sv")
	page := cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(deposit)).wantStatus(http.StatusOK)
	if got := page.text("refusal"); got == "" || strings.Contains(got, "checkout ended") {
		t.Errorf("in Swedish the page reads %q", got)
	}
	if n := lv.countRows(&models.Player{}, "1 = 1"); n != 0 {
		t.Errorf("%d players; want none", n)
	}
}

// TestPayNPlayBlockedAfterKYC: staff block the player a "Deposit & play"'s kyc
// let in before the browser is back from the checkout. The return page signed
// the browser in with a welcome, and the next page ended the session with "Your
// session has ended. Log in with your bank again to go on.", which the bank login
// would refuse; it now signs in no one and says (403) that the account is
// blocked and to contact support, in the browser's language, and the order's
// sign-in stays unused.
func TestPayNPlayBlockedAfterKYC(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	out := lv.waitDecision(id)
	if out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	member := lv.staff("operator@example.com", staff.RoleOperator)
	if _, _, err := lv.Svc.SetPlayerBlocked(t.Context(), member, out.Player.ID, true, "fraud"); err != nil {
		t.Fatal(err)
	}
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)
	page := cl.get(success).wantStatus(http.StatusForbidden)
	if got, want := page.text("refusal"), "Your account is blocked, so you cannot sign in, deposit or withdraw. Please contact support."; got != want {
		t.Errorf("refusal %q; want %q", got, want)
	}
	if got := page.text("result-title"); got != "You could not log in" {
		t.Errorf("title %q", got)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if lv.order(id).SignedInAt != nil {
		t.Error("a blocked player's order claimed its sign-in")
	}
	cl.setCookie(langCookie, "sv")
	if got := cl.get(success).wantStatus(http.StatusForbidden).text("refusal"); got == "" || strings.Contains(got, "blocked") {
		t.Errorf("in Swedish the refusal reads %q", got)
	}
}
