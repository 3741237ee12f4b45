package cashier_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefundConfirmedAfterRelease: a refund of 300 whose Refund call had no
// known outcome, and which GetWithdrawals still did not list a day after the
// call, was taken as refused and its money released to the wallet. Then Trustly's
// payoutconfirmation for 300 comes under the deposit's orderid, late: Trustly did
// carry it out, and the payer has the 300 back while the wallet has it too.
// Nothing can be booked (the reservation is gone) and the answer is OK; the
// refund itself is flagged, saying so, and the notification is linked to it, on
// its page; the deposit is not told that the confirmation matches none of its
// refunds, which sent staff looking for a refund that does not exist. A
// confirmation of 250, which is no refund's, still flags the deposit so.
func TestRefundConfirmedAfterRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		lost := e.lostRefund(fin, dep, e.money(p, 300))
		e.clock.Advance(cashier.RefundRefusedAfter + time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(lost); got.ReleasedAt == nil || got.Status != models.OrderFailed {
			t.Fatalf("a day after: %s, released %v; want failed, released", got.Status, got.ReleasedAt)
		}
		e.wantMoney(p, 100000, 0)

		e.apply(e.forge(trustly.MethodPayoutConfirmation, e.reload(dep), p, map[string]any{"amount": "300.00"}))
		e.wantMoney(p, 100000, 0)
		got := e.reload(lost)
		if !strings.Contains(got.Flag, "payoutconfirmation for 300.00 SEK came after this refund was released") || got.ConfirmedAt != nil {
			t.Errorf("released refund after the late confirmation: flag %q, confirmed %v; want flagged, not confirmed", got.Flag, got.ConfirmedAt)
		}
		if d := e.reload(dep); d.Flag != "" {
			t.Errorf("deposit flag %q; want none: the confirmation is its released refund's", d.Flag)
		}
		var linked int64
		db.Model(&models.Notification{}).Where("order_id = ? AND method = ?", lost.ID, trustly.MethodPayoutConfirmation).Count(&linked)
		if linked != 1 {
			t.Errorf("%d payoutconfirmations linked to the refund; want 1", linked)
		}

		// A confirmation of another amount is not the released refund's.
		e.apply(e.forge(trustly.MethodPayoutConfirmation, e.reload(dep), p, map[string]any{"amount": "250.00"}))
		e.wantMoney(p, 100000, 0)
		if again := e.reload(lost); again.Flag != got.Flag {
			t.Errorf("released refund after a confirmation of 250: flag %q; want still %q", again.Flag, got.Flag)
		}
		if d := e.reload(dep); !strings.Contains(d.Flag, "payoutconfirmation for 250.00 SEK matches none of this deposit's refunds") {
			t.Errorf("deposit flag %q; want the confirmation of 250 matching none of its refunds", d.Flag)
		}
	})
}

// TestRefundConfirmedAfterReleaseBesideAnother: as TestRefundConfirmedAfterRelease,
// with a refund of 200 made after the release and still waiting for its
// confirmation. The late confirmation of 300 is the released refund of 300's, not
// the one refund still waiting, whatever its amount: that fallback is for a
// confirmation whose amount fits no refund, and took it for the refund of 200,
// confirmed it with an amount-differs flag and left the release unexplained. The
// refund of 200 is confirmed by its own confirmation, unflagged.
func TestRefundConfirmedAfterReleaseBesideAnother(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		lost := e.lostRefund(fin, dep, e.money(p, 300))
		e.clock.Advance(cashier.RefundRefusedAfter + time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(lost); got.ReleasedAt == nil {
			t.Fatalf("a day after: %s, released %v; want released", got.Status, got.ReleasedAt)
		}
		e.hold.Store(true) // only the forged notifications below arrive
		sent, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 200), "")
		if err != nil || sent.Status != models.OrderSent {
			t.Fatalf("refund of 200: %s, %v; want sent", sent.Status, err)
		}
		e.wantMoney(p, 80000, 0)

		e.apply(e.forge(trustly.MethodPayoutConfirmation, e.reload(dep), p, map[string]any{"amount": "300.00"}))
		if got := e.reload(lost); !strings.Contains(got.Flag, "payoutconfirmation for 300.00 SEK came after this refund was released") {
			t.Errorf("released refund of 300: flag %q; want flagged after its release", got.Flag)
		}
		if got := e.reload(sent); got.ConfirmedAt != nil || got.Flag != "" {
			t.Errorf("refund of 200 after the confirmation of 300: confirmed %v, flag %q; want neither", got.ConfirmedAt, got.Flag)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, e.reload(dep), p, map[string]any{"amount": "200.00"}))
		if got := e.reload(sent); got.Status != models.OrderConfirmed || got.Flag != "" {
			t.Errorf("refund of 200 after its confirmation: %s, flag %q; want confirmed, unflagged", got.Status, got.Flag)
		}
		if d := e.reload(dep); d.Flag != "" {
			t.Errorf("deposit flag %q; want none", d.Flag)
		}
		e.wantMoney(p, 80000, 0)
	})
}
