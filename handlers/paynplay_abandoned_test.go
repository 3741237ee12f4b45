package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayNPlayAbandonedAfterKYC: a "Deposit & play" whose kyc said CONTINUE and
// whose player then cancelled in the checkout, before signing the deposit, moved
// no money, yet the bank identified the person and the kyc let them in (API.md §8:
// the kyc decides, before money moves). The browser that started it signs in as
// that player whether Trustly's cancel came before it got back or after, and
// reads that the deposit was not completed; where the cancel came first it was
// refused ("The checkout ended before it was completed"), so the same abandonment
// signed in or not as the notification and the browser raced. The player's wallet
// stays empty; in both models.
func TestPayNPlayAbandonedAfterKYC(t *testing.T) {
	for _, mode := range []string{"pure", "hybrid"} {
		t.Run(mode, func(t *testing.T) {
			lv := startPayNPlayLive(t, mode, "", nil)
			cl := lv.client()
			id := startPayNPlay(cl, "SE", "100")
			lv.checkoutStep(id, "bank", url.Values{"bank": {"SE|SEB"}})
			lv.checkoutStep(id, "login", url.Values{"person": {"se-adult"}})
			out := lv.waitDecision(id)
			if out.State != cashier.PayNPlayReady {
				t.Fatalf("decision %s %q; want ready", out.State, out.Message)
			}
			lv.checkoutAfterKYC(id)
			lv.checkoutStep(id, "cancel", url.Values{})
			lv.waitStatus(id, models.OrderFailed)
			want := "/deposit/fail?order=" + url.QueryEscape(id)
			for _, path := range []string{cashier.PayNPlayFailPath, cashier.PayNPlaySuccessPath} {
				cl.get(path + "?order=" + url.QueryEscape(id)).wantRedirect(want)
			}
			page := cl.get(want).wantStatus(http.StatusOK)
			if got, w := page.text("result-title"), "Your deposit was not completed"; got != w {
				t.Errorf("the deposit's page after the sign-in is titled %q; want %q", got, w)
			}
			if got := lv.order(id); got.SignedInAt == nil || got.PlayerID != out.Player.ID {
				t.Errorf("order signed in at %v by player %d; want signed in by %d", got.SignedInAt, got.PlayerID, out.Player.ID)
			}
			cl.get("/cashier").wantStatus(http.StatusOK)
			if got := lv.wallet(*out.Player); got.Minor != 0 {
				t.Errorf("wallet %s; want nothing: no money moved", got)
			}
		})
	}
}
