package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
)

// TestBackFromResultShowsNoCheckout: once Trustly sent the browser to a started
// deposit's or account selection's result page (before any notification: the
// order is still started), its checkout page, where Back leads, sends the
// browser to that result page again. It showed Trustly's checkout again, a
// second session of an order already approved, as if nothing had been paid.
func TestBackFromResultShowsNoCheckout(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: func(c *sandbox.Config) { c.NotifyDelay = time.Minute }})
	cl, _ := lv.signedIn("vera@example.com")
	id := lv.startDeposit(cl, "100")
	checkout, success := "/deposit/checkout?order="+url.QueryEscape(id), "/deposit/success?order="+url.QueryEscape(id)
	cl.get(checkout).wantStatus(http.StatusOK)
	if got := cl.get(success).wantStatus(http.StatusOK).text("order-status"); got != "Waiting for the bank" {
		t.Errorf("success page before any notification: %q; want Waiting for the bank", got)
	}
	cl.get(checkout).wantRedirect(success)

	r := cl.submit("/bank-accounts/select", nil)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/bank-accounts/checkout?order=") {
		t.Fatalf("POST /bank-accounts/select: %d to %q", r.Status, loc)
	}
	order := strings.TrimPrefix(loc, "/bank-accounts/checkout?order=")
	cl.get(loc).wantStatus(http.StatusOK)
	cl.get("/accounts/fail?order=" + order).wantStatus(http.StatusOK)
	cl.get(loc).wantRedirect("/accounts/fail?order=" + order)
	// The deposit's checkout, left before the account's, is still answered by
	// its result page.
	cl.get(checkout).wantRedirect(success)
	// Another browser of the player's that never came back from the checkout
	// still has it.
	other := lv.client()
	other.signIn("vera@example.com", testPassword)
	other.get(checkout).wantStatus(http.StatusOK)
}
