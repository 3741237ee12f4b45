package handlers

import (
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
)

// BenchmarkAdminTransactions serves pages of the transactions list at a large
// orders table on SQLite (BENCH_ORDERS orders, default 1 000 000, seeded in one
// statement): the first page, filtered pages, a day alone and with a kind, a page
// half-way down a date range, the flagged orders and a search, each a whole
// request through the app, and the totals of one day (86 400 orders). The seeding
// time is reported once.
//
//	go test ./handlers -run '^$' -bench BenchmarkAdminTransactions -benchtime 200x
func BenchmarkAdminTransactions(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ORDERS")); err == nil && v > 0 {
		n = v
	}
	ta := newTestApp(b)
	start := time.Now()
	storetest.SeedOrders(b, ta.DB, "b-", n, 50_000, 0)
	b.Logf("seeded %d orders in %s", n, time.Since(start).Round(time.Millisecond))
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	// The cursor of order n/2 (created n/2 seconds after SeedStart) in a date range.
	deep := strconv.FormatInt(storetest.SeedStart.Add(time.Duration(n/2)*time.Second).UnixNano(), 10) + "_" + strconv.Itoa(n/2)
	for _, bm := range []struct{ name, path string }{
		{"first page", "/admin/transactions"},
		{"filtered page", "/admin/transactions?kind=payout&status=confirmed&currency=SEK"},
		{"filtered deep page", "/admin/transactions?kind=deposit&before=" + strconv.Itoa(n/2)},
		{"player", "/admin/transactions?player=4242"},
		{"flagged", "/admin/transactions?flagged=1"},
		{"search messageid", "/admin/transactions?q=b-777777"},
		{"search email", "/admin/transactions?q=viewer@example.com"},
		{"date range", "/admin/transactions?from=2026-01-05&to=2026-01-05"},
		{"date range of deposits", "/admin/transactions?from=2026-01-05&to=2026-01-05&kind=deposit"},
		{"date range deep page", "/admin/transactions?from=2026-01-01&before=" + deep},
		{"totals of a day", "/admin/transactions/totals?from=2026-01-05&to=2026-01-05"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			cl.get(bm.path).wantStatus(http.StatusOK)
			b.ResetTimer()
			for b.Loop() {
				if r := cl.get(bm.path); r.Status != http.StatusOK {
					b.Fatalf("%s: %d", bm.path, r.Status)
				}
			}
		})
	}
}
