package handlers

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestApprovalsSayWhoMayDecide: a viewer on the approvals page saw the payouts
// waiting with no approve or deny button and no word of why. The page now says,
// above the queue, that their role may not approve or deny payouts and which
// roles may, in the words a refused route uses (roleRefused); not to a member
// who may decide, and not over an empty queue.
func TestApprovalsSayWhoMayDecide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) { approvalsSayWhoMayDecide(t, db) })
}

func approvalsSayWhoMayDecide(t *testing.T, db *gorm.DB) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"},
		Setup: func(s *testSetup) { s.Cashier.DB = db }})
	viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	if r := viewer.get(approvalsPath); r.has("approvals-role") || !r.has("approvals-empty") {
		t.Errorf("empty queue: role note %t; want none, and the empty sentence", r.has("approvals-role"))
	}
	cl, _, acc := funded(t, lv, "anna@example.com", "8000")
	lv.waitPayout(requestPayout(t, cl, "6000", acc.ID), models.OrderAwaitingApproval, nil)

	r := viewer.get(approvalsPath)
	want := "Your role, viewer, may not approve or deny payouts. Roles that may: operator, finance, owner."
	if got := r.text("approvals-role"); got != want || r.has("approve-form") || r.has("deny-form") {
		t.Errorf("viewer: %q, forms %t %t; want %q and no form", got, r.has("approve-form"), r.has("deny-form"), want)
	}
	if r := op.get(approvalsPath); r.has("approvals-role") || !r.has("approve-form") {
		t.Errorf("operator: role note %t, approve form %t; want the form alone", r.has("approvals-role"), r.has("approve-form"))
	}
}
