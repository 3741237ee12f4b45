package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
)

// Review of Pay N Play, clicked through as visitors (review-pnp2): tests that
// failed on the code as it stood.

// TestPayNPlayLoginNotInHistory: "Log in with your bank" is a Deposit without an
// amount that moves no money and stays open at Trustly. The history listed it
// as a deposit of 0.00 "Waiting for the bank" (and, once its checkout's life was
// over, "Not completed" with Try again), linked to a deposit checkout: a login
// told as a payment. Only the deposit is listed.
func TestPayNPlayLoginNotInHistory(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	login := startPayNPlay(cl, "SE", "")
	lv.waitDecision(login)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	page := cl.get("/history").wantStatus(http.StatusOK)
	for _, row := range page.byTestID("order-row") {
		if attr(row, "data-order") == login {
			t.Errorf("the history lists the bank login as %q", textOf(row))
		}
	}
	if !page.has("no-orders") {
		t.Error("the history of a player who only logged in does not say there are no deposits yet")
	}
}
