package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestReviewRefundConfirmationOvertakesAnswer (review-c): two refunds of one
// amount from one deposit. The first one's Refund call never reached Trustly (its
// outcome unknown); the second is accepted, and Trustly's payoutconfirmation for
// it arrives while its answer is still on its way, before the refund is booked as
// sent. The confirmation is the refund in flight's, not the older unknown one's:
// booked on the unknown one, both would end up sent (one by the confirmation, one
// by the answer) though Trustly carried out one, and the player would pay for
// two refunds with GetWithdrawals no longer able to tell.
func TestReviewRefundConfirmationOvertakesAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notification below arrives

		lost := e.lostRefund(fin, dep, e.money(p, 300))
		h, done := e.heldRefund(e.svc, e.holdAnswers(), fin, dep, e.money(p, 300))
		// Trustly's confirmation of the refund it accepted overtakes its answer.
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, map[string]any{"amount": "300.00"}))
		close(h.Release)
		r := <-done
		if r.err != nil || r.order.SentAt == nil {
			t.Fatalf("accepted: %s, %v; want sent", r.order.Status, r.err)
		}
		if l, s := e.reload(lost), e.reload(r.order); l.SentAt != nil || l.ConfirmedAt != nil || s.ConfirmedAt == nil {
			t.Errorf("confirmation applied to the unknown refund (sent %v, confirmed %v) instead of the one in flight (confirmed %v)",
				l.SentAt, l.ConfirmedAt, s.ConfirmedAt)
		}

		e.clock.Advance(cashier.RefundRefusedAfter + time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sandboxRefunds(dep); n != 1 {
			t.Fatalf("the sandbox executed %d refunds, want 1", n)
		}
		e.wantMoney(p, 70000, 0) // Trustly carried out one refund of 300.00
	})
}

// TestReviewRefundFormSentTwice (review-c): a Refund has no MessageID at
// Trustly, so a refund form sent twice (a double click, or the browser sending it
// again after the answer timed out while Trustly was slow) made two refunds, each
// reserved, sent and paid to the player's bank. The form's token (RefundForm.Token)
// makes the second sending return the first refund, with nothing reserved, sent or
// audited again.
func TestReviewRefundFormSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, "")
		if err != nil || form.Token == "" {
			t.Fatalf("refund form: token %q, %v", form.Token, err)
		}
		first, err := e.svc.RefundDepositOnce(e.ctx, fin, dep.ID, form.Token, e.money(p, 300), "goodwill")
		if err != nil || first.SentAt == nil {
			t.Fatalf("first sending: %s, %v; want sent", first.Status, err)
		}
		again, err := e.svc.RefundDepositOnce(e.ctx, fin, dep.ID, form.Token, e.money(p, 300), "goodwill")
		if err != nil || again.ID != first.ID {
			t.Fatalf("the form sent again: refund %d, %v; want refund %d as it stands", again.ID, err, first.ID)
		}
		if n := e.apiCalls("Refund"); n != 1 {
			t.Errorf("%d Refund calls; want 1", n)
		}
		var refunds, audits int64
		db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventRefund).Count(&audits)
		if refunds != 1 || audits != 1 {
			t.Errorf("%d refunds and %d audit rows; want 1 and 1", refunds, audits)
		}
		e.wantMoney(p, 70000, 0)

		// A token that is not a refund's, or is another order's, refunds nothing.
		for _, token := range []string{"not-a-token", dep.MessageID, "ref-0123456789abcdef0123456X"} {
			if _, err := e.svc.RefundDepositOnce(e.ctx, fin, dep.ID, token, e.money(p, 100), ""); err == nil {
				t.Errorf("token %q: refunded; want a problem", token)
			}
		}
		other := e.player("SE")
		e.deposit(other, 500)
		if _, err := e.svc.RefundDepositOnce(e.ctx, fin, e.lastDeposit(other).ID, form.Token, e.money(other, 100), ""); err == nil {
			t.Error("another deposit refunded with this deposit's refund token; want a problem")
		}
		if n := e.apiCalls("Refund"); n != 1 {
			t.Errorf("%d Refund calls; want 1", n)
		}
	})
}

// TestRefundConfirmationPrefersAccepted: two refunds of one amount from one
// deposit, the older one's Refund call still in flight and the newer one accepted.
// Trustly's payoutconfirmation arriving then is the accepted refund's: the one in
// flight may never reach Trustly. Booked on the one in flight, a confirmation would
// stand on a refund Trustly may not have, while the refund it carried out waits.
func TestRefundConfirmationPrefersAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notifications below arrive

		answers := e.holdAnswers()
		flight, flightDone := e.heldRefund(e.svc, answers, fin, dep, e.money(p, 300))
		h, sentDone := e.heldRefund(e.svc, answers, fin, dep, e.money(p, 300))
		close(h.Release)
		sent := <-sentDone
		if sent.err != nil || sent.order.SentAt == nil {
			t.Fatalf("accepted: %s, %v; want sent", sent.order.Status, sent.err)
		}

		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, map[string]any{"amount": "300.00"}))
		var inFlight models.Order
		if err := db.Where("parent_id = ? AND kind = ? AND id <> ?", dep.ID, models.OrderRefund, sent.order.ID).Take(&inFlight).Error; err != nil {
			t.Fatal(err)
		}
		if s := e.reload(sent.order); inFlight.ConfirmedAt != nil || s.ConfirmedAt == nil {
			t.Errorf("confirmation applied to the refund in flight (confirmed %v) instead of the accepted one (confirmed %v)",
				inFlight.ConfirmedAt, s.ConfirmedAt)
		}

		close(flight.Release)
		if r := <-flightDone; r.err != nil || r.order.SentAt == nil || r.order.ConfirmedAt != nil {
			t.Fatalf("the refund in flight: %s, confirmed %v, %v; want sent, not confirmed", r.order.Status, r.order.ConfirmedAt, r.err)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, map[string]any{"amount": "300.00"}))
		if r := e.reload(inFlight); r.ConfirmedAt == nil {
			t.Error("the second confirmation was not booked on the refund in flight")
		}
		e.wantMoney(p, 40000, 0) // two refunds of 300.00
	})
}
