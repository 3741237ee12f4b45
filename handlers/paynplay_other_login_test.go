package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayNPlayOtherAccountLoginOnly: a "Log in with your bank" (no deposit) whose
// browser signed in meanwhile as someone else than the person the bank named is
// refused with 409, in every language, with a sentence about a login, not about a
// deposit there was none of: what happened and how to play as the bank's person.
func TestPayNPlayOtherAccountLoginOnly(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "pure")})
	cl := lv.client()
	// Two tabs log in with the bank; the second finishes first, as Bo.
	first, second := startPayNPlay(cl, "SE", ""), startPayNPlay(cl, "SE", "")
	back := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(first)
	for _, o := range []struct{ id, person string }{{second, "se-adult"}, {first, "se-adult2"}} {
		lv.checkoutStep(o.id, "bank", url.Values{"bank": {"SE|SEB"}})
		lv.checkoutStep(o.id, "login", url.Values{"person": {o.person}})
		if out := lv.waitDecision(o.id); out.Order.KYCOutcome != models.KYCContinue {
			t.Fatalf("kyc %s of %s; want continue", out.Order.KYCOutcome, o.person)
		}
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(second)).wantStatus(http.StatusSeeOther)
	bo := cl.get("/cashier").wantStatus(http.StatusOK).text("player-name")
	deposit := map[string]string{"en": "deposit", "sv": "insättning", "fi": "talletu", "et": "sissemakse", "nl": "storting"}
	for _, l := range lang.Languages {
		cl.setCookie("cashier_lang", l.Code)
		page := cl.get(back).wantStatus(http.StatusConflict)
		got := page.text("refusal")
		if want := lang.For(l.Code, nil).T("paynplay.other_account_login"); got != want {
			t.Errorf("%s: refusal %q; want %q", l.Code, got, want)
		}
		if strings.Contains(strings.ToLower(got), deposit[l.Code]) {
			t.Errorf("%s: a bank login's refusal speaks of a deposit: %q", l.Code, got)
		}
	}
	if got := cl.get("/cashier").wantStatus(http.StatusOK).text("player-name"); got != bo || bo == "" {
		t.Errorf("signed in as %q after the return page; want %q still", got, bo)
	}
}
