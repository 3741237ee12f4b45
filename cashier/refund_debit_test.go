package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestDebitAfterRefundExplained: a deposit of 1 000 credited, 300 and 200 of it
// refunded and confirmed, and then debited in full by the bank: the debit is
// booked as Trustly says and answered OK, and the wallet ends 500 below zero, the
// 500 the payer got twice (the refunds, and the deposit the bank returned). The
// deposit's order page and both refunds' say so (OrderDetail.RefundedTwice). A
// credit of 200 under the deposit's orderid is that refund coming back: 300 is
// left twice, and the returned refund's page explains nothing; once the 300 comes
// back too, the wallet is at zero and no page explains anything. A debit of 500
// after a refund of 300 takes nothing twice.
func TestDebitAfterRefundExplained(t *testing.T) {
	type twiceWant struct{ Debited, Refunded, Twice int64 }
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin, viewer := e.staff(staff.RoleFinance), e.staff(staff.RoleViewer)
		twice := func(what string, o models.Order, want twiceWant) {
			t.Helper()
			d, err := e.svc.OrderDetail(e.ctx, viewer, o.ID)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got := d.RefundedTwice; got.Twice.Minor != want.Twice || (want.Twice != 0 && (got.Debited.Minor != want.Debited || got.Refunded.Minor != want.Refunded)) {
				t.Errorf("%s: refunded twice %+v; want debited %d, refunded %d, twice %d", what, got, want.Debited, want.Refunded, want.Twice)
			}
		}

		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		var refunds []models.Order
		for _, major := range []int64{300, 200} {
			refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, major), "asked by the player")
			if err != nil {
				t.Fatal(err)
			}
			e.waitStatus(refund, models.OrderConfirmed)
			refunds = append(refunds, refund)
		}
		e.sb.WaitIdle(t)
		twice("the deposit before the debit", dep, twiceWant{})
		e.apply(e.forge(trustly.MethodDebit, e.reload(dep), p, map[string]any{"amount": "1000.00", "currency": "SEK",
			"attributes": map[string]any{}}))
		if got := e.reload(dep); got.Status != models.OrderDebited {
			t.Fatalf("deposit after the debit: %s; want debited", got.Status)
		}
		e.wantMoney(p, -50000, 0)
		want := twiceWant{Debited: 100000, Refunded: 50000, Twice: 50000}
		twice("the debited deposit", dep, want)
		twice("its refund of 300", refunds[0], want)
		twice("its refund of 200", refunds[1], want)

		// The refund of 200 comes back from the bank.
		back := e.reload(dep)
		back.Amount = e.money(p, 200)
		e.apply(e.forge(trustly.MethodCredit, back, p, nil))
		if got := e.reload(refunds[1]); got.ReturnedAt == nil {
			t.Fatalf("refund of 200 after a credit of 200: %s, returned %v; want returned", got.Status, got.ReturnedAt)
		}
		e.wantMoney(p, -30000, 0)
		want = twiceWant{Debited: 100000, Refunded: 30000, Twice: 30000}
		twice("the debited deposit, a refund returned", dep, want)
		twice("its refund of 300", refunds[0], want)
		twice("its returned refund of 200", refunds[1], twiceWant{})

		// And so does the refund of 300.
		back.Amount = e.money(p, 300)
		e.apply(e.forge(trustly.MethodCredit, back, p, nil))
		e.wantMoney(p, 0, 0)
		twice("the debited deposit, both refunds returned", dep, twiceWant{})
		twice("its returned refund of 300", refunds[0], twiceWant{})

		q := e.player("SE")
		e.deposit(q, 1000)
		part := e.lastDeposit(q)
		e.sb.WaitIdle(t)
		small, err := e.svc.RefundDeposit(e.ctx, fin, part.ID, e.money(q, 300), "asked by the player")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(small, models.OrderConfirmed)
		e.sb.WaitIdle(t)
		e.apply(e.forge(trustly.MethodDebit, e.reload(part), q, map[string]any{"amount": "500.00", "currency": "SEK",
			"attributes": map[string]any{}}))
		e.wantMoney(q, 20000, 0)
		twice("a deposit debited 500 after a refund of 300", part, twiceWant{})
		twice("its refund", small, twiceWant{})
	})
}
