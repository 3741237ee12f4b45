package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestDailyVolumesUTCDays: the reports' days are UTC days, as the page says,
// whatever zone a transfer's time was written in: a credit at 23:59:59.999 UTC
// (00:59 the next day in Stockholm) counts on its UTC day and one at 00:00 UTC on
// the next; each currency sums apart, to the minor unit, and refunds and
// debits count neither as deposits nor as payouts. A currency that moved nothing
// in the range has no chart, though it moved money the day before (the query
// reads a day more on each side): it had a chart of zeros.
func TestDailyVolumesUTCDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer := e.staff(staff.RoleViewer)
		stockholm, err := time.LoadLocation("Europe/Stockholm")
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC) // the night before the clocks go forward
		n := 0
		post := func(kind string, currency string, minor int64, at time.Time) {
			t.Helper()
			n++
			clearing := -minor // a credit leaves clearing
			if kind == "send" {
				clearing = minor
			}
			ref := fmt.Sprintf("payout:%d:%s", 900000+n, kind)
			if kind == "credit" || kind == "debit" {
				ref = fmt.Sprintf("deposit:%d:%s", 900000+n, kind)
			}
			if kind == "refund" {
				ref = fmt.Sprintf("refund:%d:send", 900000+n)
			}
			if _, err := ledger.New(db).Post(e.ctx, models.Transfer{Reference: ref, Currency: currency, CreatedAt: at,
				Entries: []models.Entry{{Account: models.TrustlyClearing, Minor: clearing}, {Account: models.Adjustments, Minor: -clearing}}}); err != nil {
				t.Fatal(err)
			}
		}
		last := day.Add(24*time.Hour - time.Millisecond)
		post("credit", "SEK", 1, day)                          // the day's first instant
		post("credit", "SEK", 99999999999, last.In(stockholm)) // 00:59:59.999 in Stockholm, the next day there
		post("credit", "SEK", 7, day.Add(24*time.Hour).In(stockholm))
		post("credit", "EUR", 3, last)
		post("send", "SEK", 250, last.In(stockholm))
		post("send", "EUR", 11, day.Add(24*time.Hour))
		post("refund", "SEK", 5000, day.Add(time.Hour))
		post("debit", "SEK", -400, day.Add(2*time.Hour))      // sign aside, not a credit
		post("credit", "NOK", 13, day.Add(-time.Millisecond)) // the day before: outside the range

		got, err := e.svc.DailyVolumes(e.ctx, viewer, day, day.AddDate(0, 0, 2))
		if err != nil {
			t.Fatal(err)
		}
		type dayWant struct{ in, out int64 }
		want := map[string][]dayWant{"SEK": {{99999999999 + 1, 250}, {7, 0}}, "EUR": {{3, 0}, {0, 11}}}
		for cur, days := range want {
			vols := got[cur]
			if len(vols) != len(days) {
				t.Errorf("%s: %d days; want %d", cur, len(vols), len(days))
				continue
			}
			for i, w := range days {
				v := vols[i]
				if !v.Day.Equal(day.AddDate(0, 0, i)) || v.Day.Location() != time.UTC || v.Deposits != (models.Money{Minor: w.in, Currency: cur}) ||
					v.Payouts != (models.Money{Minor: w.out, Currency: cur}) {
					t.Errorf("%s day %d: %s %v in, %v out; want %s %d in, %d out", cur, i, v.Day, v.Deposits, v.Payouts,
						day.AddDate(0, 0, i).Format(time.DateOnly), w.in, w.out)
				}
			}
		}
		if nok, ok := got["NOK"]; ok || len(got) != 2 {
			t.Errorf("currencies %v, NOK %v; want SEK and EUR alone: NOK moved nothing in the range", len(got), nok)
		}
	})
}
