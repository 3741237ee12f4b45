package cashier_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutRefusedCallNotified: Trustly refused a payout's first AccountPayout
// call, in a signed error (the sandbox's 620 for an AccountID it does not know)
// or in a signed result "0", so Trustly has no such payout and its reservation
// went back to the wallet. A payoutconfirmation, payoutfailed, credit or cancel
// for its messageid afterwards, signed as Trustly signs, is not the bank's word
// on it: each is answered OK, flagged for staff, and applied to nothing: the
// player's bank account stays usable (a payoutfailed marked it failed, so that
// the player could no longer pay out to it), the payout keeps its state and
// learns no orderid, and the money is in the wallet once. A copy under a new
// notificationid changes nothing more.
func TestPayoutRefusedCallNotified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		for _, refusal := range []string{"signed error", "result 0"} {
			for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
				t.Run(refusal+"/"+method, func(t *testing.T) {
					e.t = t
					svc, reason := e.svc, "AccountPayout error 620"
					if refusal == "result 0" {
						svc, reason = e.scenario(sandbox.ScenarioPayoutRejected), "AccountPayout refused (result 0)"
					} else {
						// An AccountID the sandbox does not know: it answers a signed 620.
						if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("account_id", "9999999999").Error; err != nil {
							t.Fatal(err)
						}
					}
					_, err := svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
					if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("account_id", account.AccountID).Error; err != nil {
						t.Fatal(err)
					}
					wantProblem(t, err, "Trustly could not send your payout")
					var refused models.Order
					if err := db.Where("kind = ? AND player_id = ?", models.OrderPayout, p.ID).Order("id DESC").Take(&refused).Error; err != nil {
						t.Fatal(err)
					}
					if refused.Status != models.OrderFailed || refused.ReleasedAt == nil || !strings.HasPrefix(refused.Reason, reason) {
						t.Fatalf("refused payout: %s, released %v, reason %q; want failed, released, %q", refused.Status, refused.ReleasedAt, refused.Reason, reason)
					}
					e.wantMoney(p, 100000, 0)

					forged := refused
					forged.TrustlyOrderID = fmt.Sprintf("97%08d", refused.ID) // Trustly gave it none
					e.apply(e.forge(method, forged, p, nil))
					e.apply(e.forge(method, forged, p, nil))
					got := e.reload(refused)
					if got.Status != models.OrderFailed || got.TrustlyOrderID != "" || got.SentAt != nil || got.ConfirmedAt != nil ||
						got.PayoutFailedAt != nil || got.CreditedAt != nil || got.CancelledAt != nil || got.Reason != refused.Reason {
						t.Errorf("after the %s: %s, orderid %q, sent %v, confirmed %v, failed %v, credited %v, cancelled %v, reason %q; want as refused, nothing applied or learnt",
							method, got.Status, got.TrustlyOrderID, got.SentAt, got.ConfirmedAt, got.PayoutFailedAt, got.CreditedAt, got.CancelledAt, got.Reason)
					}
					if want := "after Trustly refused its AccountPayout call"; !strings.Contains(got.Flag, want) || !strings.Contains(got.Flag, "released") {
						t.Errorf("flag %q; want one saying %q", got.Flag, want)
					}
					if cashier.PayoutStateText(got) != cashier.PayoutTextNotSent {
						t.Errorf("the player reads %q; want %q", cashier.PayoutStateText(got), cashier.PayoutTextNotSent)
					}
					var acc models.BankAccount
					if err := db.Take(&acc, account.ID).Error; err != nil || acc.PayoutFailure != "" {
						t.Errorf("bank account marked %q (%v); want usable", acc.PayoutFailure, err)
						db.Model(&acc).Update("payout_failure", "")
					}
					e.wantMoney(p, 100000, 0)
					e.wantBookedOnce(got)
				})
			}
		}
	})
}

// TestPayoutConfirmedAfterJanitorRefused: the sandbox executes a payout whose
// AccountPayout answer is lost; the resend gets 637, and the AccountLedger the
// janitor asks has no row for it (our clock runs ahead of Trustly's, so the dates
// asked miss the row's; in production, a row Trustly does not list yet), so the
// janitor takes the payout as refused a day after its last call and gives the
// money back. Then Trustly's
// notifications come. The bank's payoutconfirmation, the sandbox's own, is the
// stronger word (a ledger row missing is our inference; a confirmation names the
// payout, its player and amount, and Trustly sends none for a payout it refused):
// as after a cancel (payoutRetaken), the money the janitor gave back is taken
// back, the payout reads confirmed with Trustly's orderid and says why, and a
// credit after it gives the money back once more. A credit, or a payoutfailed,
// before the confirmation says the money came (or comes) back: the confirmation
// then takes nothing. Nothing is ever booked twice.
func TestPayoutConfirmedAfterJanitorRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			name   string
			forged []string // the notifications that come, in order; none: the sandbox's own
			wallet int64    // after them
			status models.OrderStatus
		}{
			{"sandbox's confirmation", nil, 70000, models.OrderConfirmed},
			{"confirmation then credit", []string{trustly.MethodPayoutConfirmation, trustly.MethodCredit}, 100000, models.OrderFailed},
			{"credit then confirmation", []string{trustly.MethodCredit, trustly.MethodPayoutConfirmation}, 100000, models.OrderFailed},
			{"payoutfailed then confirmation", []string{trustly.MethodPayoutFailed, trustly.MethodPayoutConfirmation}, 100000, models.OrderFailed},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := newPayEnv(t, db, retryWhileHeld(t), func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutConfirmed })
				p := e.player("SE")
				account := e.deposit(p, 1000)
				// Our clock runs two days ahead of Trustly's, so the AccountLedger the
				// janitor asks misses the day the payout's row is on.
				e.clock.Advance(48 * time.Hour)
				order := e.checkingPayout(p, account)
				e.clock.Advance(cashier.PayoutRefusedAfter)
				if err := e.svc.ResumePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
				released := e.reload(order)
				if released.Status != models.OrderFailed || released.ReleasedAt == nil || released.FailedAt == nil {
					t.Fatalf("after the janitor: %s, released %v; want failed, released", released.Status, released.ReleasedAt)
				}
				e.wantMoney(p, 100000, 0)
				if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 {
					t.Fatalf("the sandbox executed %d payouts; want 1", n)
				}

				released.TrustlyOrderID = e.sandboxOrderID(order.MessageID, "SEK") // what Trustly's notifications name
				if tt.forged == nil {
					e.hold.Store(false)
					e.waitFor("the sandbox's payoutconfirmation", func() bool { return e.reload(order).ConfirmedAt != nil })
				} else {
					for _, m := range tt.forged {
						e.apply(e.forge(m, released, p, nil))
					}
				}
				got := e.reload(order)
				if got.Status != tt.status {
					t.Errorf("status %s; want %s", got.Status, tt.status)
				}
				e.wantMoney(p, tt.wallet, 0)
				e.wantBookedOnce(got)
				if tt.forged == nil {
					if got.SentAt == nil || got.ReleasedAt != nil || got.FailedAt != nil || got.TrustlyOrderID == "" ||
						!strings.Contains(got.Flag, "taken back") || cashier.PayoutStateText(got) != cashier.PayoutTextPaid {
						t.Errorf("sent %v, released %v, failed %v, orderid %q, flag %q, the player reads %q; want sent, not released or failed, Trustly's orderid, flagged, %q",
							got.SentAt, got.ReleasedAt, got.FailedAt, got.TrustlyOrderID, got.Flag, cashier.PayoutStateText(got), cashier.PayoutTextPaid)
					}
					// A copy under a new notificationid takes nothing more; the bank's
					// credit gives the money back once more.
					e.apply(e.forge(trustly.MethodPayoutConfirmation, got, p, nil))
					e.wantMoney(p, 70000, 0)
					e.apply(e.forge(trustly.MethodCredit, got, p, nil))
					e.apply(e.forge(trustly.MethodCredit, got, p, nil))
					if got := e.reload(order); got.Status != models.OrderFailed || got.ReturnedAt == nil {
						t.Errorf("after the credit: %s, returned %v; want failed, returned", got.Status, got.ReturnedAt)
					}
					e.wantMoney(p, 100000, 0)
					e.wantBookedOnce(e.reload(order))
				}
			})
		}
	})
}

// sandboxOrderID is the orderid the sandbox gave the payout it executed for
// messageID, from its AccountLedger.
func (e *payEnv) sandboxOrderID(messageID, currency string) string {
	e.t.Helper()
	day := e.clock.Now().UTC()
	rows, err := e.sb.Client(e.t).AccountLedger(e.ctx, trustly.AccountLedgerParams{FromDate: day.AddDate(0, 0, -5).Format(time.DateOnly),
		ToDate: day.AddDate(0, 0, 2).Format(time.DateOnly), Currency: currency})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		if r.MessageID == messageID {
			return r.OrderID
		}
	}
	e.t.Fatalf("no ledger row for %s", messageID)
	return ""
}
