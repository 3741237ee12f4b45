package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestPayoutApprovalCrashAfterCall: a staff member approves a payout of 6 000
// that waited for approval, and the cashier dies after Trustly carried out its
// AccountPayout and before anything was booked (payout.after_call), or while the
// call was on its way. Trustly has paid it. The approval is committed, so the
// payout is not offered for approval again; the janitor's resend under the same
// MessageID is answered 637 and Trustly's ledger shows it paid: sent, never
// released, paid once; its payoutconfirmation then confirms it. The player's
// money leaves the wallet once. Killed between the approval's commit and Trustly
// (its call never arrived), the same: approving again sends nothing, and the
// janitor's resend is the payout's one call, which Trustly carries out.
func TestPayoutApprovalCrashAfterCall(t *testing.T) {
	for _, how := range []string{"after the call", "during the call", "before Trustly saw the call"} {
		t.Run(how, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db, retryWhileHeld(t))
				op := e.admin()
				p := e.player("SE")
				acc := e.deposit(p, 10000)
				payout := e.awaitingApproval(p, acc.ID, 6000)
				e.wantMoney(p, 400000, 600000)
				e.hold.Store(true) // Trustly's notifications wait
				step := crashStep{Kind: "approve", PlayerID: p.ID, StaffID: op.ID, PayoutID: payout.ID}
				switch how {
				case "after the call":
					e.crash("payout.after_call", step)
				case "before Trustly saw the call":
					calls := e.holdCalls()
					child := e.crashChild("", step)
					select {
					case <-calls: // the approval is committed; Trustly has not seen the call
					case <-time.After(30 * time.Second):
						t.Fatal("the AccountPayout call never left the cashier")
					}
					child.Process.Kill()
					wantKilled(t, child, child.Wait())
					e.mu.Lock()
					e.before = nil
					e.mu.Unlock()
				default:
					answers := e.holdAnswers()
					child := e.crashChild("", step)
					select {
					case <-answers: // Trustly has carried the call out; its answer is held
					case <-time.After(30 * time.Second):
						t.Fatal("the AccountPayout call never reached Trustly")
					}
					child.Process.Kill()
					wantKilled(t, child, child.Wait())
					e.mu.Lock()
					e.held = nil
					e.mu.Unlock()
				}
				paid := 1
				if how == "before Trustly saw the call" {
					paid = 0
				}
				got := e.reload(payout)
				if got.ApprovedAt == nil || got.Status == models.OrderAwaitingApproval || e.sandboxPayouts(got.MessageID, p.Currency) != paid {
					t.Fatalf("after the crash: %s, approved %v, paid %d times; want approved, no longer waiting, paid %d times", got.Status,
						got.ApprovedAt, e.sandboxPayouts(got.MessageID, p.Currency), paid)
				}
				if _, err := e.svc.ApprovePayout(e.ctx, op, payout.ID, "again"); err != nil || e.apiCalls("AccountPayout") != 1 {
					t.Fatalf("approved again: %v, %d AccountPayout calls; want nothing sent again", err, e.apiCalls("AccountPayout"))
				}
				e.wantMoney(p, 400000, 600000)

				e.clock.Advance(3 * time.Minute)
				e.janitor() // resends under the same MessageID (637 but the first never arrived), then finds it in the ledger
				got = e.reload(payout)
				if got.SentAt == nil || got.ReleasedAt != nil || got.FailedAt != nil {
					t.Fatalf("after the janitor: %s, sent %v, released %v; want sent, never released", got.Status, got.SentAt, got.ReleasedAt)
				}
				if n := e.sandboxPayouts(got.MessageID, p.Currency); n != 1 {
					t.Errorf("the sandbox paid the payout %d times; want 1", n)
				}
				e.wantMoney(p, 400000, 0)

				e.hold.Store(false)
				e.waitStatus(payout, models.OrderConfirmed)
				e.sb.WaitIdle(t)
				e.clock.Advance(25 * time.Hour)
				e.janitor()
				if got := e.reload(payout); got.Status != models.OrderConfirmed || got.ReleasedAt != nil {
					t.Errorf("a day later: %s, released %v; want confirmed", got.Status, got.ReleasedAt)
				}
				e.wantMoney(p, 400000, 0)
			})
		})
	}
}
