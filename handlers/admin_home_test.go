package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestAdminHomeCountsWaiting: the home page's link to the approvals says how
// many payouts wait (cashier.PayoutsAwaitingApprovalCount), one less once one is
// denied.
func TestAdminHomeCountsWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) { s.Cashier.DB = db }})
		cl, _, acc := funded(t, lv, "anna@example.com", "8000")
		first := requestPayout(t, cl, "6000", acc.ID)
		requestPayout(t, cl, "1000", acc.ID) // waits too: 7 000 within 24 hours
		viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
		op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
		if got := strings.Join(strings.Fields(viewer.get("/admin").text("approvals-link")), " "); got != "Payouts waiting for approval: 2" {
			t.Errorf("home page: %q; want 2 waiting", got)
		}
		op.submit(denyPath(first), url.Values{"reason": {"no"}}).wantRedirect(approvalsPath)
		if got := strings.Join(strings.Fields(viewer.get("/admin").text("approvals-link")), " "); got != "Payouts waiting for approval: 1" {
			t.Errorf("home page after a denial: %q; want 1 waiting", got)
		}
	})
}
