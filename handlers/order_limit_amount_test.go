package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

// TestOrderLimitCountsOnlyOrdersStarted: a deposit or withdrawal form refused for
// its amount (unreadable, outside the currency's range, more than the balance)
// starts no order and calls no one, so it does not count towards the player's
// order limit: a player who mistypes is not told they started many payments. The
// orders that do start still count, so past the limit nothing reaches Trustly.
func TestOrderLimitCountsOnlyOrdersStarted(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Web.OrderLimit = 2 }})
	cl, _ := lv.signedIn("anna@example.com")
	for _, tt := range []struct {
		path   string
		amount string
	}{
		{"/deposit", "1e3"}, {"/deposit", "100,0,0"}, {"/deposit", "1"}, {"/deposit", "99999999"},
		{"/payout", "abc"}, {"/payout", "100"}, // nothing to withdraw yet
	} {
		r := cl.submit(tt.path, url.Values{"amount": {tt.amount}, "account": {"1"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("POST %s amount %q: status %d; want 422, the amount's refusal\n%s", tt.path, tt.amount, r.Status, r.Body)
		}
	}
	lv.startDeposit(cl, "100")
	lv.startDeposit(cl, "100")
	r := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusTooManyRequests)
	if got := r.text("error-message"); got != msgTooManyOrders {
		t.Errorf("third deposit: %q; want %q", got, msgTooManyOrders)
	}
	if n := countOrders(t, lv.testApp); n != 2 {
		t.Errorf("orders = %d; want 2", n)
	}
}
