package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefundOtherAmountNotApplied: a deposit's one refund still waiting is of 500,
// and Trustly's payoutconfirmation or payoutfailed under the deposit's orderid
// names 300 (or 500 in another currency). Trustly carries out a Refund for the
// amount it asked, so that is not this refund's word, as it is not a payout's:
// it is flagged on the refund, linked to it, and applies nothing. A refund whose
// call had no known outcome stays reserved (the confirmation booked its 500 as
// sent and confirmed, on the word of a notification of 300), a sent one stays
// sent (payoutfailed of 300 made it failed), and the refund's own confirmation of
// 500 after it confirms it, unflagged by it. The player's wallet, the reservation
// and the ledger audit are exact throughout.
func TestRefundOtherAmountNotApplied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			name   string
			lost   bool // the Refund call never reached Trustly
			method string
			fields map[string]any
			// reserved is what stays reserved after the other amount's notification
			reserved int64
			status   models.OrderStatus
		}{
			{"confirmation of 300 on a refund whose outcome is unknown", true, trustly.MethodPayoutConfirmation, map[string]any{"amount": "300.00"}, 50000, models.OrderSending},
			{"payoutfailed of 300 on a refund whose outcome is unknown", true, trustly.MethodPayoutFailed, map[string]any{"amount": "300.00"}, 50000, models.OrderSending},
			{"confirmation in EUR on a refund whose outcome is unknown", true, trustly.MethodPayoutConfirmation, map[string]any{"amount": "500.00", "currency": "EUR"}, 50000, models.OrderSending},
			{"confirmation of 300 on a sent refund", false, trustly.MethodPayoutConfirmation, map[string]any{"amount": "300.00"}, 0, models.OrderSent},
			{"payoutfailed of 300 on a sent refund", false, trustly.MethodPayoutFailed, map[string]any{"amount": "300.00"}, 0, models.OrderSent},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := newPayEnv(t, db)
				fin := e.staff(staff.RoleFinance)
				p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
				e.deposit(p, 1000)
				dep := e.lastDeposit(p)
				e.sb.WaitIdle(t)
				e.hold.Store(true) // only the forged notifications below arrive
				var refund models.Order
				if tt.lost {
					refund = e.lostRefund(fin, dep, e.money(p, 500))
					e.wantMoney(p, 50000, 50000)
				} else {
					var err error
					if refund, err = e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 500), ""); err != nil || refund.Status != models.OrderSent {
						t.Fatalf("refund: %s, %v; want sent", refund.Status, err)
					}
					e.wantMoney(p, 50000, 0)
				}

				e.apply(e.forge(tt.method, e.reload(dep), p, tt.fields))
				got := e.reload(refund)
				if got.Status != tt.status || got.ConfirmedAt != nil || got.PayoutFailedAt != nil ||
					!strings.Contains(got.Flag, "not applied") {
					t.Errorf("after %s: %s, confirmed %v, failed %v, flag %q; want %s, neither, flagged not applied",
						tt.method, got.Status, got.ConfirmedAt, got.PayoutFailedAt, got.Flag, tt.status)
				}
				e.wantMoney(p, 50000, tt.reserved)
				var linked int64
				db.Model(&models.Notification{}).Where("order_id = ? AND method = ?", refund.ID, tt.method).Count(&linked)
				if linked != 1 {
					t.Errorf("%d %s notifications linked to the refund; want 1", linked, tt.method)
				}

				flag := got.Flag
				e.apply(e.forge(trustly.MethodPayoutConfirmation, e.reload(dep), p, map[string]any{"amount": "500.00"}))
				if got := e.reload(refund); got.Status != models.OrderConfirmed || got.Flag != flag {
					t.Errorf("after its own confirmation: %s, flag %q; want confirmed, flag still %q", got.Status, got.Flag, flag)
				}
				e.wantMoney(p, 50000, 0)
			})
		}
	})
}
