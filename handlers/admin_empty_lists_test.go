package handlers

import (
	"net/http"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestEmptyAuditAndTotalsSaySo: the audit page whose filter matched nothing, and
// the transactions' totals when no transaction matched, showed a table of
// headers and nothing else, where the calls', transactions' and approvals' lists
// say in a sentence that nothing matches. Both say so now, and not while rows
// are shown.
func TestEmptyAuditAndTotalsSaySo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)

		r := viewer.get("/admin/audit?event=payout.approved").wantStatus(http.StatusOK)
		if r.has("audit-row") || r.text("audit-empty") != "No audit entries match." {
			t.Errorf("audit with nothing matching: %d rows, no sentence", len(r.byTestID("audit-row")))
		}
		if r := viewer.get("/admin/audit"); !r.has("audit-row") || r.has("audit-empty") {
			t.Errorf("audit with the sign-in: rows %t, empty sentence %t; want rows alone", r.has("audit-row"), r.has("audit-empty"))
		}

		r = viewer.get("/admin/transactions/totals").wantStatus(http.StatusOK)
		if r.has("total-row") || r.text("totals-empty") != "No transactions match, so there is nothing to total." {
			t.Errorf("totals with no transaction: %d rows, no sentence", len(r.byTestID("total-row")))
		}
		storetest.SeedOrders(t, ta.DB, "empty-", 3, 1, 0)
		if r := viewer.get("/admin/transactions/totals"); !r.has("total-row") || r.has("totals-empty") {
			t.Errorf("totals with orders: rows %t, empty sentence %t; want rows alone", r.has("total-row"), r.has("totals-empty"))
		}
		if r := viewer.get("/admin/transactions/totals?from=not-a-day"); r.has("totals-empty") {
			t.Error("totals refused for its filter say nothing matched; want the problem alone")
		}
	})
}
