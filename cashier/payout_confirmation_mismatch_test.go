package cashier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutConfirmationMismatch: a payoutconfirmation (or payoutfailed) of another
// currency or amount than the payout's is not its word, as a deposit's credit in
// another currency is not its credit: answered OK, flagged "not applied", and it
// confirms, fails and books nothing. A payout still sent stays sent and is
// confirmed by the genuine confirmation after it; one whose result was lost is not
// booked as sent on its word; one a cancel returned keeps its money in the wallet.
func TestPayoutConfirmationMismatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		for _, tt := range []struct {
			name   string
			method string
			fields map[string]any
			flag   string
		}{
			{"confirmation in another currency", trustly.MethodPayoutConfirmation, map[string]any{"currency": "EUR"},
				"payoutconfirmation of 30.00 EUR for a payout of 30.00 SEK: not applied"},
			{"confirmation of another amount", trustly.MethodPayoutConfirmation, map[string]any{"amount": "25.00"},
				"payoutconfirmation of 25.00 SEK for a payout of 30.00 SEK: not applied"},
			{"payoutfailed in another currency", trustly.MethodPayoutFailed, map[string]any{"currency": "EUR"},
				"payoutfailed of 30.00 EUR for a payout of 30.00 SEK: not applied"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				sent, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || sent.Status != models.OrderSent {
					t.Fatalf("request: %s, %v; want sent", sent.Status, err)
				}
				wallet -= 3000
				e.apply(e.forge(tt.method, sent, p, tt.fields))
				got := e.reload(sent)
				if got.Status != models.OrderSent || got.ConfirmedAt != nil || got.PayoutFailedAt != nil || got.Flag != tt.flag {
					t.Errorf("sent payout: %s confirmed %v failed %v flag %q; want still sent, flagged %q", got.Status, got.ConfirmedAt,
						got.PayoutFailedAt, got.Flag, tt.flag)
				}
				e.wantMoney(p, wallet, 0)
				e.apply(e.forge(trustly.MethodPayoutConfirmation, sent, p, nil))
				if got := e.reload(sent); got.Status != models.OrderConfirmed || got.Flag != tt.flag {
					t.Errorf("after the genuine confirmation: %s %q; want confirmed, flagged %q", got.Status, got.Flag, tt.flag)
				}
				e.wantMoney(p, wallet, 0)

				lost, err := e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil {
					t.Fatal(err)
				}
				wallet -= 3000
				lost.TrustlyOrderID = fmt.Sprintf("99%08d", lost.ID)
				e.apply(e.forge(tt.method, lost, p, tt.fields))
				if got := e.reload(lost); got.SentAt != nil || got.ConfirmedAt != nil || !strings.Contains(got.Flag, "not applied") {
					t.Errorf("payout whose result was lost: %s sent %v confirmed %v flag %q; want not sent, flagged", got.Status,
						got.SentAt, got.ConfirmedAt, got.Flag)
				}
				e.wantMoney(p, wallet, 3000)
				e.apply(e.forge(trustly.MethodCancel, lost, p, nil))
				wallet += 3000
				e.wantMoney(p, wallet, 0)

				cancelled, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || cancelled.Status != models.OrderSent {
					t.Fatalf("request: %s, %v; want sent", cancelled.Status, err)
				}
				e.apply(e.forge(trustly.MethodCancel, cancelled, p, nil))
				e.apply(e.forge(tt.method, cancelled, p, tt.fields))
				if got := e.reload(cancelled); got.Status != models.OrderCancelled || got.ConfirmedAt != nil || got.Flag != tt.flag {
					t.Errorf("payout a cancel returned: %s confirmed %v flag %q; want cancelled, flagged %q", got.Status, got.ConfirmedAt, got.Flag, tt.flag)
				}
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}
