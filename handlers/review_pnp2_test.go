package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
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

// TestPayNPlayCancelIsNoRefusal: a visitor who presses Cancel in the checkout of
// "Deposit & play" was told "You cannot play here", the heading of a refusal
// (under 18, self-excluded), though nobody refused them: their deposit was not
// completed, and they may try again. A refusal keeps its heading.
func TestPayNPlayCancelIsNoRefusal(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "100")
	lv.checkoutAction(id, "cancel")
	lv.waitStatus(id, models.OrderFailed)
	page := cl.get(cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	if got, want := page.text("result-title"), "Your deposit was not completed"; got != want {
		t.Errorf("a cancelled Deposit & play is titled %q; want %q", got, want)
	}
	if got := page.text("refusal"); got != "The checkout ended before it was completed. No money was moved." {
		t.Errorf("a cancelled Deposit & play says %q", got)
	}
}

// TestPayNPlayLogoutKeepsMarket: a Finnish player who logged in with the bank and
// logs out lands on the start page, which showed Sweden's (the default market):
// "You play from Sweden", amounts in SEK, and Sweden's ways in, so "Log in with
// your bank" started a login in the wrong market. The start page without a
// market is that of the market this browser last logged in with the bank in, as
// a session that ended already sent it to.
func TestPayNPlayLogoutKeepsMarket(t *testing.T) {
	lv := startPayNPlayLive(t, "FI=pure", "fi-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "")
	lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/cashier")
	cl.submit("/logout", nil).wantRedirect("/")
	page := cl.get("/").wantStatus(http.StatusOK)
	if got := page.value("market"); got != "FI" {
		t.Errorf("the start page after logging out shows market %q; want FI, where the player logged in", got)
	}
	if !page.has("bank-login-form") || page.text("deposit-currency") != "EUR" {
		t.Errorf("the start page after logging out: bank login %t, amounts in %q; want Finland's, EUR", page.has("bank-login-form"), page.text("deposit-currency"))
	}
	if got := lv.client().get("/").value("market"); got != "SE" {
		t.Errorf("a new visitor's start page shows market %q; want the default, SE", got)
	}
}
