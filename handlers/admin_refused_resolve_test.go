package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestResolveRefusedNotificationPage: a notification refused for its data stayed
// on the flagged page and in the home's count for ever. An operator sees a
// resolve form on its row now (a viewer none), and posting a note with the
// form's CSRF token records one resolution and one audit row: it leaves the page
// and the count, and its order's page says who resolved it, when and the note.
// Without the token, or with a forged one, nothing is written; an empty note is
// refused. Delivered again, it is listed and counted again, with the earlier
// resolution shown.
func TestResolveRefusedNotificationPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.TrustlyKey = &notifyTrustlyKey().PublicKey
		})
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
		storetest.SeedOrders(t, ta.DB, "rr-", 1, 1, 0)
		var o models.Order
		ta.DB.Where("message_id = ?", "rr-1").Take(&o)
		credit := signNote(t, notifyTrustlyKey(), "credit", "3200000001", uuid.NewString(), o, "rr-player", nil)
		shifted := reshapeNote(t, credit.raw, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		})
		deliver := func() {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, "/trustly/notify/"+testNotifyToken, bytes.NewReader(shifted))
			req.Header.Set("Content-Type", "application/json")
			ta.client().do(req).wantStatus(http.StatusBadRequest)
		}
		deliver()
		deliver()
		var row models.RefusedNotification
		ta.DB.Take(&row)
		path := refusedResolvePath(row.ID)
		audits := func() (n int64) {
			ta.DB.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&n)
			return n
		}

		if r := viewer.get(flaggedPath).wantStatus(http.StatusOK); len(r.byTestID("refused")) != 1 || r.has("refused-resolve-form") {
			t.Errorf("viewer's flagged page: %d refused, form %t; want the row and no form", len(r.byTestID("refused")), r.has("refused-resolve-form"))
		}
		viewer.submit(path, url.Values{"note": {"looked"}}).wantStatus(http.StatusForbidden)
		page := op.get(flaggedPath).wantStatus(http.StatusOK)
		if forms := page.forms(); !page.has("refused-resolve-form") || forms[path] == "" || forms[path] != op.csrfFor(path) {
			t.Fatalf("operator's flagged page: forms %v; want %s with the session's CSRF token", forms, path)
		}
		op.post(path, url.Values{"note": {"looked"}}).wantStatus(http.StatusForbidden)
		op.post(path, url.Values{"note": {"looked"}, csrfField: {"forged." + strings.Repeat("A", 43)}}).wantStatus(http.StatusForbidden)
		op.submit(path, url.Values{"note": {"  "}}).wantRedirect(flaggedPath)
		if n := audits(); n != 0 {
			t.Fatalf("%d resolutions audited after posts without a token or a note; want none", n)
		}

		op.submit(path, url.Values{"note": {"reshaped copy, not Trustly's"}}).wantRedirect(flaggedPath)
		var audit staff.Audit
		if n := audits(); n != 1 {
			t.Fatalf("%d resolution audit rows; want 1", n)
		}
		ta.DB.Where("event = ?", staff.EventFlagResolved).Take(&audit)
		if audit.StaffEmail != "op@example.com" || audit.Reason != "reshaped copy, not Trustly's" || !strings.Contains(string(audit.After), `"refused_notification_id":`) {
			t.Errorf("audit row %+v; want the operator's, with the note and the refused notification", audit)
		}
		if r := op.get(flaggedPath); r.has("refused") || !r.has("refused-empty") {
			t.Error("a resolved refused notification is still listed")
		}
		if r := op.get("/admin"); r.has("home-refused") {
			t.Errorf("home still counts it: %q", r.text("home-refused"))
		}
		if got := op.get(orderPath(o.ID)).text("refused-resolution"); !strings.Contains(got, "op@example.com") || !strings.Contains(got, "reshaped copy, not Trustly's") {
			t.Errorf("order page resolution %q; want who and the note", got)
		}
		op.submit(refusedResolvePath(999999), url.Values{"note": {"x"}}).wantStatus(http.StatusNotFound)

		deliver()
		r := op.get(flaggedPath)
		if len(r.byTestID("refused")) != 1 || r.text("refused-deliveries") != "3" || !strings.Contains(r.text("refused-resolution"), "op@example.com") ||
			!r.has("refused-resolve-form") {
			t.Errorf("redelivered: %d rows, %q deliveries, resolution %q; want it back with 3, the earlier resolution and a form",
				len(r.byTestID("refused")), r.text("refused-deliveries"), r.text("refused-resolution"))
		}
		if got := op.get("/admin").text("home-refused"); !strings.Contains(got, "1 notification refused for its data") {
			t.Errorf("home after the redelivery: %q; want it counted", got)
		}
	})
}
