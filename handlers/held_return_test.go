package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// TestHeldReturnForm: a refused "Deposit & play" whose bank paid all the same
// (refused-held) shows a member allowed to refund "Return the money to the
// payer" with the held credit's amount on its order page; a viewer sees no such
// action and is refused when posting it, and a post without the back office's
// CSRF token is refused. Without a recent re-authentication the member confirms
// their password first and comes back to the form as sent; then the form, sent
// twice, makes one return and one Refund call, audited once. The deposit then
// reads "Refused — money returned to payer" on its page, in the transactions list
// under its status filter and in the CSV; the action is no longer offered, and
// the player's page says the money was returned. Nothing is booked.
func TestHeldReturnForm(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "pure"), Extra: map[string]string{"SandboxAutoComplete": "1",
		"SandboxPerson": "se-minor", "SandboxScenario": string(sandbox.ScenarioKYCFinishIgnored)}})
	visitor := lv.client()
	mid := startPayNPlay(visitor, "SE", "100")
	dep := lv.waitStatus(mid, models.OrderRefusedHeld)
	lv.Sandbox.WaitIdle(t)
	page := orderPath(dep.ID)
	returns := func() int64 {
		return lv.countRows(&models.Order{}, "parent_id = ? AND kind = ? AND returns_held = ?", dep.ID, models.OrderRefund, true)
	}

	viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	viewer.staffReauth(testPassword, "")
	if r := viewer.get(page).wantStatus(http.StatusOK); r.has("order-return") {
		t.Error("a viewer is offered the return")
	}
	viewer.submit(returnPath(dep.ID), url.Values{"token": {models.NewMessageID(models.OrderRefund)}}).wantStatus(http.StatusForbidden)

	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	r := fin.get(page).wantStatus(http.StatusOK)
	if got := r.text("order-status"); got != "Refused — money held to return" || r.text("order-return-amount") != "100,00 SEK" || !r.has("order-return") {
		t.Fatalf("order page: status %q, return amount %q, action %t; want held, 100,00 SEK, offered", got, r.text("order-return-amount"), r.has("order-return"))
	}
	token := r.value("order-return-token")
	if !models.IsMessageID(models.OrderRefund, token) {
		t.Fatalf("the return form's token %q; want a refund's MessageID", token)
	}
	sent := url.Values{"token": {token}, "reason": {"kyc refused: under 18"}}
	fin.post(returnPath(dep.ID), sent).wantStatus(http.StatusForbidden) // no CSRF token
	// No recent re-authentication: the password first, then the form as it was sent.
	fin.submit(returnPath(dep.ID), sent).wantRedirect("/admin/reauth?next=" + url.QueryEscape(page))
	if n := returns(); n != 0 {
		t.Fatalf("%d returns before the re-authentication; want none", n)
	}
	fin.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {page}}).wantRedirect(page)
	r = fin.get(page).wantStatus(http.StatusOK)
	if r.value("order-return-token") != token || r.value("order-return-reason") != sent.Get("reason") {
		t.Errorf("the form after the re-authentication: token %q, reason %q; want as sent", r.value("order-return-token"), r.value("order-return-reason"))
	}
	for range 2 {
		fin.submit(returnPath(dep.ID), sent).wantRedirect(page)
	}
	if n := returns(); n != 1 {
		t.Fatalf("%d returns after the form was sent twice; want 1", n)
	}
	if n := lv.countRows(&staff.Audit{}, "event = ?", staff.EventHeldReturn); n != 1 {
		t.Errorf("%d audit rows of returns; want 1", n)
	}
	lv.waitStatus(mid, models.OrderRefusedReturned)
	lv.Sandbox.WaitIdle(t)
	const label = "Refused — money returned to payer"
	r = fin.get(page).wantStatus(http.StatusOK)
	if r.text("order-status") != label || r.has("order-return") || !strings.Contains(r.Body, models.FlagHeldCreditReturned) {
		t.Errorf("order page after the return: %q, action %t; want %q, none offered, the flag %q", r.text("order-status"), r.has("order-return"),
			label, models.FlagHeldCreditReturned)
	}
	if got := r.byTestID("order-refund-state"); len(got) != 1 || textOf(got[0]) != "Confirmed" {
		t.Errorf("the deposit's returns: %d; want one, confirmed", len(got))
	}
	list := fin.get(transactionsPath + "?status=refused-returned").wantStatus(http.StatusOK)
	if !strings.Contains(list.Body, label) || !strings.Contains(list.Body, orderPath(dep.ID)+`"`) {
		t.Errorf("transactions filtered refused-returned do not list the deposit as %q", label)
	}
	csv := fin.get(transactionsPath + ".csv?status=refused-returned").wantStatus(http.StatusOK).Body
	if !strings.Contains(csv, dep.MessageID) || !strings.Contains(csv, "refused-returned") {
		t.Errorf("CSV of refused-returned: %q; want the deposit with its status code", csv)
	}
	// The totals count the return on a row of its own, not among the refunds.
	var kinds []string
	for _, n := range fin.get(transactionsPath + "/totals?kind=refund").wantStatus(http.StatusOK).byTestID("total-row") {
		row := &testResponse{t: t, doc: n, what: "total row"}
		kinds = append(kinds, row.text("total-kind")+": "+row.text("total-count")+", "+row.text("total-sum"))
	}
	if want := []string{"Return of held money: 1, 100,00 SEK"}; !slices.Equal(kinds, want) {
		t.Errorf("totals of refunds %q; want %q", kinds, want)
	}
	// The reconciliation explains the held credit and its return, which our
	// ledger never has, rather than listing them as differences.
	today := time.Now().UTC()
	rec := fin.get("/admin/reports/reconciliation?" + url.Values{"currency": {"SEK"}, "from": {today.AddDate(0, 0, -1).Format(time.DateOnly)},
		"to": {today.Format(time.DateOnly)}}.Encode()).wantStatus(http.StatusOK)
	var explained []string
	for _, n := range rec.byTestID("reconcile-explained-key") {
		explained = append(explained, textOf(n))
	}
	if !rec.has("reconcile-clean") || !slices.Equal(explained, []string{mid, mid}) {
		t.Errorf("reconciliation: clean %t, explained %q; want no difference, the held credit and its return explained", rec.has("reconcile-clean"), explained)
	}
	pr := visitor.get("/paynplay/fail?order=" + url.QueryEscape(mid)).wantStatus(http.StatusOK)
	if got, want := pr.text("refusal-held"), enText("deposit.result.held_returned"); got != want {
		t.Errorf("the visitor's page: %q; want %q", got, want)
	}
	if n := lv.countRows(&models.Transfer{}, "1 = 1"); n != 0 {
		t.Errorf("%d transfers; want none: held money is booked nowhere", n)
	}
}
