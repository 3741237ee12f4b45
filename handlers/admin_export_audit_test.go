package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestExportsAudited: downloading the transactions CSV, which holds every
// player's email, and running a reconciliation, which asks Trustly's
// AccountLedger, each leave an audit row saying who, when, which export or
// currency and days, the filter and how many rows went out, and the audit page
// lists it as it lists other actions; where nothing recorded who exported
// personal data.
func TestExportsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.DB = db }})
		fin, m := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
		storetest.SeedOrders(t, lv.DB, "x-", 9, 3, 0)

		body := fin.get("/admin/transactions.csv?kind=deposit&currency=SEK").wantStatus(http.StatusOK).Body
		records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		rows := len(records) - 1
		if rows != 2 {
			t.Fatalf("%d rows exported; want the 2 deposits in SEK", rows)
		}
		var exp []staff.Audit
		if err := lv.DB.Where("event = ?", staff.EventExported).Find(&exp).Error; err != nil {
			t.Fatal(err)
		}
		if len(exp) != 1 || exp[0].StaffID != m.ID || exp[0].StaffEmail != m.Email || exp[0].Role != staff.RoleFinance ||
			time.Since(exp[0].At) > time.Minute || exp[0].RequestID == "" {
			t.Fatalf("export audit rows %+v; want one, by %s, now, with the request id", exp, m.Email)
		}
		var after struct {
			Export   string
			Filter   map[string]any
			Rows     int
			Complete bool
		}
		if err := json.Unmarshal([]byte(exp[0].After), &after); err != nil {
			t.Fatalf("after %q: %v", exp[0].After, err)
		}
		if after.Export != "transactions.csv" || after.Rows != rows || !after.Complete ||
			after.Filter["kind"] != "deposit" || after.Filter["currency"] != "SEK" || len(after.Filter) != 2 {
			t.Errorf("export audit after %s; want transactions.csv, kind deposit and currency SEK alone, %d rows, complete", exp[0].After, rows)
		}

		today := time.Now().UTC().Format(time.DateOnly)
		fin.get("/admin/reports/reconciliation?" + url.Values{"currency": {"SEK"}, "from": {today}, "to": {today}}.Encode()).
			wantStatus(http.StatusOK)
		var rec []staff.Audit
		if err := lv.DB.Where("event = ?", staff.EventReconciled).Find(&rec).Error; err != nil {
			t.Fatal(err)
		}
		if len(rec) != 1 || rec[0].StaffID != m.ID || !strings.Contains(rec[0].After, `"currency":"SEK"`) ||
			!strings.Contains(rec[0].After, `"from":"`+today+`"`) || !strings.Contains(rec[0].After, `"complete":true`) {
			t.Errorf("reconciliation audit rows %+v; want one, by %s, of SEK from %s, complete", rec, m.Email, today)
		}

		for _, tt := range []struct {
			event staff.Event
			label string
		}{{staff.EventExportStarted, "Data export started"}, {staff.EventExported, "Data exported"},
			{staff.EventReconcileStarted, "Reconciliation started"}, {staff.EventReconciled, "Reconciliation run"}} {
			page := fin.get("/admin/audit?event=" + string(tt.event)).wantStatus(http.StatusOK)
			if got := page.byTestID("audit-row"); len(got) != 1 || page.text("audit-event") != tt.label ||
				!strings.Contains(page.text("audit-who"), m.Email) {
				t.Errorf("audit page of %s: %d rows, %q by %q; want one, %q by %s", tt.event, len(got),
					page.text("audit-event"), page.text("audit-who"), tt.label, m.Email)
			}
		}
	})
}

// TestReadsNotRecordedNotBegun: when the audit refuses the row that says who
// begins an export of the transactions, the staff member gets an error page
// saying why, not a CSV, and no row of it; when it refuses the row of a
// reconciliation run, the page says the run was not begun (and Trustly was not
// asked: TestReconcileRecordedFirst). Where the export's only row was written after the last one went out,
// the CSV went out whole with its audit failing at the end.
func TestReadsNotRecordedNotBegun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.DB = db }})
		fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
		storetest.SeedOrders(t, lv.DB, "x-", 9, 3, 0)
		storetest.RefuseInserts(t, lv.DB, "audits")

		page := fin.get("/admin/transactions.csv?kind=deposit").wantStatus(http.StatusServiceUnavailable)
		if ct := page.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/csv") || page.Header.Get("Content-Disposition") != "" ||
			strings.Contains(page.Body, "order_id") || strings.Contains(page.Body, "x-3") {
			t.Errorf("export not recorded: %s, %q; want an error page and no row\n%s", ct, page.Header.Get("Content-Disposition"), page.Body)
		}
		if msg := page.text("error-message"); !strings.Contains(msg, "could not be recorded in the audit") || !strings.Contains(msg, "nothing was exported") {
			t.Errorf("export not recorded: message %q; want it to say the audit failed and nothing was exported", msg)
		}

		today := time.Now().UTC().Format(time.DateOnly)
		page = fin.get("/admin/reports/reconciliation?" + url.Values{"currency": {"SEK"}, "from": {today}, "to": {today}}.Encode()).
			wantStatus(http.StatusServiceUnavailable)
		if msg := page.text("reconcile-problem"); !strings.Contains(msg, "could not be recorded in the audit") || page.has("reconcile-summary") {
			t.Errorf("run not recorded: problem %q, summary shown %t; want the audit named and no run", msg, page.has("reconcile-summary"))
		}
	})
}
