package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestReviewPayoutOtherEndUser (review-payout): a payout's notification naming
// another enduserid than the payout's player, whom AccountPayout named, is not
// about this player's money: a credit or a cancel must not put money into the
// wallet, nor a payoutconfirmation book anything, as a deposit's credit or debit
// naming another enduserid books nothing (notForDeposit). Each is flagged for
// staff; the genuine credit that follows returns the money once.
func TestReviewPayoutOtherEndUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		for _, method := range []string{trustly.MethodCredit, trustly.MethodCancel, trustly.MethodPayoutConfirmation} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || order.Status != models.OrderSent {
					t.Fatalf("request: %s, %v; want sent", order.Status, err)
				}
				wallet -= 3000
				e.apply(e.forge(method, order, p, map[string]any{"enduserid": "someone-else"}))
				got := e.reload(order)
				if got.Status != models.OrderSent || got.ReturnedAt != nil || got.ConfirmedAt != nil ||
					!strings.Contains(got.Flag, `names enduserid "someone-else"`) {
					t.Errorf("after a %s naming another enduserid: %s, returned %v, confirmed %v, flag %q; want still sent, flagged",
						method, got.Status, got.ReturnedAt, got.ConfirmedAt, got.Flag)
				}
				e.wantMoney(p, wallet, 0)
				e.apply(e.forge(trustly.MethodCredit, order, p, nil))
				if got := e.reload(order); got.ReturnedAt == nil {
					t.Errorf("after the genuine credit: %s, returned %v; want the money returned", got.Status, got.ReturnedAt)
				}
				wallet += 3000
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}
