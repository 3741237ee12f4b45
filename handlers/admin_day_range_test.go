package handlers

import (
	"net/http"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestDayRangeEndsBeforeYear10000: a range whose last day is 9999-12-31, the last
// a date field takes, is refused with a sentence on the reports and the
// reconciliation pages (422), where the reconciliation asked Trustly's
// AccountLedger up to "10000-01-01", the day after it, which no YYYY-MM-DD
// reads, and answered 502, "try again later", which never helps. A range just
// before it is read as any other.
func TestDayRangeEndsBeforeYear10000(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	for _, tt := range []struct {
		path, query, problem string
		want                 int
	}{
		{"/admin/reports/reconciliation", "currency=SEK&from=9999-12-31&to=9999-12-31", "reconcile-problem", http.StatusUnprocessableEntity},
		{"/admin/reports", "from=9999-12-31&to=9999-12-31", "reports-problem", http.StatusUnprocessableEntity},
		{"/admin/reports/reconciliation", "currency=SEK&from=9999-12-30&to=9999-12-30", "", http.StatusOK},
		{"/admin/reports", "from=9999-12-30&to=9999-12-30", "", http.StatusOK},
	} {
		r := cl.get(tt.path + "?" + tt.query).wantStatus(tt.want)
		if tt.want == http.StatusUnprocessableEntity {
			if got, want := r.text(tt.problem), "Choose days up to 9999-12-30."; got != want {
				t.Errorf("%s?%s: problem %q; want %q", tt.path, tt.query, got, want)
			}
		}
	}
}
