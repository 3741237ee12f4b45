package cashier_test

import (
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayout637: the first AccountPayout answer is lost after the sandbox handled
// the call, so the payout is sending; ResumePayouts resends it and gets 637, which
// proves only that the first call arrived. The payout is then "being checked",
// still reserved, and Trustly's AccountLedger settles it: a payout the sandbox
// refused ends failed with its money back in the wallet once, a day after its last
// call and never sooner; one it executed ends sent at the first check. Trustly's
// notifications are held back throughout, so only the ledger can tell. Two
// instances resume together, and still each call and each transfer happens once.
func TestPayout637(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			name     string
			scenario sandbox.Scenario
			status   models.OrderStatus
			wallet   int64 // after a deposit of 1 000.00 and a payout of 300.00
			executed int   // payouts in the sandbox's ledger
		}{
			{"refused", sandbox.ScenarioPayoutRejected, models.OrderFailed, 100000, 0},
			{"accepted", sandbox.ScenarioPayoutConfirmed, models.OrderSent, 70000, 1},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := newPayEnv(t, db, retryWhileHeld(t), func(c *sandbox.Config) { c.PayoutScenario = tt.scenario })
				p := e.player("SE")
				account := e.deposit(p, 1000)
				e.hold.Store(true)
				e.lose.Store(1)
				order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
				if err != nil || order.Status != models.OrderSending {
					t.Fatalf("answer lost: %s, %v; want sending", order.Status, err)
				}
				e.wantMoney(p, 70000, 30000)

				e.clock.Advance(3 * time.Minute)
				e.resumeTogether() // two instances, as after a restart
				if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 2 {
					t.Fatalf("PayoutCalls %d, want 2 (the lost call and the resend)", n)
				}
				got := e.reload(order)
				if got.CheckingAt == nil || got.LedgerChecks != 1 || e.apiCalls("AccountLedger") != 1 {
					t.Fatalf("after the 637: checking %v after %d ledger checks (%d calls); want checking after 1",
						got.CheckingAt, got.LedgerChecks, e.apiCalls("AccountLedger"))
				}
				if tt.status == models.OrderSent {
					if got.Status != models.OrderSent || got.TrustlyOrderID == "" || cashier.PayoutStateText(got) != cashier.PayoutTextOnItsWay {
						t.Fatalf("executed payout after the ledger check: %s %q %q; want sent with Trustly's orderid",
							got.Status, got.TrustlyOrderID, cashier.PayoutStateText(got))
					}
					e.wantMoney(p, tt.wallet, 0)
					e.hold.Store(false) // the payoutconfirmation now finds the order by Trustly's orderid
					e.waitStatus(order, models.OrderConfirmed)
				} else {
					for _, step := range []struct {
						advance time.Duration
						checks  int
					}{{10 * time.Minute, 1}, {5 * time.Minute, 2}, {cashier.PayoutRefusedAfter - 20*time.Minute, 3}} {
						if got.Status != models.OrderChecking || cashier.PayoutStateText(got) != cashier.PayoutTextChecking {
							t.Fatalf("unsettled: %s %q; want checking, %q", got.Status, cashier.PayoutStateText(got), cashier.PayoutTextChecking)
						}
						e.wantMoney(p, 70000, 30000)
						e.clock.Advance(step.advance)
						if err := e.svc.ResumePayouts(e.ctx); err != nil {
							t.Fatal(err)
						}
						got = e.reload(order)
						if got.LedgerChecks != step.checks {
							t.Fatalf("after +%s: %d ledger checks, want %d", step.advance, got.LedgerChecks, step.checks)
						}
					}
					// Five minutes short of PayoutRefusedAfter since the resend: not yet.
					if got.Status != models.OrderChecking {
						t.Fatalf("five minutes short of a day after the resend: %s; want checking", got.Status)
					}
					e.clock.Advance(15 * time.Minute)
					e.resumeTogether()
					got = e.reload(order)
					if got.Status != tt.status || got.ReleasedAt == nil || cashier.PayoutStateText(got) != cashier.PayoutTextNotSent || got.Flag != "" {
						t.Fatalf("refused payout: %s %q released %v flag %q; want failed, released", got.Status,
							cashier.PayoutStateText(got), got.ReleasedAt, got.Flag)
					}
				}
				e.hold.Store(false)
				for range 2 {
					e.clock.Advance(time.Hour)
					if err := e.svc.ResumePayouts(e.ctx); err != nil {
						t.Fatal(err)
					}
				}
				got = e.reload(order)
				if got.Status != tt.status && !(tt.status == models.OrderSent && got.Status == models.OrderConfirmed) {
					t.Errorf("in the end: %s, want %s", got.Status, tt.status)
				}
				e.wantMoney(p, tt.wallet, 0)
				var moves int64
				db.Model(&models.Transfer{}).Where("reference IN ?", []string{order.Reference("send"), order.Reference("release")}).Count(&moves)
				if moves != 1 {
					t.Errorf("%d send or release transfers, want exactly 1", moves)
				}
				if n, calls := e.sandboxPayouts(order.MessageID, "SEK"), e.sb.Sandbox.PayoutCalls(order.MessageID); n != tt.executed || calls != 2 {
					t.Errorf("the sandbox executed %d payouts after %d calls; want %d after 2", n, calls, tt.executed)
				}
			})
		}
	})
}

// resumeTogether runs ResumePayouts on two Services at the same moment.
func (e *payEnv) resumeTogether() {
	e.t.Helper()
	var wg sync.WaitGroup
	for _, svc := range []*cashier.Service{e.svc, e.service(nil)} {
		wg.Go(func() {
			if err := svc.ResumePayouts(e.ctx); err != nil {
				e.t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestPayoutUnsignedError: an unsigned error may not come from Trustly, so it
// leaves the outcome unknown and the money reserved, even though the sandbox
// accepted the payout; the notifications then prove it was sent.
func TestPayoutUnsignedError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, retryWhileHeld(t))
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true)
		e.unsigned.Store(1)
		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 200))
		if err != nil || order.Status != models.OrderSending || order.ReleasedAt != nil {
			t.Fatalf("unsigned error: %s released %v, %v; want sending and reserved", order.Status, order.ReleasedAt, err)
		}
		e.wantMoney(p, 80000, 20000)
		e.hold.Store(false)
		got := e.waitStatus(order, models.OrderConfirmed)
		if got.Flag != "" || got.ReleasedAt != nil {
			t.Errorf("flag %q released %v; want neither", got.Flag, got.ReleasedAt)
		}
		e.wantMoney(p, 80000, 0)
	})
}

// TestPayoutRefusedAfterSent: a notification proves the payout was sent while its
// AccountPayout answer, a signed refusal, is still on its way. The refusal cannot
// undo the sending: the payout stays sent, flagged, and nothing is released.
func TestPayoutRefusedAfterSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutRejected })
		p := e.player("SE")
		account := e.deposit(p, 1000)
		held := e.holdAnswers()
		done := make(chan error, 1)
		var order models.Order
		go func() {
			var err error
			order, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 200))
			done <- err
		}()
		answer := <-held
		var reserved models.Order
		if err := db.Where("kind = ? AND player_id = ?", models.OrderPayout, p.ID).Take(&reserved).Error; err != nil {
			t.Fatal(err)
		}
		reserved.TrustlyOrderID = answer.OrderID
		e.apply(e.forge(trustly.MethodPayoutConfirmation, reserved, p, nil))
		close(answer.Release)
		wantProblem(t, <-done, "Trustly could not send your payout")
		got := e.reload(order)
		if got.Status != models.OrderConfirmed || got.ReleasedAt != nil || got.FailedAt != nil || got.Flag == "" {
			t.Errorf("got %s released %v failed %v flag %q; want confirmed, flagged, nothing released",
				got.Status, got.ReleasedAt, got.FailedAt, got.Flag)
		}
		e.wantMoney(p, 80000, 0)
	})
}
