package cashier_test

import (
	"fmt"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutNotificationWhileAwaitingApproval: a payout waiting for staff has not
// been sent to Trustly (no AccountPayout call, so Trustly cannot know its
// MessageID). A payoutconfirmation, payoutfailed, credit or cancel naming it
// contradicts that: it is flagged and applied to nothing, so it neither takes the
// player's money to Trustly without a transfer (a confirmation read "Paid out", a
// payoutfailed left the money waiting for a credit that never comes) nor decides
// the payout in place of staff; the payout keeps waiting, a member's denial gives
// the money back, and a member's approval sends it under the orderid Trustly's
// answer gives.
func TestPayoutNotificationWhileAwaitingApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		e.hold.Store(true) // only the forged notifications below arrive
		admin := e.admin()
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				order := e.awaitingApproval(p, account.ID, 6000)
				e.wantMoney(p, 1400000, 600000)
				order.TrustlyOrderID = fmt.Sprintf("97%08d", order.ID)
				e.apply(e.forge(method, order, p, nil))
				got := e.reload(order)
				wantFlag := fmt.Sprintf("a %s notification came for this payout while it waited for approval, before it was sent to Trustly: not applied, check it with Trustly", method)
				if got.Status != models.OrderAwaitingApproval || got.SentAt != nil || got.Flag != wantFlag {
					t.Errorf("payout %s sent %v flag %q; want awaiting-approval, not sent, flagged %q", got.Status, got.SentAt, got.Flag, wantFlag)
				}
				e.wantMoney(p, 1400000, 600000)
				var acc models.BankAccount
				if err := db.Take(&acc, account.ID).Error; err != nil {
					t.Fatal(err)
				}
				if acc.PayoutFailure != "" {
					t.Errorf("bank account marked %q; want usable", acc.PayoutFailure)
				}
				if method == trustly.MethodPayoutFailed || method == trustly.MethodCancel {
					if _, err := e.svc.DenyPayout(e.ctx, admin, order.ID, "not sent"); err != nil {
						t.Fatal(err)
					}
					e.wantMoney(p, 2000000, 0)
					return
				}
				// Approved, it is sent under Trustly's orderid from AccountPayout's
				// answer, not the one the notification named.
				sent, err := e.svc.ApprovePayout(e.ctx, admin, order.ID, "checked")
				if err != nil {
					t.Fatal(err)
				}
				if sent.Status != models.OrderSent || sent.TrustlyOrderID == "" || sent.TrustlyOrderID == order.TrustlyOrderID {
					t.Errorf("approved payout %s with Trustly orderid %q; want sent with AccountPayout's orderid, not %q", sent.Status,
						sent.TrustlyOrderID, order.TrustlyOrderID)
				}
				e.wantMoney(p, 1400000, 0)
				e.apply(e.forge(trustly.MethodCancel, sent, p, nil)) // give the money back for the next case
				e.wantMoney(p, 2000000, 0)
			})
		}
	})
}
