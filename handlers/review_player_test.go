package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/models"
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

// TestDepositFormSentTwice: the deposit form sent twice, as a double click or a
// browser resending it does, starts one deposit (one order holding the deposit
// limits' headroom, one Deposit call to Trustly), and both answers lead to its
// checkout, also when both arrive at once; a new view of the form starts a new
// one; a token not a deposit form's, or another player's deposit's, starts
// nothing. The form's autocomplete is off, so a browser does not fill in an old
// token again.
func TestDepositFormSentTwice(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")
	deposits := func() int64 {
		var n int64
		lv.DB.Model(&models.Order{}).Where("kind = ?", models.OrderDeposit).Count(&n)
		return n
	}
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if n := page.byTestID("deposit-form"); len(n) != 1 || attr(n[0], "autocomplete") != "off" {
		t.Error("the deposit form's autocomplete is not off")
	}
	form := page.hiddenFields("deposit-form")
	form.Set("amount", "100")
	first := orderFromRedirect(t, cl.submit("/deposit", form))
	second := orderFromRedirect(t, cl.submit("/deposit", form))
	if n := deposits(); n != 1 || first != second || first != form.Get("token") {
		t.Errorf("the same form sent twice: %d deposits, checkouts of %q and %q; want one deposit, %s", n, first, second, form.Get("token"))
	}

	again := cl.get("/cashier").hiddenFields("deposit-form")
	again.Set("amount", "100")
	var wg sync.WaitGroup
	got := make([]*testResponse, 2)
	for i := range got {
		wg.Go(func() { got[i] = cl.submit("/deposit", again) })
	}
	wg.Wait()
	a, b := orderFromRedirect(t, got[0]), orderFromRedirect(t, got[1])
	if n := deposits(); n != 2 || a != b || a == first {
		t.Errorf("a new form sent twice at once: %d deposits (want 2), checkouts of %q and %q (want one new)", n, a, b)
	}
	if o := lv.order(a); o.CheckoutURL == "" {
		t.Errorf("the deposit both answers lead to has no checkout: %s", o.Status)
	}

	other, _ := lv.signedIn("bert@example.com")
	for _, token := range []string{"junk", first, "pay-" + first[len("dep-"):]} {
		f := other.get("/cashier").hiddenFields("deposit-form")
		f.Set("amount", "100")
		f.Set("token", token)
		r := other.submit("/deposit", f).wantStatus(http.StatusUnprocessableEntity)
		if got, want := r.text("problem"), enText("problem.deposit_form"); got != want {
			t.Errorf("token %q: problem %q; want %q", token, got, want)
		}
	}
	if n := deposits(); n != 2 {
		t.Errorf("%d deposits after forms with bad tokens; want 2", n)
	}
}

// TestDepositFormTrustlyFails: a deposit form whose Deposit call fails (here
// Trustly cannot be reached) comes back with the sentence saying so and the
// amount typed, as before the form carried its token: the failed order the
// sending made is its own, not one an earlier sending of the form made.
func TestDepositFormTrustlyFails(t *testing.T) {
	ta := newTestApp(t) // its Trustly is a closed port
	cl, _ := ta.signedIn("anna@example.com")
	form := cl.get("/cashier").wantStatus(http.StatusOK).hiddenFields("deposit-form")
	form.Set("amount", "100")
	r := cl.submit("/deposit", form).wantStatus(http.StatusUnprocessableEntity)
	if got, want := r.text("problem"), enText("problem.deposit_failed"); got != want {
		t.Errorf("problem %q; want %q", got, want)
	}
	if got := r.value("amount"); got != "100" {
		t.Errorf("amount field %q; want what was typed", got)
	}
}

// TestReviewCrashDepositFormSentAgain: the cashier was killed after the deposit
// form's order was committed and before its Deposit call was answered (what
// deposit.before_call and deposit.after_call leave: an order created, with no
// checkout), and the player sends the same form again once it is back. The
// answer leads to the deposit's page, which says it was not completed and offers
// to try again, with no Deposit call; it led to "Processing your deposit" and
// "Starting", polled until the janitor abandoned the deposit 30 minutes later.
func TestReviewCrashDepositFormSentAgain(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	form := cl.get("/cashier").wantStatus(http.StatusOK).hiddenFields("deposit-form")
	form.Set("amount", "100")
	orphan := models.Order{MessageID: form.Get("token"), Kind: models.OrderDeposit, PlayerID: player.ID, EndUserID: player.EndUserID,
		Amount: models.Money{Minor: 10000, Currency: player.Currency}, CreatedAt: time.Now().Add(-time.Minute)}
	orphan.Refresh()
	if err := lv.DB.Create(&orphan).Error; err != nil {
		t.Fatal(err)
	}
	if got := orderFromRedirect(t, cl.submit("/deposit", form)); got != orphan.MessageID {
		t.Fatalf("the form sent again led to deposit %s; want %s", got, orphan.MessageID)
	}
	loc := cl.get("/deposit/checkout?order=" + url.QueryEscape(orphan.MessageID)).wantStatus(http.StatusSeeOther).Header.Get("Location")
	page := cl.get(loc).wantStatus(http.StatusOK)
	if got, want := page.text("result-title"), enText("deposit.result.title_fail"); got != want {
		t.Errorf("the deposit's page is titled %q; want %q", got, want)
	}
	if got := page.text("order-status"); got == enText("status.starting") || got == enText("status.waiting_bank") {
		t.Errorf("the deposit's page says %q of a deposit no process is starting", got)
	}
	if len(page.byTestID("try-again")) != 1 {
		t.Error("the deposit's page offers no Try again")
	}
	if o := lv.order(orphan.MessageID); o.Status != models.OrderAbandoned || o.TrustlyOrderID != "" {
		t.Errorf("the deposit: %s, Trustly orderid %q; want abandoned, never sent", o.Status, o.TrustlyOrderID)
	}
}
