package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestReviewDebitOnPayoutAnsweredFailed (review-a): a debit tells us to take the
// amount back from the player; OK means we did, FAILED that we could not (API.md
// §5.3). A debit on a payout order books nothing (it is flagged as unexpected),
// so it must be answered FAILED, not OK: Trustly would otherwise count the money
// as recovered from the player.
func TestReviewDebitOnPayoutAnsweredFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 250))
		if err != nil {
			t.Fatal(err)
		}
		got := e.waitStatus(order, models.OrderConfirmed)
		raw := e.forge(trustly.MethodDebit, got, p, map[string]any{"amount": got.Amount.String(),
			"currency": got.Amount.Currency, "attributes": map[string]any{}})
		answer, err := e.svc.HandleNotification(e.ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(answer), `"status":"FAILED"`) {
			t.Errorf("debit on a payout, nothing booked: answered %s, want FAILED", answer)
		}
		again := e.reload(order)
		if again.Status != models.OrderConfirmed || !strings.Contains(again.Flag, "unexpected debit notification") {
			t.Errorf("after the debit: %s %q, want confirmed and flagged", again.Status, again.Flag)
		}
		e.wantMoney(p, 75000, 0)
		// A redelivery gets the same answer.
		if again, err := e.svc.HandleNotification(e.ctx, raw); err != nil || string(again) != string(answer) {
			t.Errorf("redelivery answered %s, %v; want %s", again, err, answer)
		}
	})
}
