package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayNPlayExcludedAfterKYC: the national register starts to exclude a person
// after the kyc of their "Deposit & play" said CONTINUE and before its credit
// came. Trustly took the money: the credit is booked to them. The session the
// return page opens began with that kyc, as a password player's that began before
// the exclusion (the register refuses each of its deposits: no order, no call to
// Trustly). Their next bank login opens a withdraw-only session (money left), and
// their next "Deposit & play" is refused (self-excluded) before any money moves.
func TestPayNPlayExcludedAfterKYC(t *testing.T) {
	register := exclusions.Sandbox()
	modes, err := paynplay.ParseModes("pure")
	if err != nil {
		t.Fatal(err)
	}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		s.Cashier.Config.PayNPlay = modes
		s.Cashier.Exclusions = register
	}})
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	lv.checkoutStep(id, "login", url.Values{"person": {"se-adult"}})
	out := lv.waitDecision(id)
	if out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	p := *out.Player
	register.Entries = append(register.Entries, exclusions.FakeEntry{Country: p.Country, FirstName: p.FirstName,
		LastName: p.LastName, DOB: p.DateOfBirth})
	lv.checkoutAfterKYC(id)
	lv.checkoutStep(id, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(id, "confirm", url.Values{})
	lv.waitStatus(id, models.OrderCredited)
	if got := lv.wallet(p); got.Minor != 10000 {
		t.Fatalf("wallet %s after the credit; want 100.00, booked whatever the register says now", got)
	}

	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
	r := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "excluded from gambling") {
		t.Errorf("a deposit in the session the kyc opened: problem %q; want the register's sentence", got)
	}
	if n := lv.countRows(&models.Order{}, "kind = ?", models.OrderDeposit); n != 1 {
		t.Errorf("%d deposit orders; want the first one only", n)
	}
	cl.submit("/logout", nil)

	login := startPayNPlay(cl, "SE", "")
	lv.checkoutStep(login, "bank", url.Values{"bank": {"SE|SEB"}})
	lv.checkoutStep(login, "login", url.Values{"person": {"se-adult"}})
	if out := lv.waitDecision(login); out.State != cashier.PayNPlayReady || !out.Access.WithdrawOnly {
		t.Fatalf("next login: %s, %+v; want a withdraw-only sign-in", out.State, out.Access)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if !page.has("withdraw-only") || page.has("deposit-form") {
		t.Errorf("the next login's cashier page is not withdraw-only:\n%s", page.Body)
	}
	cl.submit("/logout", nil)

	again := startPayNPlay(cl, "SE", "50")
	lv.checkoutStep(again, "bank", url.Values{"bank": {"SE|SEB"}})
	lv.checkoutStep(again, "login", url.Values{"person": {"se-adult"}})
	if out := lv.waitDecision(again); out.State != cashier.PayNPlayRefused || !strings.Contains(out.Order.KYCReasons, "self-excluded") {
		t.Errorf("next deposit: %s, reasons %q; want refused, self-excluded", out.State, out.Order.KYCReasons)
	}
	if got := lv.wallet(p); got.Minor != 10000 {
		t.Errorf("wallet %s at the end; want 100.00", got)
	}
}

// TestPayNPlayOtherTabSignsIn: in a hybrid market a password player's deposit
// asks for the kyc too. Åsa, signed in, starts one from the cashier; before the
// kyc comes, another tab of the browser logs out and signs in as Bo. The kyc
// names Åsa, so the money is hers, and Bo's return to her order's page is "page
// not found": Bo never reads her deposit nor gets her money. A visitor's "Deposit
// & play" started before Bo signed in pays into the wallet of the person the kyc
// names, never into Bo's.
func TestPayNPlayOtherTabSignsIn(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "hybrid")})
	asa, err := lv.Svc.Register(t.Context(), models.Registration{Email: "asa@example.com", Password: testPassword,
		FirstName: "Åsa", LastName: "Öberg-Lindqvist", Country: "SE", PersonID: "19790131-1246"})
	if err != nil {
		t.Fatal(err)
	}
	bo := lv.player("bo@example.com")
	cl := lv.client()
	cl.signIn("asa@example.com", testPassword)
	id := lv.startDeposit(cl, "100")
	lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
	cl.submit("/logout", nil)
	cl.signIn("bo@example.com", testPassword)
	lv.checkoutStep(id, "login", url.Values{"person": {"se-adult"}})
	if out := lv.waitDecision(id); out.Order.KYCOutcome != models.KYCContinue || out.Order.PlayerID != asa.ID {
		t.Fatalf("kyc %s for player %d; want continue for Åsa (%d)", out.Order.KYCOutcome, out.Order.PlayerID, asa.ID)
	}
	lv.checkoutAfterKYC(id)
	lv.checkoutStep(id, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(id, "confirm", url.Values{})
	lv.waitStatus(id, models.OrderCredited)
	cl.get("/deposit/success?order=" + url.QueryEscape(id)).wantStatus(http.StatusNotFound)
	if got := lv.wallet(asa); got.Minor != 10000 {
		t.Errorf("Åsa's wallet %s; want her deposit's 100.00", got)
	}
	if got := cl.get("/cashier").wantStatus(http.StatusOK).text("balance"); got != "SEK 0.00" {
		t.Errorf("Bo's balance %q; want SEK 0.00", got)
	}

	// A visitor's order, and Bo signs in in another tab before its kyc.
	cl.submit("/logout", nil)
	visit := startPayNPlay(cl, "SE", "50")
	lv.checkoutStep(visit, "bank", url.Values{"bank": {"SE|SEB"}})
	cl.signIn("bo@example.com", testPassword)
	lv.checkoutStep(visit, "login", url.Values{"person": {"se-adult2"}})
	out := lv.waitDecision(visit)
	if out.Order.KYCOutcome != models.KYCContinue || out.Order.PlayerID == bo.ID || out.Order.PlayerID == asa.ID {
		t.Fatalf("kyc %s for player %d; want continue for a new player", out.Order.KYCOutcome, out.Order.PlayerID)
	}
	lv.checkoutAfterKYC(visit)
	lv.checkoutStep(visit, "account", url.Values{"account": {"0"}})
	lv.checkoutStep(visit, "confirm", url.Values{})
	lv.waitStatus(visit, models.OrderCredited)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(visit))
	if got := lv.wallet(models.Player{ID: out.Order.PlayerID, Currency: "SEK"}); got.Minor != 5000 {
		t.Errorf("the bank's person's wallet %s; want 50.00", got)
	}
	if got := lv.wallet(bo); got.Minor != 0 {
		t.Errorf("Bo's wallet %s; want nothing", got)
	}
}
