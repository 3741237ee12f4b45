package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRealityCheckCountsPayoutsLeft: the reality check's withdrawals count what
// the payout approval window and the net deposit limits count of each payout
// (models.PayoutOutSQL): a payout the bank failed (payoutfailed) counts nothing,
// as there, although its money is out of the wallet until Trustly's credit gives
// it back (it counted whole here, and nothing there), a credit of less than the
// payout counts the rest, a whole credit or a cancel after the send counts
// nothing, a payout cancelled before it was sent counts nothing, and one waiting
// for approval counts whole (its money is reserved, out of the wallet).
func TestRealityCheckCountsPayoutsLeft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db) // SE: the reality check is on every hour
		p := e.player("SE")
		signedIn := e.clock.Now().Add(-2 * time.Hour)
		account := e.deposit(p, 20000)
		sent := func(major int64) models.Order {
			t.Helper()
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, major))
			if err != nil {
				t.Fatal(err)
			}
			return e.waitStatus(o, models.OrderConfirmed)
		}
		failed := sent(100)                                                           // payoutfailed, the credit still to come: 100 out of the wallet, none counted
		part := sent(200)                                                             // a credit of 40.00 back: 160 out
		back := sent(300)                                                             // payoutfailed, then the whole credit: nothing out
		confirmed := sent(400)                                                        // paid: 400 out
		cancelled, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000)) // waits for approval
		if err == nil {
			cancelled, err = e.svc.CancelPayout(e.ctx, p, cancelled.ID) // nothing out
		}
		if err != nil {
			t.Fatal(err)
		}
		e.awaitingApproval(p, account.ID, 5500) // reserved: 5 500 out
		// The bank's answers last: a payoutfailed marks the account, which no
		// payout is asked to after it.
		e.apply(e.forge(trustly.MethodPayoutFailed, failed, p, nil))
		e.apply(e.forge(trustly.MethodCredit, part, p, map[string]any{"amount": "40.00"}))
		e.apply(e.forge(trustly.MethodPayoutFailed, back, p, nil))
		e.apply(e.forge(trustly.MethodCredit, back, p, nil))
		for _, o := range []models.Order{failed, part, back} {
			if st := e.reload(o).Status; st != models.OrderFailed {
				t.Fatalf("payout %d %s; want failed", o.ID, st)
			}
		}
		if st := e.reload(confirmed).Status; st != models.OrderConfirmed {
			t.Fatalf("paid payout %s; want confirmed", st)
		}
		const out = (0 + 160 + 0 + 400 + 0 + 5500) * 100
		e.wantMoney(p, 2000000-out-10000, 550000)
		rc, err := e.svc.RealityCheck(e.ctx, p, signedIn, signedIn)
		if err != nil || !rc.Due || rc.Payouts.Minor != out || rc.Deposits.Minor != 2000000 || rc.Net.Minor != 2000000-out {
			t.Errorf("reality check %+v, %v; want due, deposits 20 000.00, withdrawals %d: as the approval window counts them", rc, err, out)
		}
		var window int64
		if err := db.Model(&models.Order{}).Select("COALESCE(SUM("+models.PayoutOutSQL+"), 0)").
			Where("player_id = ? AND kind = ?", p.ID, models.OrderPayout).Scan(&window).Error; err != nil || window != out {
			t.Errorf("approval window and net limits count %d, %v; want %d, as the reality check", window, err, out)
		}
	})
}

// TestRealityCheckCountsRetakenPayout: a payout a cancel returned, whose money the
// bank's payoutconfirmation after it took back, counts whole again, and a credit
// of less after that counts the rest: the reality check adds up every transfer
// of the payout back to and out of the wallet after the send (return, retake,
// return-again), not the cancel's return alone.
func TestRealityCheckCountsRetakenPayout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db) // SE: the reality check is on every hour
		p := e.player("SE")
		signedIn := e.clock.Now().Add(-2 * time.Hour)
		account := e.deposit(p, 2000)
		e.hold.Store(true) // only the forged notifications arrive
		o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 500))
		if err != nil || o.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", o.Status, err)
		}
		for _, step := range []struct {
			method string
			fields map[string]any
			out    int64 // withdrawals after it
		}{
			{trustly.MethodCancel, nil, 0},
			{trustly.MethodPayoutConfirmation, nil, 50000},
			{trustly.MethodCredit, map[string]any{"amount": "100.00"}, 40000},
		} {
			e.apply(e.forge(step.method, o, p, step.fields))
			e.wantMoney(p, 200000-step.out, 0)
			rc, err := e.svc.RealityCheck(e.ctx, p, signedIn, signedIn)
			if err != nil || rc.Payouts.Minor != step.out {
				t.Errorf("after the %s: reality check %+v, %v; want withdrawals %d", step.method, rc, err, step.out)
			}
		}
	})
}
