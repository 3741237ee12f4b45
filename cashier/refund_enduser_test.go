package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefundNotesOtherEndUser: Trustly notifies a refund under its deposit's
// orderid and messageid, naming the deposit's enduserid. A payoutconfirmation or
// credit that names another enduserid is not about this player's refund: it is
// flagged on the refund and applied to nothing (a credit would put the refund's
// money back in the wallet), as a payout's is; the genuine ones after it confirm
// the refund and return its money once.
func TestRefundNotesOtherEndUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notifications below arrive
		refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 400), "")
		if err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 60000, 0)
		other := models.Player{EndUserID: "someone-else"}
		fields := map[string]any{"amount": "400.00"}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, other, fields))
		e.apply(e.forge(trustly.MethodCredit, dep, other, fields))
		got := e.reload(refund)
		wantFlag := `credit names enduserid "someone-else", not the refunded deposit's player: not applied; ` +
			`payoutconfirmation names enduserid "someone-else", not the refunded deposit's player: not applied`
		if got.ConfirmedAt != nil || got.CreditedAt != nil || got.ReturnedAt != nil || got.Flag != wantFlag {
			t.Errorf("refund confirmed %v credited %v returned %v flag %q; want none of them, flagged %q", got.ConfirmedAt,
				got.CreditedAt, got.ReturnedAt, got.Flag, wantFlag)
		}
		e.wantMoney(p, 60000, 0)
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, fields))
		e.apply(e.forge(trustly.MethodCredit, dep, p, fields))
		if got := e.reload(refund); got.ConfirmedAt == nil || got.ReturnedAt == nil || got.Status != models.OrderFailed {
			t.Errorf("after the genuine notifications: %s confirmed %v returned %v; want failed, confirmed and returned", got.Status,
				got.ConfirmedAt, got.ReturnedAt)
		}
		e.wantMoney(p, 100000, 0)
	})
}
