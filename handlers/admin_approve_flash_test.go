package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestApproveAlreadyApprovedSaysSo: a member who approves a payout another member
// approved a moment before (from a queue read before that, or both at once) is
// told it was approved already, and by whom; it read "Payout N approved and
// sent." though their approval did nothing: no audit row of theirs, nothing sent.
func TestApproveAlreadyApprovedSaysSo(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, _, acc := funded(t, lv, "anna@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	first, _ := lv.staffSignedIn("first@example.com", staff.RoleOperator)
	second, _ := lv.staffSignedIn("second@example.com", staff.RoleOperator)
	id := strconv.FormatInt(waiting, 10)

	first.submit(approvePath(waiting), url.Values{"reason": {"checked"}}).wantRedirect(approvalsPath)
	if got := first.get(approvalsPath).text("flash"); got != "Payout "+id+" approved and sent." {
		t.Fatalf("first approval: flash %q", got)
	}
	res := second.submit(approvePath(waiting), url.Values{"reason": {"also checked"}}).wantStatus(http.StatusConflict)
	want := "Payout " + id + " was approved already, by first@example.com; your approval changed nothing."
	if got := res.text("flash"); got != want || res.text("not-recorded-text") != "also checked" {
		t.Errorf("second member's approval: flash %q, reason shown back %q; want %q and their reason", got, res.text("not-recorded-text"), want)
	}
	if n := lv.countRows(&staff.Audit{}, "order_id = ? AND event = ?", waiting, staff.EventPayoutApproved); n != 1 {
		t.Errorf("%d approval audit rows; want 1", n)
	}
}

// TestApproveUnansweredSaysSo: an approval whose AccountPayout call gets no answer
// (Trustly unreachable) tells the member that the payout is being checked, as
// the refund form does; it read "Payout N approved and sent." while the payout
// was sending, its outcome unknown.
func TestApproveUnansweredSaysSo(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, _, acc := funded(t, lv, "anna@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	lv.Sandbox.Server.Close() // Trustly does not answer

	op.submit(approvePath(waiting), url.Values{"reason": {"checked"}}).wantRedirect(approvalsPath)
	var o models.Order
	if err := lv.DB.Take(&o, waiting).Error; err != nil {
		t.Fatal(err)
	}
	o.Refresh()
	want := "Payout " + strconv.FormatInt(waiting, 10) + " approved; Trustly's answer did not come, so it is being checked; it is never sent twice."
	if got := op.get(approvalsPath).text("flash"); o.Status != models.OrderSending || got != want {
		t.Errorf("payout %s, flash %q; want sending and %q", o.Status, got, want)
	}
}
