package cashier_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestAwaitingApprovalCountStatements: the back office's home page counts the
// payouts waiting for approval with one statement on the orders, a COUNT, the
// same for one waiting payout as for twenty; it read every waiting payout and
// its bank account (PayoutsAwaitingApproval) only to take their number. A denied
// payout and one under the approval limit are not counted.
func TestAwaitingApprovalCountStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.ApprovalAbove = models.Money{Minor: 5000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		op, viewer := e.staff(staff.RoleOperator), e.staff(staff.RoleViewer)
		counter := countStatements(t, db)
		p := e.player("SE")
		e.deposit(p, 40000)
		account := e.deposit(p, 40000).ID
		request := func(amount int64) models.Order {
			t.Helper()
			o, err := e.svc.RequestPayout(e.ctx, p, account, e.money(p, amount))
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		if o := request(20); o.Status == models.OrderAwaitingApproval {
			t.Fatalf("a payout under the approval limit: %s", o.Status)
		} else {
			// The sandbox confirms it a moment later; its notification, applied in a
			// commit batch the count's own write may lead, would be counted as the
			// count's reading.
			e.waitStatus(o, models.OrderConfirmed)
		}
		denied := request(200)
		if _, err := e.svc.DenyPayout(e.ctx, op, denied.ID, "no"); err != nil {
			t.Fatal(err)
		}
		count := func(want int) []string {
			t.Helper()
			return counter.during(e.ctx, func(ctx context.Context) {
				n, err := e.svc.PayoutsAwaitingApprovalCount(ctx, viewer)
				if err != nil || n != want {
					t.Fatalf("count %d, %v; want %d", n, err, want)
				}
			})
		}
		for _, waiting := range []int{1, 20} {
			for range waiting - len(mustAwaiting(t, e, viewer)) {
				request(200)
			}
			sql := count(waiting)
			var orders []string
			for _, s := range sql {
				if strings.Contains(s, "orders") || strings.Contains(s, "bank_accounts") {
					orders = append(orders, s)
				}
			}
			if len(orders) != 1 || !strings.Contains(strings.ToUpper(orders[0]), "COUNT(") {
				t.Errorf("%d waiting: the count read %q; want one COUNT of the orders and nothing else of them", waiting, orders)
			}
		}
	})
}

// mustAwaiting is the queue of payouts waiting for approval, as the approvals
// page reads it.
func mustAwaiting(t *testing.T, e *payEnv, m staff.Member) []int64 {
	t.Helper()
	q, err := e.svc.PayoutsAwaitingApproval(e.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, 0, len(q))
	for _, p := range q {
		out = append(out, p.Order.ID)
	}
	return out
}
