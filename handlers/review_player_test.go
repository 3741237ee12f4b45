package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"golang.org/x/net/html"
)

// Tests from the adversarial click-through review of the player's pages
// (password players): what a person does with a real browser that the pages did
// not expect.

// hiddenFields are the hidden inputs of the page's form with data-testid form, as
// the browser sends them (the CSRF token aside, which submit adds).
func (r *testResponse) hiddenFields(form string) url.Values {
	r.t.Helper()
	forms := r.byTestID(form)
	if len(forms) == 0 {
		r.t.Fatalf("%s: no form %q\n%s", r.what, form, r.Body)
	}
	v := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "hidden" && attr(n, "name") != csrfField {
			v.Add(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(forms[0])
	return v
}

// TestReviewPayoutFormSentTwice: the withdrawal form sent twice, as a double
// click or a browser resending it does, makes one payout, and both answers lead
// to its page; a new view of the form makes a new one.
func TestReviewPayoutFormSentTwice(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	page := cl.get("/payout").wantStatus(http.StatusOK)
	// The browser must not fill the form in again with its old token, as Firefox
	// does with a page loaded again: the form would show the old payout.
	if n := page.byTestID("payout-form"); len(n) != 1 || attr(n[0], "autocomplete") != "off" {
		t.Error("the payout form's autocomplete is not off")
	}
	form := page.hiddenFields("payout-form")
	form.Set("amount", "100")
	form.Set("account", strconv.FormatInt(acc.ID, 10))
	first := cl.submit("/payout", form).wantStatus(http.StatusSeeOther).Header.Get("Location")
	second := cl.submit("/payout", form).wantStatus(http.StatusSeeOther).Header.Get("Location")
	if n := countPayouts(t, lv.testApp); n != 1 || first != second {
		t.Errorf("the same form sent twice: %d payouts, sent to %q and %q; want one payout and its page twice", n, first, second)
	}
	if got := lv.wallet(player); got.Minor != 90000 {
		t.Errorf("wallet %s; want 900.00", got)
	}
	again := cl.get("/payout").wantStatus(http.StatusOK).hiddenFields("payout-form")
	again.Set("amount", "100")
	again.Set("account", strconv.FormatInt(acc.ID, 10))
	if third := cl.submit("/payout", again).wantStatus(http.StatusSeeOther).Header.Get("Location"); third == first {
		t.Errorf("a new view of the form sent %q, the first payout's page; want a new payout", third)
	}
	if n := countPayouts(t, lv.testApp); n != 2 {
		t.Errorf("%d payouts after a new form; want 2", n)
	}
	// A token that is not a payout form's, or another order's, makes nothing.
	for _, token := range []string{"junk", lv.order(orderFromRedirect(t, cl.submit("/deposit", url.Values{"amount": {"50"}}))).MessageID} {
		again.Set("token", token)
		r := cl.submit("/payout", again).wantStatus(http.StatusUnprocessableEntity)
		if got, want := r.text("problem"), enText("problem.payout_form"); got != want {
			t.Errorf("token %q: problem %q; want %q", token, got, want)
		}
	}
	if n := countPayouts(t, lv.testApp); n != 2 {
		t.Errorf("%d payouts after forms with bad tokens; want 2", n)
	}
}
