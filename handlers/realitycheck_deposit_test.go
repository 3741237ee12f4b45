package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestRealityCheckBeforeDeposit: the reality check is there to stop play until the
// player has seen their session's time and money and chosen to go on, so a deposit
// form sent while one is due starts nothing: the cashier page comes back with the
// reality check, the amount as typed and a sentence saying to read it first; no
// order is made and Trustly is not called, and it does not count towards the
// order limit. Continue leads back to the cashier with the amount filled in, and
// the deposit then starts.
func TestRealityCheckBeforeDeposit(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		s.Cashier.Now = clock.Now
		s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute}
		s.Web.OrderLimit = 1
	}})
	cl, player := lv.signedIn("anna@example.com")
	cl.get("/cashier").wantStatus(http.StatusOK)
	clock.Advance(30 * time.Minute)

	for range 2 { // twice: past the order limit of 1, were it counted
		r := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
		if !r.has("reality-check") {
			t.Fatalf("deposit sent while the reality check is due: no reality check on the page\n%s", r.Body)
		}
		const want = "Before you deposit, read your reality check above and choose Continue: the amount stays in the form. No deposit was started."
		if got := r.text("problem"); got != want {
			t.Errorf("sentence %q; want %q", got, want)
		}
		if got := r.value("amount"); got != "100" {
			t.Errorf("amount %q; want 100 as typed", got)
		}
		if got := r.value("reality-check-next"); got != "/cashier?amount=100" {
			t.Errorf("Continue leads to %q; want /cashier?amount=100", got)
		}
	}
	// In every language the page says so in its own words.
	for _, code := range []string{"sv", "fi", "et", "nl", "en"} {
		cl.submit("/language", url.Values{"lang": {code}, "back": {"/cashier"}})
		r := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
		if got, want := r.text("problem"), lang.For(code, nil).T("problem.reality_check_first"); got != want {
			t.Errorf("%s: sentence %q; want %q", code, got, want)
		}
	}
	var n int64
	if lv.DB.Model(&models.Order{}).Where("player_id = ?", player.ID).Count(&n); n != 0 {
		t.Fatalf("%d orders started while the reality check was due; want none", n)
	}

	cl.submit("/reality-check", url.Values{"next": {"/cashier?amount=100"}}).wantRedirect("/cashier?amount=100")
	page := cl.get("/cashier?amount=100").wantStatus(http.StatusOK)
	if page.has("reality-check") || page.value("amount") != "100" {
		t.Errorf("after Continue: reality check %t, amount %q; want none, 100", page.has("reality-check"), page.value("amount"))
	}
	lv.startDeposit(cl, "100")
}
