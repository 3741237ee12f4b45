package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"golang.org/x/net/html"
)

// Page tests of Pay N Play (issue 9): the landing page per market, the binding of
// an order to the browser that started it, refusals, idle sessions, and what the
// pure model hides. Browser tests of the same flows are in paynplay_browser_test.go.

// withPayNPlay sets CASHIER_PAYNPLAY to mode, with the sandbox's self-exclusion
// register (as cmd/cashier does with the embedded sandbox).
func withPayNPlay(t testing.TB, mode string) func(s *testSetup) {
	t.Helper()
	modes, err := paynplay.ParseModes(mode)
	if err != nil {
		t.Fatal(err)
	}
	return func(s *testSetup) {
		s.Cashier.Config.PayNPlay = modes
		s.Cashier.Exclusions = exclusions.Sandbox()
	}
}

// startPayNPlayLive is startLive with Pay N Play in mode. persons, when given, is
// the sandbox test person whose bank login completes every checkout at once
// (SandboxAutoComplete with SandboxPerson); without, checkouts wait for a browser.
func startPayNPlayLive(t testing.TB, mode, person string, sb func(*sandbox.Config)) *liveApp {
	t.Helper()
	o := liveOptions{Setup: withPayNPlay(t, mode), Sandbox: sb}
	if person != "" {
		o.Extra = map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": person}
	}
	return startLive(t, o)
}

// startPayNPlay submits "Deposit & play" (amount) or, with amount "", "Log in with
// your bank" for market as cl, and returns the order's MessageID from the redirect
// to its checkout.
func startPayNPlay(cl *testClient, market, amount string) string {
	cl.t.Helper()
	path, form := "/paynplay/login", url.Values{"market": {market}}
	if amount != "" {
		path = "/paynplay/deposit"
		form.Set("amount", amount)
	}
	r := cl.submit(path, form)
	loc := r.Header.Get("Location")
	p, q, _ := strings.Cut(loc, "?")
	values, _ := url.ParseQuery(q)
	if r.Status != http.StatusSeeOther || p != "/paynplay/checkout" || values.Get("order") == "" {
		cl.t.Fatalf("POST %s: %d to %q; want 303 to /paynplay/checkout?order=…\n%s", path, r.Status, loc, r.Body)
	}
	return values.Get("order")
}

// waitDecision waits for the Pay N Play order's kyc decision (ready or refused),
// or for its checkout's end (a cancel). An order still started with no kyc reads
// refused once its checkout is over (a test's clock moved on), though a late kyc
// may still come: it waits for that kyc.
func (a *testApp) waitDecision(messageID string) cashier.PayNPlayOutcome {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := a.Svc.PayNPlayResult(context.Background(), messageID)
		if err != nil {
			a.t.Fatal(err)
		}
		silent := out.Order.KYCOutcome == "" && (out.Order.Status == models.OrderStarted || out.Order.Status == models.OrderCreated)
		if out.State != cashier.PayNPlayWaiting && !silent {
			return out
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("order %s has no kyc decision after 10 s", messageID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countRows counts the rows of model matching where.
func (a *testApp) countRows(model any, where string, args ...any) int64 {
	a.t.Helper()
	var n int64
	if err := a.DB.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		a.t.Fatal(err)
	}
	return n
}

// TestPayNPlaySuccessURLSignsInOnlyTheBrowserThatStarted: the success URL of an
// order whose kyc said CONTINUE, replayed in another browser (copied, or leaked
// through a Referer or a log), signs in nobody there; its status and checkout are
// "page not found". The browser that started it is signed in, once, as the player
// the bank identified.
func TestPayNPlaySuccessURLSignsInOnlyTheBrowserThatStarted(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	started := lv.client()
	id := startPayNPlay(started, "SE", "100")
	out := lv.waitDecision(id)
	if out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)

	other := lv.client()
	other.csrf()
	for _, path := range []string{success, cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id),
		"/paynplay/status?order=" + url.QueryEscape(id), "/paynplay/checkout?order=" + url.QueryEscape(id)} {
		r := other.get(path).wantStatus(http.StatusNotFound)
		if c := r.cookie(sessionCookie); c != nil && c.Value != "" {
			t.Errorf("GET %s in another browser set a session cookie", path)
		}
	}
	other.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	// Another browser's own Pay N Play order does not open this one either.
	startPayNPlay(other, "SE", "50")
	other.get(success).wantStatus(http.StatusNotFound)
	other.get("/cashier").wantRedirect("/login?next=%2Fcashier")

	started.get(success).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	page := started.get("/cashier").wantStatus(http.StatusOK)
	if got := page.text("player-name"); got != "Åsa Öberg-Lindqvist" {
		t.Errorf("signed in as %q; want the bank's Åsa Öberg-Lindqvist", got)
	}
	if got := page.text("flash"); got != "Welcome, Åsa. You are logged in with your bank." {
		t.Errorf("flash = %q", got)
	}
	// A reload after the sign-in goes on to the deposit; the binding is spent.
	started.get(success).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	if s := sessionOf(t, lv.testApp, started); s.PayNPlay != "" || s.PlayerID != out.Player.ID {
		t.Errorf("session after sign-in %+v; want player %d and no bound orders", s, out.Player.ID)
	}
}

// sessionOf decodes the session cookie cl holds.
func sessionOf(t *testing.T, a *testApp, cl *testClient) sessionValues {
	t.Helper()
	var v sessionValues
	c := cl.cookie(sessionCookie)
	if c == nil {
		return v
	}
	s := newSessionStore(a.Deps.SessionKeys, false)
	if err := s.decode(c.Value, &v); err != nil {
		t.Fatalf("decode session cookie: %v", err)
	}
	return v
}

// TestPayNPlayRefusedShowsWhy: a kyc answered FINISH (here an under-18 person)
// returns the browser to a page saying why; nobody is signed in, no player is
// created and no money is booked.
func TestPayNPlayRefusedShowsWhy(t *testing.T) {
	lv := startPayNPlayLive(t, "hybrid", "se-minor", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	out := lv.waitDecision(id)
	lv.waitStatus(id, models.OrderFailed)
	for _, path := range []string{cashier.PayNPlayFailPath, cashier.PayNPlaySuccessPath} {
		page := cl.get(path + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
		if got := page.text("refusal"); got != "You must be 18 or older to play. No money was moved." || got != out.Message {
			t.Errorf("%s: refusal %q; want the decision's %q", path, got, out.Message)
		}
		if got := page.text("result-title"); got != "You cannot play here" {
			t.Errorf("%s: title %q", path, got)
		}
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if n := lv.countRows(&models.Player{}, "1 = 1"); n != 0 {
		t.Errorf("players = %d; want none", n)
	}
	if n := lv.countRows(&models.Transfer{}, "1 = 1"); n != 0 {
		t.Errorf("ledger transfers = %d; want none", n)
	}
}

// TestPayNPlayWaitingPage: before the kyc decision the return page waits and
// polls a status for the starting browser only; it signs no one in yet.
func TestPayNPlayWaitingPage(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "", nil) // no auto-complete: the checkout waits
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	checkout := cl.get("/paynplay/checkout?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	if got := checkout.text("checkout-title"); got != "Log in with your bank" {
		t.Errorf("checkout title %q", got)
	}
	if !strings.HasPrefix(attr(checkout.byTestID("checkout")[0], "data-checkout-url"), lv.CheckoutOrigin+"/checkout/") {
		t.Errorf("checkout page frames %q; want the sandbox's checkout", attr(checkout.byTestID("checkout")[0], "data-checkout-url"))
	}
	page := cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	box := page.byTestID("paynplay-waiting")
	if len(box) != 1 || attr(box[0], "data-paynplay-status") != "/paynplay/status?order="+url.QueryEscape(id) {
		t.Fatalf("waiting page without its status URL:\n%s", page.Body)
	}
	if got := page.text("result-title"); got != "Logging you in" {
		t.Errorf("title %q", got)
	}
	status := cl.get("/paynplay/status?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	if got := string(status.Body); got != `{"state":"waiting"}` {
		t.Errorf("status %s", got)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

// TestLandingPerMarket: the start page offers what each market's model allows,
// and a market picker only where some market has Pay N Play.
func TestLandingPerMarket(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "SE=pure,FI=hybrid,EE=off,NL=pure"))
	cl := ta.client()
	for _, tt := range []struct {
		market string
		want   []string // data-testids present
		absent []string
	}{
		{"SE", []string{"bank-login-form", "deposit-play-form", "market-picker", "paynplay-terms"}, []string{"to-register", "to-login"}},
		{"NL", []string{"bank-login-form", "deposit-play-form"}, []string{"to-register", "to-login"}},
		{"FI", []string{"deposit-play-form", "to-register", "to-login"}, []string{"bank-login-form"}},
		{"EE", []string{"to-register", "to-login", "market-picker"}, []string{"bank-login-form", "deposit-play-form", "paynplay-terms"}},
		{"DE", []string{"to-register", "to-login"}, []string{"bank-login-form", "deposit-play-form"}},
	} {
		page := cl.get("/?market=" + tt.market).wantStatus(http.StatusOK)
		for _, id := range tt.want {
			if !page.has(id) {
				t.Errorf("%s: no %s", tt.market, id)
			}
		}
		for _, id := range tt.absent {
			if page.has(id) {
				t.Errorf("%s: has %s", tt.market, id)
			}
		}
		if got := page.value("market"); got != tt.market {
			t.Errorf("%s: picker shows %q", tt.market, got)
		}
		if page.has("password") {
			t.Errorf("%s: the start page has a password field", tt.market)
		}
	}
	if got := cl.get("/?market=FI").text("deposit-currency"); got != "EUR" {
		t.Errorf("FI amount in %q; want EUR", got)
	}

	off := newTestApp(t).client()
	page := off.get("/").wantStatus(http.StatusOK)
	if page.has("market-picker") || page.has("deposit-play-form") || !page.has("to-register") || !page.has("to-login") {
		t.Errorf("without Pay N Play the start page should offer register and log in only:\n%s", page.Body)
	}
}

// TestPayNPlayFormsNeedCSRF: every new form carries the browser's CSRF token, and
// a post without it is refused before any order is made.
func TestPayNPlayFormsNeedCSRF(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "pure"))
	cl := ta.client()
	forms := cl.get("/?market=SE").wantStatus(http.StatusOK).forms()
	for _, action := range []string{"/paynplay/login", "/paynplay/deposit"} {
		if token, ok := forms[action]; !ok || token != cl.csrf() {
			t.Errorf("form %s: CSRF token %q (present %t); want the browser's", action, token, ok)
		}
		cl.post(action, url.Values{"market": {"SE"}, "amount": {"100"}}).wantStatus(http.StatusForbidden)
		f := url.Values{"market": {"SE"}, "amount": {"100"}, csrfField: {ta.client().csrf()}}
		cl.post(action, f).wantStatus(http.StatusForbidden)
	}
	if n := ta.countRows(&models.Order{}, "1 = 1"); n != 0 {
		t.Errorf("orders = %d; want none", n)
	}
}

// TestPayNPlayStartProblems: an unreadable amount or an unknown market comes back
// on the start page with one sentence; nothing is bound or started.
func TestPayNPlayStartProblems(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "SE=pure,FI=hybrid"))
	cl := ta.client()
	page := cl.submit("/paynplay/deposit", url.Values{"market": {"SE"}, "amount": {"lots"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); got != msgAmountUnreadable || page.value("amount") != "lots" {
		t.Errorf("problem %q, amount %q", got, page.value("amount"))
	}
	page = cl.submit("/paynplay/login", url.Values{"market": {"FI"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); got != "Logging in with your bank is not offered in Finland; deposit to play instead." {
		t.Errorf("login in a hybrid market: problem %q", got)
	}
	page = cl.submit("/paynplay/login", url.Values{"market": {"XX"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); got != msgChooseMarket {
		t.Errorf("unknown market: problem %q", got)
	}
	if n := ta.countRows(&models.Order{}, "1 = 1"); n != 0 {
		t.Errorf("orders = %d; want none", n)
	}
	if s := sessionOf(t, ta, cl); s.PayNPlay != "" {
		t.Errorf("bound orders %q; want none", s.PayNPlay)
	}
}

// TestIdleSessionEnds: a session idle past the idle timeout is signed out with a
// message; an active one is kept and its clock moved on.
func TestIdleSessionEnds(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.IdleTimeout = 10 * time.Minute })
	cl, p := ta.signedIn("anna@example.com")
	store := newSessionStore(ta.Deps.SessionKeys, false)
	forge := func(idle time.Duration) {
		v := sessionOf(t, ta, cl)
		if v.PlayerID != p.ID || v.Seen == 0 {
			t.Fatalf("session %+v; want player %d with a last-seen time", v, p.ID)
		}
		v.Seen = time.Now().Add(-idle).Unix()
		raw, err := securecookie.EncodeMulti(sessionCookie, v, store.store.Codecs...)
		if err != nil {
			t.Fatal(err)
		}
		cl.setCookie(sessionCookie, raw)
	}
	forge(9 * time.Minute)
	cl.get("/cashier").wantStatus(http.StatusOK)
	if seen := sessionOf(t, ta, cl).Seen; time.Since(time.Unix(seen, 0)) > time.Minute {
		t.Errorf("last seen %v ago after a request; want now", time.Since(time.Unix(seen, 0)))
	}
	forge(11 * time.Minute)
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if got := cl.get("/login").text("flash"); got != msgIdleSignedOut {
		t.Errorf("flash %q", got)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

// TestPayNPlayLogoutEndsSession: a Pay N Play player's "Log out" ends every copy
// of the session (server-side, by the session version) and returns to the start
// page, where the bank is the way back in.
func TestPayNPlayLogoutEndsSession(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/cashier")
	copied := lv.client()
	copied.setCookie(sessionCookie, cl.cookie(sessionCookie).Value)
	copied.get("/cashier").wantStatus(http.StatusOK)

	cl.submit("/logout", nil).wantRedirect("/")
	if got := cl.get("/").text("flash"); got != "You are signed out." {
		t.Errorf("flash %q", got)
	}
	// The browser that signed in with the bank goes back to the start page; the
	// copy, which never signed in itself, has no hint of how and goes to sign in.
	cl.get("/cashier").wantRedirect("/?market=SE")
	copied.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

// TestPureHidesAddingAccounts: in a pure market the player cannot add a bank
// account by hand or with SelectAccount (the routes refuse, the pages offer
// neither), the withdrawal form has no choice of account, and nobody registers
// with a password there.
func TestPureHidesAddingAccounts(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "SE=pure,FI=hybrid"))
	cl, _ := ta.signedIn("anna@example.com") // a Swedish player from before the market went pure
	cl.get("/bank-accounts/new").wantStatus(http.StatusNotFound)
	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"69706212"}}).
		wantStatus(http.StatusNotFound)
	cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusNotFound)
	cl.get("/bank-accounts/checkout?order=x").wantStatus(http.StatusNotFound)
	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	if page.has("add-with-trustly") || page.has("enter-details") || !page.has("closed-loop") {
		t.Errorf("bank accounts page in a pure market offers to add an account:\n%s", page.Body)
	}
	payout := cl.get("/payout").wantStatus(http.StatusOK)
	if payout.has("account-choices") || payout.has("add-account") || !payout.has("no-deposit-account") {
		t.Errorf("payout page in a pure market:\n%s", payout.Body)
	}
	r := cl.submit("/payout", url.Values{"amount": {"10"}, "account": {"1"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "Make a deposit first") {
		t.Errorf("payout without a deposit account: problem %q", got)
	}
	if n := ta.countRows(&models.BankAccount{}, "1 = 1") + ta.countRows(&models.Order{}, "1 = 1"); n != 0 {
		t.Errorf("bank accounts and orders = %d; want none", n)
	}

	// A hybrid market's player keeps both ways.
	fi := ta.client()
	fi.submit("/register", url.Values{"email": {"matti@example.com"}, "password": {testPassword}, "first_name": {"Matti"},
		"last_name": {"Meikäläinen"}, "country": {"FI"}}).wantRedirect("/login")
	fi.signIn("matti@example.com", testPassword)
	fi.get("/bank-accounts/new").wantStatus(http.StatusOK)
	if page := fi.get("/bank-accounts"); !page.has("add-with-trustly") || !page.has("enter-details") {
		t.Errorf("hybrid market: adding accounts hidden")
	}

	// No password sign-up in a pure market.
	anon := ta.client()
	reg := anon.get("/register").wantStatus(http.StatusOK)
	if got := reg.value("country"); got == "SE" {
		t.Errorf("register form preselects SE, a pure market")
	}
	for _, o := range reg.find(func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "SE" }) {
		t.Errorf("register form offers %s", textOf(o))
	}
	r = anon.submit("/register", url.Values{"email": {"eve@example.com"}, "password": {testPassword}, "first_name": {"Eve"},
		"last_name": {"Svensson"}, "country": {"SE"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "In Sweden you play by logging in with your bank") {
		t.Errorf("register in SE: problem %q", got)
	}
	if n := ta.countRows(&models.Player{}, "email = ?", "eve@example.com"); n != 0 {
		t.Errorf("a player registered with a password in a pure market")
	}
}

// TestProfileShowsBankIdentity: a player the bank identified sees the name, date
// of birth and address it gave, the identity number partly hidden.
func TestProfileShowsBankIdentity(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/cashier")
	page := cl.get("/profile").wantStatus(http.StatusOK)
	for testid, want := range map[string]string{
		"profile-name":     "Åsa Öberg-Lindqvist",
		"profile-dob":      "1979-01-31",
		"profile-address":  "Kungsgatan 1, 111 22 Stockholm",
		"profile-personid": "SE19790131****",
		"profile-country":  "Sweden",
	} {
		if got := page.text(testid); got != want {
			t.Errorf("%s = %q; want %q", testid, got, want)
		}
	}
	if page.has("profile-email") {
		t.Error("a Pay N Play player's profile shows an email")
	}
}

// TestPayNPlayRefusalInSwedish: a refusal that names something, the register a
// person is excluded in or the end of a break, reaches a Swedish page in Swedish,
// with the end written as Swedish pages write times, in the player's market's
// time zone (a visitor's other pages are in UTC).
func TestPayNPlayRefusalInSwedish(t *testing.T) {
	refusal := func(lv *liveApp, cl *testClient) string {
		t.Helper()
		id := startPayNPlay(cl, "SE", "100")
		if out := lv.waitDecision(id); out.State != cashier.PayNPlayRefused {
			t.Fatalf("order %s: %s; want refused", id, out.State)
		}
		page := cl.get(cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
		return page.text("refusal")
	}
	swedish := func(lv *liveApp) *testClient {
		cl := lv.client()
		cl.setCookie(langCookie, "sv")
		return cl
	}

	t.Run("self-excluded", func(t *testing.T) {
		lv := startPayNPlayLive(t, "pure", "se-excluded", nil)
		const want = "Du är registrerad som avstängd från spel (Spelpaus), så du kan inte spela här. Inga pengar flyttades."
		if got := refusal(lv, swedish(lv)); got != want {
			t.Errorf("refusal %q; want %q", got, want)
		}
	})

	t.Run("on-break", func(t *testing.T) {
		lv := startPayNPlayLive(t, "pure", "se-adult", nil)
		first := startPayNPlay(lv.client(), "SE", "100")
		out := lv.waitDecision(first)
		if out.Player == nil {
			t.Fatalf("first deposit: %s; want a player", out.State)
		}
		b, err := lv.Svc.TakeBreak(context.Background(), *out.Player, "", breaks.TimeOut24h)
		if err != nil {
			t.Fatal(err)
		}
		until := lang.For("sv", lang.Zone("SE")).Time(cashier.BreakEndTime(b))
		want := "Du valde en timeout på 24 timmar, så insättningar och spel är pausade till " + until + ". Uttag påverkas inte."
		if got := refusal(lv, swedish(lv)); got != want {
			t.Errorf("refusal %q; want %q", got, want)
		}
	})
}

// msgSessionEndedBank is session.ended_bank in English.
const msgSessionEndedBank = "Your session has ended. Log in with your bank again to go on."

// TestSessionEndedBankPlayer: a Pay N Play player, who has no password, whose
// session ends is sent to the start page of their market, where the bank is the
// way in, with the amount of a deposit form they sent, and told the session
// ended: not to a password form they cannot use. The browser's hint of how it
// signed in decides; it survives the session, also a cookie gone for good. A
// password player is still sent to sign in and back (TestSessionEndedReturns).
func TestSessionEndedBankPlayer(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "fi-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "")
	out := lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/cashier")
	session, token := cl.cookie(sessionCookie).Value, cl.csrf() // and the cashier page's form token

	// Signed out elsewhere: the session version was raised.
	if err := lv.Svc.EndSessions(context.Background(), out.Player.ID); err != nil {
		t.Fatal(err)
	}
	cl.get("/cashier").wantRedirect("/?market=FI")
	if got := cl.get("/?market=FI").wantStatus(http.StatusOK).text("flash"); got != msgSessionEndedBank {
		t.Errorf("flash %q; want %q", got, msgSessionEndedBank)
	}

	// A deposit form sent with the ended session: the amount comes along.
	cl.setCookie(sessionCookie, session)
	cl.setCookie(playerCSRF.cookie, token)
	cl.submit("/deposit", url.Values{"amount": {"25"}}).wantRedirect("/?amount=25&market=FI")
	page := cl.get("/?amount=25&market=FI").wantStatus(http.StatusOK)
	if got := page.text("flash"); got != msgSessionEndedBank {
		t.Errorf("flash %q; want %q", got, msgSessionEndedBank)
	}
	if got := page.value("amount"); got != "25" {
		t.Errorf("the start page's amount reads %q; want 25", got)
	}

	// An unreadable cookie (expired, or keys changed), and none at all.
	cl.setCookie(sessionCookie, "ended")
	cl.get("/payout").wantRedirect("/?market=FI")
	cl.Jar.SetCookies(cl.base, []*http.Cookie{{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1}})
	cl.get("/cashier").wantRedirect("/?market=FI")

	// A password player in the same browser afterwards goes back to the sign-in form.
	ta := lv.testApp
	ta.player("anna@example.com")
	cl.signIn("anna@example.com", testPassword)
	cl.setCookie(sessionCookie, "ended")
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

// TestPayNPlaySignsInOnce: a copy of the cookie a browser had before its Pay N
// Play order signed it in still holds the order's binding; replayed in another
// browser, before or after the player logs out, it signs no one in: an order signs
// in once, and the page says the login was used and how to get in (as it does to a
// browser whose first answer was lost). The browser that signed in still goes back
// to the cashier on a reload.
func TestPayNPlaySignsInOnce(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	lv.waitDecision(id)
	bound := cl.cookie(sessionCookie).Value // before the sign-in: holds only the binding
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)

	cl.get(success).wantRedirect("/cashier")
	cl.get(success).wantRedirect("/cashier") // a reload
	copied := lv.client()
	copied.setCookie(sessionCookie, bound)
	used := copied.get(success).wantStatus(http.StatusConflict)
	if got := used.text("refusal"); got != "This login was used already, so it cannot log you in again. Your money is safe: log in with your bank to continue." {
		t.Errorf("a used sign-in says %q", got)
	}
	if r := copied.get("/cashier"); r.Status == http.StatusOK {
		t.Error("a copy of the cookie from before the sign-in opens the cashier")
	}

	cl.submit("/logout", nil).wantRedirect("/")
	again := lv.client()
	again.setCookie(sessionCookie, bound)
	again.get(success).wantStatus(http.StatusConflict)
	if r := again.get("/cashier"); r.Status == http.StatusOK {
		t.Error("a copy of the cookie from before the sign-in opens the cashier after the player logged out")
	}
}

// TestPayNPlayRealityCheckCountsSignInDeposit: the session a Pay N Play deposit
// signed in began with that deposit, so its reality check counts it, though the
// order was made before the sign-in.
func TestPayNPlayRealityCheckCountsSignInDeposit(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			withPayNPlay(t, "pure")(s)
			s.Cashier.Now = clock.Now
			s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute}
		},
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
	})
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not credited after 10 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	clock.Advance(time.Minute) // the checkout took a while
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
	if page := cl.get("/cashier").wantStatus(http.StatusOK); page.has("reality-check") {
		t.Fatal("a reality check at sign-in")
	}
	clock.Advance(30 * time.Minute)
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got := page.text("reality-check-net"); got != "SEK 100.00" {
		t.Errorf("net %q; want SEK 100.00, the deposit that signed the session in", got)
	}
	if got := page.text("reality-check-time"); got != "31 minutes" {
		t.Errorf("time %q; want 31 minutes, since the deposit began", got)
	}
}

// TestPayNPlayCheckoutBackAfterSignIn: Back from the page a Pay N Play deposit
// signed in on leads to the checkout page of that order, whose binding the new
// session no longer holds: it goes on to the order's result page for the player
// it signed in, not to "page not found". Another browser still gets nothing.
func TestPayNPlayCheckoutBackAfterSignIn(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).
		wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	checkout := "/paynplay/checkout?order=" + url.QueryEscape(id)
	cl.get(checkout).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	lv.client().get(checkout).wantStatus(http.StatusNotFound)
	other, _ := lv.signedIn("bo@example.com")
	other.get(checkout).wantStatus(http.StatusNotFound)
}

// TestPayNPlaySignInExpires: the browser that started a Pay N Play order signs in
// by it only within the checkout expiry (30 minutes) of its kyc decision. Later the
// return URL signs in nobody (410) and says to log in with the bank again; the
// status the waiting page polls says so too. A deposit's money stays the player's:
// the order is credited as before, and the next bank login shows it in the balance.
func TestPayNPlaySignInExpires(t *testing.T) {
	for _, tt := range []struct {
		name   string
		amount string // "": "Log in with your bank"
		after  time.Duration
		signIn bool
	}{
		{"login 29 minutes on", "", 29 * time.Minute, true},
		{"login 31 minutes on", "", 31 * time.Minute, false},
		{"deposit 29 minutes on", "100", 29 * time.Minute, true},
		{"deposit 31 minutes on", "100", 31 * time.Minute, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &testClock{now: time.Now()}
			lv := startLive(t, liveOptions{
				Setup: func(s *testSetup) {
					withPayNPlay(t, "pure")(s)
					s.Cashier.Now = clock.Now
				},
				Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
			})
			cl := lv.client()
			id := startPayNPlay(cl, "SE", tt.amount)
			if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
				t.Fatalf("decision %s %q; want ready", out.State, out.Message)
			}
			if tt.amount != "" {
				deadline := time.Now().Add(10 * time.Second)
				for lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("order %s not credited after 10 s", id)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			clock.Advance(tt.after)
			success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)
			if tt.signIn {
				r := cl.get(success).wantStatus(http.StatusSeeOther)
				if to := r.Header.Get("Location"); to != afterSignInPath(id, tt.amount) {
					t.Errorf("signed in to %q; want %q", to, afterSignInPath(id, tt.amount))
				}
				cl.get("/cashier").wantStatus(http.StatusOK)
				return
			}
			status := cl.get("/paynplay/status?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
			if got := string(status.Body); got != `{"state":"expired"}` {
				t.Errorf("status %s; want expired", got)
			}
			for _, path := range []string{success, cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)} {
				page := cl.get(path).wantStatus(http.StatusGone)
				if got, want := page.text("refusal"), "This login has expired, so it cannot log you in any more. Your money is safe: log in with your bank to continue."; got != want {
					t.Errorf("GET %s says %q; want %q", path, got, want)
				}
				if got := page.text("result-title"); got != "You could not log in" {
					t.Errorf("GET %s title %q", path, got)
				}
			}
			if r := cl.get("/cashier"); r.Status == http.StatusOK {
				t.Fatal("an expired login opens the cashier")
			}
			var order models.Order
			if err := lv.DB.Where("message_id = ?", id).Take(&order).Error; err != nil {
				t.Fatal(err)
			}
			if order.SignedInAt != nil {
				t.Error("an expired sign-in was claimed")
			}
			if tt.amount == "" {
				return
			}
			// The deposit is the player's: their next bank login shows it.
			if order.Status != models.OrderCredited {
				t.Errorf("deposit %s; want credited", order.Status)
			}
			next := startPayNPlay(cl, "SE", "")
			lv.waitDecision(next)
			cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(next)).wantRedirect("/cashier")
			if got := cl.get("/cashier").wantStatus(http.StatusOK).text("balance"); got != "SEK 100.00" {
				t.Errorf("balance after the next login %q; want SEK 100.00, the deposit whose sign-in expired", got)
			}
		})
	}
}

// TestPayNPlayLateKYCSignsInNobody: a kyc comes while the player is in the
// checkout, which lives 30 minutes; one the cashier decides hours after the order
// began is a late delivery (Trustly retrying after an answer was lost). The
// sign-in window counted from the decision alone, so the browser that started
// the order, with its cookie's binding good for 12 hours, was signed in as the
// bank's person by whoever opened the success URL then (the next person at a
// shared computer). Its deposit is booked as any, and the page says the login
// has expired (410).
func TestPayNPlayLateKYCSignsInNobody(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		withPayNPlay(t, "pure")(s)
		s.Cashier.Now = clock.Now
	}})
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	clock.Advance(2 * time.Hour)
	lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	lv.checkoutStep(id, "login", url.Values{"person": {"se-adult"}}) // the kyc
	if out := lv.waitDecision(id); out.Order.KYCOutcome != models.KYCContinue {
		t.Fatalf("decision %s %q; want continue", out.Order.KYCOutcome, out.Message)
	}
	lv.checkoutAfterKYC(id)
	lv.checkoutStep(id, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(id, "confirm", url.Values{}) // the deposit's notifications
	order := lv.waitStatus(id, models.OrderCredited)
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)
	page := cl.get(success).wantStatus(http.StatusGone)
	if got, want := page.text("refusal"), "This login has expired, so it cannot log you in any more. Your money is safe: log in with your bank to continue."; got != want {
		t.Errorf("success page says %q; want %q", got, want)
	}
	if r := cl.get("/cashier"); r.Status == http.StatusOK {
		t.Fatal("a late kyc's order signed the browser in")
	}
	if lv.order(id).SignedInAt != nil {
		t.Error("the late kyc's sign-in was claimed")
	}
	if got := lv.wallet(models.Player{ID: order.PlayerID, Currency: "SEK"}); got.Minor != 10000 {
		t.Errorf("wallet %s; want the deposit's 100.00", got)
	}
}

// checkoutStep posts one step of the sandbox's checkout of the order (bank,
// login, account, confirm, cancel), as the player's click does.
func (lv *liveApp) checkoutStep(messageID, name string, form url.Values) {
	lv.t.Helper()
	u, err := url.Parse(lv.order(messageID).CheckoutURL)
	if err != nil || u.Host == "" {
		lv.t.Fatalf("order %s has no checkout URL", messageID)
	}
	form.Set("session", u.Query().Get("session"))
	page := strings.Replace(u.Scheme+"://"+u.Host+u.Path, lv.CheckoutOrigin, lv.Sandbox.URL, 1)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(page+"/"+name, form)
	if err != nil {
		lv.t.Fatalf("checkout %s: %v", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		lv.t.Fatalf("checkout %s of order %s: HTTP %d", name, messageID, resp.StatusCode)
	}
}

// checkoutAfterKYC waits until the sandbox's checkout of the order, whose kyc
// the cashier answered CONTINUE, has the answer and shows the account step: the
// cashier stores its decision before the sandbox reads the answer, and a step
// posted before then is ignored.
func (lv *liveApp) checkoutAfterKYC(messageID string) {
	lv.t.Helper()
	u, err := url.Parse(lv.order(messageID).CheckoutURL)
	if err != nil || u.Host == "" {
		lv.t.Fatalf("order %s has no checkout URL", messageID)
	}
	page := strings.Replace(u.String(), lv.CheckoutOrigin, lv.Sandbox.URL, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(page)
		if err != nil {
			lv.t.Fatalf("checkout of order %s: %v", messageID, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `/account"`) {
			return
		}
		if time.Now().After(deadline) {
			lv.t.Fatalf("checkout of order %s shows no account step after 10 s", messageID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// afterSignInPath is where a Pay N Play order of amount ("" for a login) signs in to.
func afterSignInPath(id, amount string) string {
	if amount == "" {
		return "/cashier"
	}
	return "/deposit/success?order=" + url.QueryEscape(id)
}
