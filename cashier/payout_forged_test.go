package cashier_test

import (
	"fmt"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutMismatchBeforeOrderID: a payoutconfirmation or payoutfailed of another
// amount than the payout's, for a payout whose AccountPayout result was lost (no
// Trustly orderid known yet), is not its word (TestPayoutConfirmationMismatch): it
// books nothing, and it does not teach the payout its orderid either, or Trustly's
// genuine notifications under the real orderid would be kept as unknown: the
// payout never booked as sent, its returned money never back in the wallet.
func TestPayoutMismatchBeforeOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				lost, err := e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil {
					t.Fatal(err)
				}
				wallet -= 3000
				stray := lost
				stray.TrustlyOrderID = fmt.Sprintf("98%08d", lost.ID)
				e.apply(e.forge(method, stray, p, map[string]any{"amount": "25.00"}))
				if got := e.reload(lost); got.TrustlyOrderID != "" || got.SentAt != nil {
					t.Errorf("after a %s of 25.00: orderid %q, sent %v; want none learnt, not sent", method, got.TrustlyOrderID, got.SentAt)
				}
				genuine := lost
				genuine.TrustlyOrderID = fmt.Sprintf("99%08d", lost.ID)
				e.apply(e.forge(method, genuine, p, nil))
				got := e.reload(lost)
				if got.TrustlyOrderID != genuine.TrustlyOrderID || got.SentAt == nil {
					t.Errorf("after the genuine %s: orderid %q, sent %v; want %q, sent", method, got.TrustlyOrderID, got.SentAt, genuine.TrustlyOrderID)
				}
				e.wantMoney(p, wallet, 0)
				e.apply(e.forge(trustly.MethodCredit, genuine, p, nil))
				wallet += 3000
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}
