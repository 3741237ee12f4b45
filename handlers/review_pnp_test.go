package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// Review of Pay N Play (review-pnp): tests that fail on the code as it stands.

// TestReviewPNPStaleLoginSignsIn: a Pay N Play login whose browser never came
// back to the success URL (the tab was closed after the bank app, the redirect
// was lost, the bank app returned to another browser) stays able to sign in,
// hours later, whoever sits at that browser: the binding is in the visitor's
// cookie (12 hours from its last write, and any write renews it), and
// ClaimPayNPlaySignIn and PayNPlayResult ask nothing of the order's age. On a
// shared computer the next person opens the history's /paynplay/checkout?order=…
// (which redirects on to the success page) and is in the first player's wallet,
// with payouts to their bank. The README's own guard for "a forgotten browser" of
// a player without a password is CASHIER_SESSION_IDLE (30 minutes); an unclaimed
// sign-in outlives it twelvefold. The sign-in should expire with the checkout
// (CheckoutExpiry, 30 minutes after the order, or so after the kyc).
func TestReviewPNPStaleLoginSignsIn(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	// The player walked away six hours ago: the order and its kyc are that old.
	then := time.Now().Add(-6 * time.Hour).UTC()
	if err := lv.DB.Model(&models.Order{}).Where("message_id = ?", id).
		Updates(map[string]any{"created_at": then, "started_at": then, "kyc_at": then}).Error; err != nil {
		t.Fatal(err)
	}
	// The next person at this browser: the history holds /paynplay/checkout?order=…,
	// which goes on to the success URL, its checkout over (or the same query typed
	// on the success path).
	cl.get("/paynplay/checkout?order=" + url.QueryEscape(id)).wantRedirect(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id))
	r := cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id))
	t.Logf("success URL six hours on: %d %s", r.Status, r.Header.Get("Location"))
	if page := cl.get("/cashier"); page.Status == http.StatusOK {
		t.Errorf("a login finished six hours ago and never claimed signs in the next person at the browser as %q; want the sign-in expired",
			page.text("player-name"))
	}
}

// TestReviewPNPCappedDepositPageOverstates: a new Swede's first Pay N Play deposit
// of 2 000 SEK is capped by our own kyc answer at 1 000.00 (the SE policy's
// UnsetCap: CONTINUE with limit), and Trustly credits 1 000.00. The result page the
// deposit signs in on says "SEK 2,000.00 is in your balance" (DepositResultPage.Amount
// is order.Amount, never the credit or the kyc limit), and the history lists the
// deposit as 2 000 too: the player is told of money they do not have.
func TestReviewPNPCappedDepositPageOverstates(t *testing.T) {
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			withPayNPlay(t, "pure")(s)
			s.Cashier.Config.LimitPolicy = limits.Builtin()
		},
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
	})
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "2000")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady || out.Order.KYCLimitMinor != 100000 {
		t.Fatalf("decision %s, kyc limit %d; want ready, capped at 100000", out.State, out.Order.KYCLimitMinor)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not credited after 10 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	page := cl.get("/deposit/success?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	credited := ""
	for _, n := range page.find(func(n *html.Node) bool {
		for _, a := range n.Attr {
			if a.Key == "data-when" && a.Val == "credited" {
				return true
			}
		}
		return false
	}) {
		credited += textOf(n)
	}
	if !strings.Contains(credited, "1,000.00") {
		t.Errorf("result page of a deposit credited SEK 1,000.00 says %q; want SEK 1,000.00, what the wallet got", credited)
	}
}
