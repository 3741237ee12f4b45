package cashier_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// auditEvents lists the events of db's audit rows by m, oldest first.
func auditEvents(t *testing.T, db *gorm.DB, m staff.Member) []staff.Audit {
	t.Helper()
	var rows []staff.Audit
	if err := db.Where("staff_id = ?", m.ID).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestExportRecordedFirst: the export of the transactions, personal data, is in
// the audit before its first row leaves (a data.export_started row naming the
// export and the filter, there while the rows stream), and its outcome (rows,
// complete) after the last; when the first row cannot be written, nothing is
// exported. Where the only row was written at the end, a crash, a kill or a
// failing audit write there left the data out with no record of who took it.
func TestExportRecordedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		storetest.SeedOrders(t, db, "e-", 10, 3, 0)
		f := cashier.TxFilter{Currency: "SEK"}

		var rows, checked int
		err := r.svc.ExportTransactions(r.ctx, by, f, 2, func(b []cashier.TxRow) error {
			got := auditEvents(t, db, by)
			if len(got) != 1 || got[0].Event != staff.EventExportStarted ||
				!strings.Contains(got[0].After, `"export":"transactions.csv"`) || !strings.Contains(got[0].After, `"currency":"SEK"`) {
				t.Errorf("audit while rows go out: %+v; want one %s row naming transactions.csv and the filter", got, staff.EventExportStarted)
			}
			checked++
			rows += len(b)
			return nil
		})
		if err != nil || rows != 5 || checked != 3 {
			t.Fatalf("export: %d rows in %d batches, %v; want 5 in 3", rows, checked, err)
		}
		got := auditEvents(t, db, by)
		if len(got) != 2 || got[0].Event != staff.EventExportStarted || got[1].Event != staff.EventExported ||
			!strings.Contains(got[1].After, `"rows":5`) || !strings.Contains(got[1].After, `"complete":true`) {
			t.Fatalf("audit after the export: %+v; want %s, then %s with 5 rows, complete", got, staff.EventExportStarted, staff.EventExported)
		}

		storetest.RefuseInserts(t, db, "audits")
		called := false
		err = r.svc.ExportTransactions(r.ctx, by, f, 2, func([]cashier.TxRow) error {
			called = true
			return nil
		})
		if !errors.Is(err, cashier.ErrNotRecorded) || called {
			t.Errorf("export whose start cannot be recorded: %v, rows handed out %t; want ErrNotRecorded and none", err, called)
		}
	})
}

// TestReconcileRecordedFirst: a reconciliation run, which reads Trustly's
// AccountLedger, is in the audit before Trustly is asked (reports.reconcile_started,
// naming the currency and days), and its outcome after; when that first row
// cannot be written, Trustly is not asked.
func TestReconcileRecordedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		today := time.Now().UTC()
		from, to := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)

		if _, err := e.svc.Reconcile(e.ctx, fin, "SEK", from, to); err != nil {
			t.Fatal(err)
		}
		got := auditEvents(t, e.db, fin)
		if len(got) != 2 || got[0].Event != staff.EventReconcileStarted || got[1].Event != staff.EventReconciled ||
			!strings.Contains(got[0].After, `"currency":"SEK"`) || !strings.Contains(got[0].After, `"from":"`+from.Format(time.DateOnly)+`"`) ||
			!strings.Contains(got[1].After, `"complete":true`) {
			t.Fatalf("audit of a run: %+v; want %s of SEK from %s, then %s complete", got, staff.EventReconcileStarted,
				from.Format(time.DateOnly), staff.EventReconciled)
		}
		asked := e.apiCalls("AccountLedger")

		storetest.RefuseInserts(t, e.db, "audits")
		if _, err := e.svc.Reconcile(e.ctx, fin, "SEK", from, to); !errors.Is(err, cashier.ErrNotRecorded) {
			t.Errorf("run whose start cannot be recorded: %v; want ErrNotRecorded", err)
		}
		if n := e.apiCalls("AccountLedger"); n != asked {
			t.Errorf("AccountLedger asked %d times more for a run not recorded; want none", n-asked)
		}
	})
}
