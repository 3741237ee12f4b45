package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
)

// TestLimitsAskedAfterPayNPlayDeposit: a Pay N Play player in Finland, whose
// first "Deposit & play" came before any limits (capped by the policy), is sent
// from the cashier to the limits page, whose sentence asks for the limits before
// they deposit, not "before your first deposit", which they have just made.
func TestLimitsAskedAfterPayNPlayDeposit(t *testing.T) {
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			withPayNPlay(t, "pure")(s)
			withLimitPolicies(s)
		},
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult"},
	})
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "50")
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
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
	cl.get("/cashier").wantRedirect("/limits?first=1")
	page := cl.get("/limits?first=1").wantStatus(http.StatusOK)
	if got, want := page.text("limits-intro"), "Set your deposit limits before you deposit: a limit for each day and month."; got != want {
		t.Errorf("intro %q; want %q", got, want)
	}
	if got := page.text("limit-day-used"); got != "€50.00" {
		t.Errorf("used today %q; want €50.00, the deposit made", got)
	}
}
