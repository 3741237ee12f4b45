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

// Tests of a cashier killed (SIGKILL, a crash child) while it returns a
// refused deposit's held money to the payer, and started again: the return's
// order is committed and its Refund call was not made, or was made and its
// answer never recorded. A Refund has no MessageID, so the return is never sent
// again: the janitor marks it unknown (refundsUnknown) and GetWithdrawals
// settles it (checkRefunds), and the deposit follows it.

// crashReturn kills a crash child returning dep's held credit by by at failpoint
// fp, or, with fp "", while its Refund call's answer is held (Trustly carried it
// out); it returns the return the child made.
func (e *payEnv) crashReturn(fp string, by staff.Member, dep models.Order) models.Order {
	e.t.Helper()
	token := models.NewMessageID(models.OrderRefund)
	step := crashStep{Kind: "heldreturn", StaffID: by.ID, DepositID: dep.ID, Token: token}
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
	ret := e.byMessageID(token)
	if !ret.ReturnsHeld || ret.PlayerID != 0 || ret.ParentID != dep.ID || ret.Amount != (models.Money{Minor: 5000, Currency: "SEK"}) {
		e.t.Fatalf("return after the crash: %+v; want deposit %d's return of 50.00 SEK, nobody's", ret, dep.ID)
	}
	if ret.Status != models.OrderRequested || ret.SentAt != nil || ret.OutcomeUnknownAt != nil {
		e.t.Fatalf("return after the crash: %s, sent %v, unknown %v; want requested, no outcome recorded", ret.Status, ret.SentAt, ret.OutcomeUnknownAt)
	}
	// The same form sent again shows the return and calls nothing; another form
	// is refused while it is open.
	calls := e.apiCalls("Refund")
	again, err := e.svc.ReturnHeldOnce(e.ctx, by, dep.ID, token, "")
	if err != nil || again.ID != ret.ID {
		e.t.Errorf("the form sent again: return %d, %v; want return %d", again.ID, err, ret.ID)
	}
	_, err = e.svc.ReturnHeldOnce(e.ctx, by, dep.ID, models.NewMessageID(models.OrderRefund), "")
	wantProblem(e.t, err, "A return of this deposit's held money is under way already.")
	if n := e.apiCalls("Refund"); n != calls {
		e.t.Errorf("%d Refund calls after the forms; want %d", n, calls)
	}
	e.wantDeposit("after the crash", by, dep, models.OrderRefusedHeld, false)
	return ret
}

// wantReturns checks that deposit dep has returns in the statuses want, oldest
// first, and that Trustly carried out refunds of it.
func (e *payEnv) wantReturns(what string, dep models.Order, refunds int, want ...models.OrderStatus) {
	e.t.Helper()
	returns := e.returnsOf(dep)
	var got []models.OrderStatus
	for _, r := range returns {
		got = append(got, r.Status)
	}
	if len(got) != len(want) {
		e.t.Errorf("%s: returns %v; want %v", what, got, want)
	} else {
		for i := range got {
			if got[i] != want[i] {
				e.t.Errorf("%s: returns %v; want %v", what, got, want)
				break
			}
		}
	}
	if n := e.sandboxRefunds(dep); n != refunds {
		e.t.Errorf("%s: Trustly carried out %d refunds of the deposit; want %d", what, n, refunds)
	}
}

// TestHeldReturnCrashBeforeCall: the cashier dies after the return of held
// money is committed and before Refund is called (refund.before_call). Trustly
// never heard of it. The janitor marks it unknown once its call cannot be under
// way any more, never calls Refund for it, and GetWithdrawals, listing no refund
// a day after, makes it failed: the deposit is refused-held again, its return
// offered again, and a new return is sent and confirmed once. Nothing is booked.
func TestHeldReturnCrashBeforeCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		fin := e.staff(staff.RoleFinance)
		dep := e.refusedHeld()
		e.sb.WaitIdle(t)
		ret := e.crashReturn("refund.before_call", fin, dep)
		if n := e.apiCalls("Refund"); n != 0 {
			t.Fatalf("%d Refund calls before the crash; want none", n)
		}

		e.clock.Advance(time.Minute) // the call might still be on its way
		e.janitor()
		if got := e.reload(ret); got.OutcomeUnknownAt != nil {
			t.Errorf("a minute after the crash: outcome unknown at %v; want not yet marked", got.OutcomeUnknownAt)
		}
		e.clock.Advance(2 * time.Minute)
		e.janitor() // marks it unknown
		if got := e.reload(ret); got.OutcomeUnknownAt == nil || got.Status != models.OrderSending {
			t.Fatalf("three minutes after the crash: %s, unknown %v; want sending, outcome unknown", got.Status, got.OutcomeUnknownAt)
		}
		e.janitor() // asks GetWithdrawals, which lists nothing yet
		if got := e.reload(ret); got.Status != models.OrderSending || got.LedgerChecks == 0 {
			t.Errorf("after a check: %s, %d checks; want sending until a day after its call, checked", got.Status, got.LedgerChecks)
		}
		e.wantDeposit("unknown", fin, dep, models.OrderRefusedHeld, false)

		e.clock.Advance(cashier.RefundRefusedAfter)
		e.janitor()
		if got := e.reload(ret); got.Status != models.OrderFailed || got.ReleasedAt == nil {
			t.Fatalf("a day after the crash: %s, released %v; want failed, nothing returned", got.Status, got.ReleasedAt)
		}
		e.wantDeposit("refused a day later", fin, dep, models.OrderRefusedHeld, true)
		if n := e.apiCalls("Refund"); n != 0 {
			t.Errorf("%d Refund calls; want none: a return whose call has no outcome is never sent", n)
		}
		e.wantReturns("refused a day later", dep, 0, models.OrderFailed)

		// Returned again, once.
		again, err := e.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil || again.SentAt == nil {
			t.Fatalf("the return made again: %s, %v; want sent", again.Status, err)
		}
		e.waitStatus(again, models.OrderConfirmed)
		e.wantDeposit("returned", fin, dep, models.OrderRefusedReturned, false)
		e.janitor()
		e.wantReturns("returned", dep, 1, models.OrderFailed, models.OrderConfirmed)
		e.wantNothingBooked()
	})
}

// TestHeldReturnCrashAfterCall: the cashier dies after Trustly carried out the
// return's Refund and before its answer was recorded (refund.after_call), or
// while the answer was on its way. Trustly's notifications wait until the
// janitor has run. The janitor marks the return unknown and GetWithdrawals, which
// lists it, makes it sent without another Refund call: the deposit reads
// refused-returned. The payoutconfirmation then confirms it; a day later nothing
// changes. One refund at Trustly, one return; nothing is booked.
func TestHeldReturnCrashAfterCall(t *testing.T) {
	for _, fp := range []string{"refund.after_call", ""} {
		name := fp
		if name == "" {
			name = "during the call"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := pnpEnv(t, db, "pure", retryWhileHeld(t))
				fin := e.staff(staff.RoleFinance)
				dep := e.refusedHeld()
				e.sb.WaitIdle(t)
				e.hold.Store(true) // Trustly's notifications wait until the restart
				ret := e.crashReturn(fp, fin, dep)
				if n := e.apiCalls("Refund"); n != 1 {
					t.Fatalf("%d Refund calls before the crash; want 1", n)
				}
				e.wantReturns("after the crash", dep, 1, models.OrderRequested)

				e.clock.Advance(3 * time.Minute)
				e.janitor() // marks it unknown
				e.janitor() // GetWithdrawals lists it
				if got := e.reload(ret); got.Status != models.OrderSent || got.ReleasedAt != nil {
					t.Fatalf("after the janitor: %s, released %v; want sent: Trustly lists it", got.Status, got.ReleasedAt)
				}
				e.wantDeposit("listed by GetWithdrawals", fin, dep, models.OrderRefusedReturned, false)
				if n := e.apiCalls("Refund"); n != 1 {
					t.Errorf("%d Refund calls; want the one before the crash", n)
				}

				e.hold.Store(false)
				e.waitStatus(ret, models.OrderConfirmed)
				e.sb.WaitIdle(t)
				e.clock.Advance(cashier.RefundRefusedAfter)
				e.janitor()
				e.wantDeposit("confirmed", fin, dep, models.OrderRefusedReturned, false)
				e.wantReturns("confirmed", dep, 1, models.OrderConfirmed)
				if n := e.apiCalls("Refund"); n != 1 {
					t.Errorf("%d Refund calls; want 1", n)
				}
				e.wantNothingBooked()
			})
		})
	}
}
