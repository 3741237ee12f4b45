package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// Tests of a cashier killed (SIGKILL, a crash child) while a staff member
// refunds part of a credited deposit, and started again: the refund and its
// reservation are committed and its Refund call was not made, or was made and its
// answer never recorded. A Refund has no MessageID, so it is never sent again: the
// janitor marks it unknown and GetWithdrawals settles it, and the player's money
// moves once, as Trustly moved it.

// crashRefund kills a crash child refunding 300 of p's deposit dep by by at
// failpoint fp, or, with fp "", while its Refund call's answer is held (Trustly
// carried it out); it returns the refund the child made, reserved.
func (e *payEnv) crashRefund(fp string, by staff.Member, p models.Player, dep models.Order) models.Order {
	e.t.Helper()
	token := models.NewMessageID(models.OrderRefund)
	step := crashStep{Kind: "refund", StaffID: by.ID, PlayerID: p.ID, DepositID: dep.ID, Token: token, AmountMinor: 30000}
	if fp != "" {
		e.crash(fp, step)
	} else {
		answers := e.holdAnswers()
		child := e.crashChild("", step)
		select {
		case <-answers: // Trustly has carried the Refund out; its answer is held
		case <-time.After(30 * time.Second):
			e.t.Fatal("the Refund call never reached Trustly")
		}
		child.Process.Kill()
		wantKilled(e.t, child, child.Wait())
		e.mu.Lock()
		e.held = nil
		e.mu.Unlock()
	}
	refund := e.byMessageID(token)
	if refund.Kind != models.OrderRefund || refund.ParentID != dep.ID || refund.PlayerID != p.ID || refund.Amount != e.money(p, 300) {
		e.t.Fatalf("refund after the crash: %+v; want deposit %d's refund of 300.00 SEK", refund, dep.ID)
	}
	if refund.Status != models.OrderRequested || refund.SentAt != nil || refund.OutcomeUnknownAt != nil {
		e.t.Fatalf("refund after the crash: %s, sent %v, unknown %v; want requested, no outcome recorded", refund.Status, refund.SentAt, refund.OutcomeUnknownAt)
	}
	e.wantMoney(p, 70000, 30000)
	// The same form sent again shows the refund and calls nothing.
	calls := e.apiCalls("Refund")
	again, err := e.svc.RefundDepositOnce(e.ctx, by, dep.ID, token, e.money(p, 300), "crash test")
	if err != nil || again.ID != refund.ID {
		e.t.Errorf("the form sent again: refund %d, %v; want refund %d", again.ID, err, refund.ID)
	}
	if n := e.apiCalls("Refund"); n != calls {
		e.t.Errorf("%d Refund calls after the form sent again; want %d", n, calls)
	}
	e.wantMoney(p, 70000, 30000)
	return refund
}

// TestRefundCrashBeforeCall: the cashier dies after a refund of 300 of a 1 000
// deposit and its reservation are committed and before Refund is called
// (refund.before_call). Trustly never heard of it. The janitor marks it unknown once
// its call cannot be under way any more, never calls Refund for it, and
// GetWithdrawals, listing no refund a day after, makes it failed with the 300 back
// in the wallet; the 300 stays refundable, and a new refund of it is sent once.
func TestRefundCrashBeforeCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		refund := e.crashRefund("refund.before_call", fin, p, dep)
		if n := e.apiCalls("Refund"); n != 0 {
			t.Fatalf("%d Refund calls before the crash; want none", n)
		}
		if form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, ""); err != nil || form.Refundable != e.money(p, 700) {
			t.Errorf("refundable while the refund is unknown: %v, %v; want 700.00", form.Refundable, err)
		}

		e.clock.Advance(time.Minute) // the call might still be on its way
		e.janitor()
		if got := e.reload(refund); got.OutcomeUnknownAt != nil {
			t.Errorf("a minute after the crash: outcome unknown at %v; want not yet marked", got.OutcomeUnknownAt)
		}
		e.clock.Advance(2 * time.Minute)
		e.janitor() // marks it unknown
		e.janitor() // asks GetWithdrawals, which lists nothing yet
		if got := e.reload(refund); got.Status != models.OrderSending || got.OutcomeUnknownAt == nil || got.LedgerChecks == 0 {
			t.Fatalf("three minutes after the crash: %s, unknown %v, %d checks; want sending, unknown, checked", got.Status, got.OutcomeUnknownAt, got.LedgerChecks)
		}
		e.wantMoney(p, 70000, 30000)

		e.clock.Advance(cashier.RefundRefusedAfter)
		e.janitor()
		if got := e.reload(refund); got.Status != models.OrderFailed || got.ReleasedAt == nil {
			t.Fatalf("a day after the crash: %s, released %v; want failed, the money released", got.Status, got.ReleasedAt)
		}
		e.wantMoney(p, 100000, 0)
		if n := e.apiCalls("Refund"); n != 0 || e.sandboxRefunds(dep) != 0 {
			t.Errorf("%d Refund calls, %d refunds at Trustly; want none: a refund whose call has no outcome is never sent", n, e.sandboxRefunds(dep))
		}

		if form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, ""); err != nil || form.Refundable != e.money(p, 1000) {
			t.Errorf("refundable after the release: %v, %v; want 1 000.00", form.Refundable, err)
		}
		again, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "made again")
		if err != nil || again.SentAt == nil {
			t.Fatalf("the refund made again: %s, %v; want sent", again.Status, err)
		}
		e.waitStatus(again, models.OrderConfirmed)
		e.sb.WaitIdle(t)
		e.wantMoney(p, 70000, 0)
		if n := e.sandboxRefunds(dep); n != 1 {
			t.Errorf("%d refunds at Trustly; want 1", n)
		}
	})
}

// TestRefundCrashAfterCall: the cashier dies after Trustly carried out a refund
// of 300 and before its answer was recorded (refund.after_call), or while the
// answer was on its way. Trustly's notifications wait until the janitor has run.
// The janitor marks the refund unknown and GetWithdrawals, which lists it, books
// it as sent without another Refund call; Trustly's payoutconfirmation then
// confirms it, and a day later nothing is released. One refund at Trustly, the
// 300 out of the wallet once.
func TestRefundCrashAfterCall(t *testing.T) {
	for _, fp := range []string{"refund.after_call", ""} {
		name := fp
		if name == "" {
			name = "during the call"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db, retryWhileHeld(t))
				fin := e.staff(staff.RoleFinance)
				p := e.player("SE")
				e.deposit(p, 1000)
				dep := e.lastDeposit(p)
				e.sb.WaitIdle(t)
				e.hold.Store(true) // Trustly's notifications wait until the restart
				refund := e.crashRefund(fp, fin, p, dep)
				if n := e.apiCalls("Refund"); n != 1 || e.sandboxRefunds(dep) != 1 {
					t.Fatalf("%d Refund calls, %d refunds at Trustly before the crash; want 1 and 1", n, e.sandboxRefunds(dep))
				}

				e.clock.Advance(3 * time.Minute)
				e.janitor() // marks it unknown
				e.janitor() // GetWithdrawals lists it
				if got := e.reload(refund); got.Status != models.OrderSent || got.ReleasedAt != nil {
					t.Fatalf("after the janitor: %s, released %v; want sent: Trustly lists it", got.Status, got.ReleasedAt)
				}
				e.wantMoney(p, 70000, 0)

				e.hold.Store(false)
				e.waitStatus(refund, models.OrderConfirmed)
				e.sb.WaitIdle(t)
				e.clock.Advance(cashier.RefundRefusedAfter)
				e.janitor()
				if got := e.reload(refund); got.Status != models.OrderConfirmed || got.Flag != "" {
					t.Errorf("a day later: %s %q; want confirmed, unflagged", got.Status, got.Flag)
				}
				if d := e.reload(dep); d.Status != models.OrderCredited {
					t.Errorf("deposit: %s; want credited", d.Status)
				}
				e.wantMoney(p, 70000, 0)
				if n := e.apiCalls("Refund"); n != 1 || e.sandboxRefunds(dep) != 1 {
					t.Errorf("%d Refund calls, %d refunds at Trustly; want 1 and 1", n, e.sandboxRefunds(dep))
				}
				if form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, ""); err != nil || form.Refundable != e.money(p, 700) {
					t.Errorf("refundable: %v, %v; want 700.00", form.Refundable, err)
				}
			})
		})
	}
}

// TestRefundCheckCrash: the cashier dies while it asks GetWithdrawals about a
// refund whose outcome is unknown, after claiming the deposit's call
// (transfer_checks) and before counting the check on the refund (ledger_checks).
// Both are one transaction: neither is committed, no call was made, and the next
// run asks at once, counting the call on the deposit and the check on the refund
// together; committed alone, the claim would make the next run wait
// refundCheckEvery for a call that was never made.
func TestRefundCheckCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		refund := e.crashRefund("refund.before_call", fin, p, dep)
		e.clock.Advance(3 * time.Minute)
		e.janitor() // marks it unknown
		if got := e.reload(refund); got.OutcomeUnknownAt == nil || got.LedgerChecks != 0 {
			t.Fatalf("after the janitor: unknown %v, %d checks; want unknown, not checked yet", got.OutcomeUnknownAt, got.LedgerChecks)
		}

		e.crash("", crashStep{Kind: "resume", KillBefore: "ledger_checks"})
		d, r := e.reload(dep), e.reload(refund)
		if d.TransferChecks != 0 || d.TransferCheckedAt != nil || r.LedgerChecks != 0 || r.LedgerCheckedAt != nil {
			t.Errorf("after the crash: deposit %d calls (at %v), refund %d checks (at %v); want neither counted",
				d.TransferChecks, d.TransferCheckedAt, r.LedgerChecks, r.LedgerCheckedAt)
		}
		if n := e.apiCalls("GetWithdrawals"); n != 0 {
			t.Fatalf("%d GetWithdrawals calls before the restart; want none", n)
		}

		e.janitor() // the restarted cashier asks at once
		if n := e.apiCalls("GetWithdrawals"); n != 1 {
			t.Errorf("%d GetWithdrawals calls after the restart; want 1", n)
		}
		if d, r := e.reload(dep), e.reload(refund); d.TransferChecks != 1 || r.LedgerChecks != 1 {
			t.Errorf("after the restart: deposit %d calls, refund %d checks; want 1 and 1", d.TransferChecks, r.LedgerChecks)
		}
		if got := e.reload(refund); got.Status != models.OrderSending {
			t.Errorf("refund after the check: %s; want sending (Trustly lists nothing yet)", got.Status)
		}
		e.wantMoney(p, 70000, 30000)
	})
}
