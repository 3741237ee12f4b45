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

// TestPayoutCancelAfterConfirmation: once the bank confirmed a payout
// (payoutconfirmation), a cancel does not give the money back, which would pay the
// player twice if the payout went out: it is flagged and nothing is booked; a
// credit after it returns the money once. The other way round ends the same: a
// payoutconfirmation after a cancel returned the money takes it back from the
// wallet, even below zero (the player is then blocked), with the same flag, and a
// credit after that returns it once more. Each notification is delivered twice.
func TestPayoutCancelAfterConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)

		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
		if err != nil || order.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", order.Status, err)
		}
		wallet -= 3000
		confirmation, cancel := e.forge(trustly.MethodPayoutConfirmation, order, p, nil), e.forge(trustly.MethodCancel, order, p, nil)
		for range 2 {
			e.apply(confirmation)
			e.apply(cancel)
		}
		got := e.reload(order)
		if got.ReturnedAt != nil || got.ConfirmedAt == nil || got.Status != models.OrderConfirmed || !strings.Contains(got.Flag, "payoutconfirmation and cancel both came") {
			t.Errorf("confirmation, then cancel: returned %v confirmed %v flag %q; want confirmed, nothing returned, flagged",
				got.ReturnedAt, got.ConfirmedAt, got.Flag)
		}
		e.wantMoney(p, wallet, 0)
		e.apply(e.forge(trustly.MethodCredit, order, p, nil))
		if got := e.reload(order); got.ReturnedAt == nil {
			t.Errorf("the credit after: returned %v; want the money back", got.ReturnedAt)
		}
		wallet += 3000
		e.wantMoney(p, wallet, 0)

		second, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 40))
		if err != nil || second.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", second.Status, err)
		}
		cancel, confirmation = e.forge(trustly.MethodCancel, second, p, nil), e.forge(trustly.MethodPayoutConfirmation, second, p, nil)
		for range 2 {
			e.apply(cancel)
			e.apply(confirmation)
		}
		got = e.reload(second)
		first := e.reload(order)
		if got.ReturnedAt != nil || got.Status != models.OrderConfirmed || got.Flag != first.Flag {
			t.Errorf("cancel, then confirmation: %s returned %v flag %q; want confirmed, taken back, flagged %q", got.Status, got.ReturnedAt, got.Flag, first.Flag)
		}
		wallet -= 4000
		e.wantMoney(p, wallet, 0)
		e.apply(e.forge(trustly.MethodCredit, second, p, nil))
		if got := e.reload(second); got.ReturnedAt == nil || got.Status != models.OrderFailed {
			t.Errorf("the credit after: %s returned %v; want failed, the money back", got.Status, got.ReturnedAt)
		}
		wallet += 4000
		e.wantMoney(p, wallet, 0)

		// The player spent the returned money before the confirmation came: it is
		// taken back all the same, and the wallet below zero blocks their payouts.
		third, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 50))
		if err != nil || third.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", third.Status, err)
		}
		e.apply(e.forge(trustly.MethodCancel, third, p, nil))
		spent, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 1000))
		if err != nil || spent.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", spent.Status, err)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, third, p, nil))
		e.wantMoney(p, -5000, 0)
		_, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10))
		wantProblem(t, err, "Your balance is below zero")
	})
}
