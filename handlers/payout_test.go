package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/views"
	"golang.org/x/net/html"
)

// requestPayout submits the withdrawal form and returns the new payout's id from
// the redirect to its page.
func requestPayout(t *testing.T, cl *testClient, amount string, account int64) int64 {
	t.Helper()
	r := cl.submit("/payout", url.Values{"amount": {amount}, "account": {strconv.FormatInt(account, 10)}})
	loc := r.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/payouts/"), 10, 64)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/payouts/") || err != nil {
		t.Fatalf("POST /payout: %d to %q; want 303 to /payouts/<id>\n%s", r.Status, loc, r.Body)
	}
	return id
}

// waitPayout waits up to ten seconds for the payout to reach status.
func (a *testApp) waitPayout(id int64, status models.OrderStatus, done func(o models.Order) bool) models.Order {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var o models.Order
		if err := a.DB.Where("id = ?", id).Take(&o).Error; err != nil {
			a.t.Fatal(err)
		}
		if o.Status == status && (done == nil || done(o)) {
			return o
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("payout %d is %s after 10 s; want %s", id, o.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countPayouts(t *testing.T, ta *testApp) int64 {
	t.Helper()
	var n int64
	if err := ta.DB.Model(&models.Order{}).Where("kind = ?", models.OrderPayout).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPayoutPageWithoutAccounts(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	page := cl.get("/payout").wantStatus(http.StatusOK)
	if got := page.text("withdrawable"); got != "SEK 0.00" {
		t.Errorf("withdrawable %q", got)
	}
	if !page.has("no-accounts") || page.has("payout-form") {
		t.Error("without accounts the page shows a form rather than a way to add one")
	}
	if l := page.byTestID("add-account"); len(l) == 0 || attr(l[0], "href") != "/bank-accounts" {
		t.Error("no link to add a bank account")
	}
	if !page.has("no-payouts") {
		t.Error("no empty payouts list")
	}
	nav := page.find(func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/payout" })
	if len(nav) == 0 {
		t.Error("no navigation link to /payout")
	}
	ta.client().get("/payout").wantRedirect("/login?next=%2Fpayout")
}

// TestPayoutRefusals: every refusal comes back with what was typed and one
// sentence, and nothing is reserved or sent.
func TestPayoutRefusals(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	_, _, otherAcc := funded(t, lv, "bo@example.com", "100")
	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"5329"}, "account": {"1865391"}}).
		wantRedirect("/bank-accounts")
	removed := lv.waitAccount(player, models.AccountFromRegisterAccount)
	cl.submit("/bank-accounts/"+strconv.FormatInt(removed.ID, 10)+"/remove", nil).wantRedirect("/bank-accounts")

	page := cl.get("/payout").wantStatus(http.StatusOK)
	if got := page.text("withdrawable"); got != "SEK 1,000.00" {
		t.Errorf("withdrawable %q", got)
	}
	amount := page.byTestID("amount")[0]
	if got := [2]string{attr(amount, "type"), attr(amount, "pattern")}; got != [2]string{"text", views.AmountPattern} {
		t.Errorf("amount type, pattern = %q", got)
	}
	if got := page.text("amount-hint"); got != "SEK 10.00 to SEK 10,000.00" {
		t.Errorf("amount hint %q", got)
	}
	choices := page.byTestID("choice-label")
	if len(choices) != 1 || !strings.HasSuffix(textOf(choices[0]), acc.Descriptor) {
		t.Errorf("account choices %q; want only the deposit's account %s", firstText(choices), acc.Descriptor)
	}
	if r := page.byTestID("account-" + strconv.FormatInt(acc.ID, 10)); len(r) == 0 || !hasAttr(r[0], "checked") {
		t.Error("the only account is not chosen already")
	}

	limits := "Choose an amount from SEK 10.00 to SEK 10,000.00."
	mine := strconv.FormatInt(acc.ID, 10)
	for _, tt := range []struct {
		amount, account, problem string
	}{
		{"abc", mine, msgAmountUnreadable},
		{"", mine, msgAmountUnreadable},
		{"100.005", mine, msgAmountUnreadable}, // more decimals than SEK has
		{"100.001", mine, msgAmountUnreadable},
		{"-100", mine, msgAmountUnreadable},
		{"+100", mine, msgAmountUnreadable},
		{"1e2", mine, msgAmountUnreadable},
		{"0x64", mine, msgAmountUnreadable},
		{"9999999999999999", mine, msgAmountUnreadable},
		{"5", mine, limits},
		{"10000.01", mine, limits},
		{"1500", mine, "Your balance is too low for this payout: you can withdraw at most SEK 1,000.00."},
		{"100", "", msgChooseAccount},
		{"100", strconv.FormatInt(otherAcc.ID, 10), "Choose one of your saved bank accounts."},
		{"100", strconv.FormatInt(removed.ID, 10), "Choose one of your saved bank accounts."},
	} {
		r := cl.submit("/payout", url.Values{"amount": {tt.amount}, "account": {tt.account}}).wantStatus(http.StatusUnprocessableEntity)
		if got := r.text("problem"); got != tt.problem {
			t.Errorf("%q to %q: problem %q; want %q", tt.amount, tt.account, got, tt.problem)
		}
		if got := r.value("amount"); got != tt.amount {
			t.Errorf("%q: the form shows %q again", tt.amount, got)
		}
	}
	if n := countPayouts(t, lv.testApp); n != 0 {
		t.Errorf("%d payouts stored; want none", n)
	}
	if got := lv.wallet(player); got.Minor != 100000 {
		t.Errorf("wallet %s; want 1000.00", got)
	}
}

func TestPayoutBlocked(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "100")
	// The bank returned a deposit the player had already played: the wallet is
	// below zero.
	lost := models.Move("test:returned", "Deposit returned", models.PlayerWallet(player.ID), models.Adjustments,
		models.Money{Minor: 15000, Currency: "SEK"})
	lost.AllowOverdraft = true
	if _, err := ledger.New(lv.DB).Post(context.Background(), lost); err != nil {
		t.Fatal(err)
	}
	page := cl.get("/payout").wantStatus(http.StatusOK)
	if got := page.text("blocked"); !strings.Contains(got, "paused") {
		t.Errorf("blocked notice %q", got)
	}
	if got := page.text("withdrawable"); got != "SEK 0.00" {
		t.Errorf("withdrawable %q; want SEK 0.00", got)
	}
	if fs := page.find(func(n *html.Node) bool { return n.Data == "fieldset" }); len(fs) == 0 || !hasAttr(fs[0], "disabled") {
		t.Error("the withdrawal form is not disabled")
	}
	r := cl.submit("/payout", url.Values{"amount": {"20"}, "account": {strconv.FormatInt(acc.ID, 10)}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "Withdrawals are paused") {
		t.Errorf("problem %q", got)
	}
	if n := countPayouts(t, lv.testApp); n != 0 {
		t.Errorf("%d payouts; want none", n)
	}
}

func TestPayoutNeedsCSRFToken(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	for _, path := range []string{"/payout", "/payouts/1/check", "/payouts/1/cancel", "/bank-accounts/select",
		"/bank-accounts/new", "/bank-accounts/1/remove"} {
		cl.post(path, url.Values{"amount": {"100"}, "account": {"1"}}).wantStatus(http.StatusForbidden)
		cl.post(path, url.Values{"amount": {"100"}, csrfField: {"forged"}}).wantStatus(http.StatusForbidden)
	}
	if n := countOrders(t, ta); n != 0 {
		t.Errorf("%d orders; want none", n)
	}
}

// TestPayoutPaid: a payout to the deposit's account is sent, confirmed by the
// sandbox's notification, and shown as paid; another player cannot see it.
func TestPayoutPaid(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	id := requestPayout(t, cl, "250", acc.ID)
	path := "/payouts/" + strconv.FormatInt(id, 10)
	lv.waitPayout(id, models.OrderConfirmed, nil)

	page := cl.get(path).wantStatus(http.StatusOK)
	for testid, want := range map[string]string{
		"payout-title":  "Withdrawal of SEK 250.00",
		"payout-state":  cashier.PayoutTextPaid,
		"payout-amount": "SEK 250.00",
		"withdrawable":  "SEK 750.00",
	} {
		if got := page.text(testid); got != want {
			t.Errorf("%s = %q; want %q", testid, got, want)
		}
	}
	if got := page.text("payout-account"); !strings.HasSuffix(got, acc.Descriptor) {
		t.Errorf("account %q; want %s", got, acc.Descriptor)
	}
	for _, fact := range []string{"payout-requested", "payout-sent", "payout-confirmed"} {
		if !page.has(fact) {
			t.Errorf("no %s date", fact)
		}
	}
	if page.has("cancel") {
		t.Error("a sent payout offers Cancel")
	}
	var status struct{ Token, State string }
	if err := json.Unmarshal([]byte(cl.get(path+"/status").wantStatus(http.StatusOK).Body), &status); err != nil ||
		status.State != cashier.PayoutTextPaid || status.Token != attr(page.byTestID("payout-state-box")[0], "data-token") {
		t.Errorf("status JSON %+v, %v; want the page's token", status, err)
	}

	// Check with the bank: once now, then not again within 15 minutes.
	cl.submit(path+"/check", nil).wantRedirect(path)
	page = cl.get(path)
	if got := page.text("flash"); got != enText("payout.checked_now") {
		t.Errorf("flash after checking %q", got)
	}
	if got := page.text("checked"); !strings.HasPrefix(got, "Last checked with the bank") || !strings.Contains(got, "check again after") {
		t.Errorf("checked %q", got)
	}
	if b := page.byTestID("check"); len(b) == 0 || !hasAttr(b[0], "disabled") {
		t.Error("Check with the bank is offered again right after a check")
	}
	cl.submit(path+"/check", nil).wantRedirect(path)
	if got := cl.get(path).text("flash"); !strings.HasPrefix(got, "We asked Trustly at ") {
		t.Errorf("flash after a second check %q", got)
	}
	if o := lv.waitPayout(id, models.OrderConfirmed, nil); o.TransferChecks != 1 || o.TransferState != "CONFIRMED" {
		t.Errorf("transfer checks %d, state %q; want one check, CONFIRMED", o.TransferChecks, o.TransferState)
	}

	list := cl.get("/payout").wantStatus(http.StatusOK)
	if got := list.text("payout-state"); got != cashier.PayoutTextPaid {
		t.Errorf("payouts list state %q", got)
	}
	if got := list.text("withdrawable"); got != "SEK 750.00" {
		t.Errorf("withdrawable %q", got)
	}
	if got := lv.wallet(player); got.Minor != 75000 {
		t.Errorf("wallet %s; want 750.00", got)
	}

	other, _ := lv.signedIn("bo@example.com")
	other.get(path).wantStatus(http.StatusNotFound)
	other.get(path + "/status").wantStatus(http.StatusNotFound)
	other.submit(path+"/check", nil).wantStatus(http.StatusNotFound)
	other.submit(path+"/cancel", nil).wantStatus(http.StatusNotFound)
	cl.get("/payouts/abc").wantStatus(http.StatusNotFound)
	cl.get("/payouts/999999").wantStatus(http.StatusNotFound)
}

// TestPayoutApprovalCancel: a payout above the approval limit waits; the player
// cancels it and the money is back.
func TestPayoutApprovalCancel(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "6000")
	id := requestPayout(t, cl, "5500", acc.ID)
	path := "/payouts/" + strconv.FormatInt(id, 10)
	page := cl.get(path).wantStatus(http.StatusOK)
	if got := page.text("payout-state"); got != cashier.PayoutTextAwaitingApproval {
		t.Errorf("state %q", got)
	}
	if got := page.text("withdrawable"); got != "SEK 500.00" {
		t.Errorf("withdrawable while waiting %q", got)
	}
	if page.has("check") || !page.has("cancel") {
		t.Error("a payout awaiting approval should offer Cancel and not Check")
	}
	cl.submit(path+"/cancel", nil).wantRedirect(path)
	page = cl.get(path)
	if got := page.text("flash"); got != enText("payout.cancelled") {
		t.Errorf("flash %q", got)
	}
	if got := page.text("payout-state"); got != cashier.PayoutTextCancelled {
		t.Errorf("state %q", got)
	}
	if page.has("cancel") || attr(page.byTestID("payout-state-box")[0], "data-poll-url") != "" {
		t.Error("a cancelled payout still offers Cancel or polls")
	}
	cl.submit(path+"/cancel", nil).wantRedirect(path)
	if got := lv.wallet(player); got.Minor != 600000 {
		t.Errorf("wallet %s; want 6000.00 back", got)
	}
}

// TestPayoutRejectedByTrustly: Trustly refuses the payout (sandbox payout-rejected);
// the form says so and the money is back.
func TestPayoutRejectedByTrustly(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	if err := lv.Sandbox.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutRejected); err != nil {
		t.Fatal(err)
	}
	r := cl.submit("/payout", url.Values{"amount": {"100"}, "account": {strconv.FormatInt(acc.ID, 10)}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "The money is back in your balance") {
		t.Errorf("problem %q", got)
	}
	if got := r.text("withdrawable"); got != "SEK 1,000.00" {
		t.Errorf("withdrawable %q", got)
	}
	if got := r.text("payout-state"); got != cashier.PayoutTextNotSent {
		t.Errorf("the refused payout is listed as %q", got)
	}
	if got := lv.wallet(player); got.Minor != 100000 {
		t.Errorf("wallet %s", got)
	}
}

// TestPayoutReturned: the bank returns a confirmed payout (sandbox
// payout-bounce-after-confirmation); the money comes back once.
func TestPayoutReturned(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	if err := lv.Sandbox.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutBounce); err != nil {
		t.Fatal(err)
	}
	id := requestPayout(t, cl, "300", acc.ID)
	lv.waitPayout(id, models.OrderFailed, func(o models.Order) bool { return o.ReturnedAt != nil })
	page := cl.get("/payouts/" + strconv.FormatInt(id, 10)).wantStatus(http.StatusOK)
	if got := page.text("payout-state"); got != cashier.PayoutTextReturned {
		t.Errorf("state %q", got)
	}
	if got := page.text("withdrawable"); got != "SEK 1,000.00" {
		t.Errorf("withdrawable %q", got)
	}
	if page.has("check") {
		t.Error("a returned payout offers Check with the bank")
	}
	if err := ledger.New(lv.DB).Audit(context.Background()); err != nil {
		t.Errorf("ledger audit: %v", err)
	}
	if got := lv.wallet(player); got.Minor != 100000 {
		t.Errorf("wallet %s; want 1000.00", got)
	}
}

// TestHistoryLinksPayouts: the history shows a payout in the payout page's words
// and links to it.
func TestHistoryLinksPayouts(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, _, acc := funded(t, lv, "anna@example.com", "1000")
	id := requestPayout(t, cl, "250", acc.ID)
	lv.waitPayout(id, models.OrderConfirmed, nil)
	page := cl.get("/history").wantStatus(http.StatusOK)
	for _, row := range page.byTestID("order-row") {
		sub := &testResponse{t: t, doc: row, what: "order row"}
		if sub.text("order-kind") != "Withdrawal" {
			continue
		}
		if got := sub.text("order-status"); got != cashier.PayoutTextPaid {
			t.Errorf("history status %q; want %q", got, cashier.PayoutTextPaid)
		}
		links := sub.find(func(n *html.Node) bool { return n.Data == "a" })
		if len(links) == 0 || attr(links[0], "href") != "/payouts/"+strconv.FormatInt(id, 10) {
			t.Errorf("the history's payout row does not link to its page")
		}
		return
	}
	t.Errorf("no withdrawal in the history\n%s", page.Body)
}
