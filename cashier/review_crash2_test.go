package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Tests of a cashier killed (SIGKILL, a real process: crashChild) after a money
// path committed its order row and before, during or right after its Trustly
// call, and started again: the player sends the same form again (same token) or a
// new one, the janitor comes by, and Trustly's notifications about what it did
// receive arrive.

// TestReviewCrashPayoutAfterReserve: the cashier dies after the payout and its
// reservation are committed and before AccountPayout is called
// (payout.after_reserve).
//
// (a) The same form sent again shows the payout, calls Trustly for nothing and
// reserves nothing more. (b) A new form makes a new payout, sent at once. (c) The
// janitor sends the first under its own MessageID, once; the sandbox pays each
// payout once.
func TestReviewCrashPayoutAfterReserve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		acc := e.deposit(p, 1000)
		token := models.NewMessageID(models.OrderPayout)
		e.crash("payout.after_reserve", crashStep{Kind: "payout", PlayerID: p.ID, AccountID: acc.ID, Token: token, AmountMinor: 30000})
		orphan := e.byMessageID(token)
		if orphan.Status != models.OrderRequested || e.apiCalls("AccountPayout") != 0 {
			t.Fatalf("after the crash: %s, %d AccountPayout calls; want requested, none", orphan.Status, e.apiCalls("AccountPayout"))
		}
		e.wantMoney(p, 70000, 30000)

		// (a)
		again, err := e.svc.RequestPayoutOnce(e.ctx, p, token, acc.ID, e.money(p, 300))
		if err != nil || again.ID != orphan.ID {
			t.Fatalf("the form sent again: payout %d, %v; want payout %d", again.ID, err, orphan.ID)
		}
		if got := cashier.PayoutStateText(again); got != cashier.PayoutTextSending {
			t.Errorf("the form sent again shows %q; want %q", got, cashier.PayoutTextSending)
		}
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Errorf("%d AccountPayout calls after the form sent again; want none (the janitor sends it)", n)
		}
		e.wantMoney(p, 70000, 30000)

		// (b)
		fresh, err := e.svc.RequestPayoutOnce(e.ctx, p, models.NewMessageID(models.OrderPayout), acc.ID, e.money(p, 200))
		if err != nil || fresh.SentAt == nil {
			t.Fatalf("a new form: %s, %v; want sent", fresh.Status, err)
		}
		e.wantMoney(p, 50000, 30000)

		// (c) Not before resumeAfter: the call might still be on its way.
		e.janitor()
		if n := e.apiCalls("AccountPayout"); n != 1 {
			t.Errorf("%d AccountPayout calls right after the restart; want 1 (the new form's)", n)
		}
		e.clock.Advance(3 * time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.SentAt == nil || got.Attempts != 2 {
			t.Errorf("after the janitor: %s, attempts %d; want sent on the second attempt", got.Status, got.Attempts)
		}
		e.janitor()
		if n := e.sandboxPayouts(token, p.Currency); n != 1 {
			t.Errorf("the sandbox paid the payout %d times; want 1", n)
		}
		e.wantMoney(p, 50000, 0)
	})
}

// TestReviewCrashPayoutAfterCall: the cashier dies after Trustly accepted the
// payout and before anything was booked (payout.after_call), or while its call
// was on its way (killed with its answer held). Trustly has it and paid it.
//
// (a) The same form sent again shows it, and sends nothing. (c) The janitor's
// resend is answered 637, which leaves it checking, still reserved, until
// Trustly's ledger shows it paid: sent, never released. (d) Trustly's
// payoutconfirmation then confirms it; a credit (the bank returned it) gives the
// money back once.
func TestReviewCrashPayoutAfterCall(t *testing.T) {
	for _, how := range []string{"after the call", "during the call"} {
		t.Run(how, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db, retryWhileHeld(t))
				p := e.player("SE")
				acc := e.deposit(p, 1000)
				token := models.NewMessageID(models.OrderPayout)
				e.hold.Store(true) // Trustly's notifications wait
				step := crashStep{Kind: "payout", PlayerID: p.ID, AccountID: acc.ID, Token: token, AmountMinor: 30000}
				if how == "after the call" {
					e.crash("payout.after_call", step)
				} else {
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
				orphan := e.byMessageID(token)
				if orphan.Status != models.OrderRequested || e.sandboxPayouts(token, p.Currency) != 1 {
					t.Fatalf("after the crash: %s, paid %d times; want requested, paid once", orphan.Status, e.sandboxPayouts(token, p.Currency))
				}

				// (a)
				again, err := e.svc.RequestPayoutOnce(e.ctx, p, token, acc.ID, e.money(p, 300))
				if err != nil || again.ID != orphan.ID || e.apiCalls("AccountPayout") != 1 {
					t.Fatalf("the form sent again: payout %d, %v, %d calls; want payout %d, no call", again.ID, err, e.apiCalls("AccountPayout"), orphan.ID)
				}
				e.wantMoney(p, 70000, 30000)

				// (c)
				e.clock.Advance(3 * time.Minute)
				e.janitor()
				got := e.reload(orphan)
				if got.ReleasedAt != nil || got.FailedAt != nil {
					t.Fatalf("after the resend: %s; the money must not be released", got.Status)
				}
				if got.SentAt == nil {
					t.Errorf("after the resend and the ledger check: %s; want sent (Trustly's ledger has it)", got.Status)
				}
				if n := e.sandboxPayouts(token, p.Currency); n != 1 {
					t.Errorf("the sandbox paid the payout %d times; want 1", n)
				}
				e.wantMoney(p, 70000, 0)

				// (d)
				e.hold.Store(false)
				e.waitStatus(orphan, models.OrderConfirmed)
				e.apply(e.forge(trustly.MethodCredit, e.reload(orphan), p, map[string]any{"attributes": map[string]any{}}))
				if got := e.reload(orphan); got.ReturnedAt == nil || got.Status != models.OrderFailed {
					t.Errorf("after the bank's credit: %s; want returned", got.Status)
				}
				e.apply(e.forge(trustly.MethodCredit, e.reload(orphan), p, map[string]any{"attributes": map[string]any{}}))
				e.wantMoney(p, 100000, 0)
			})
		})
	}
}

// TestReviewDepositFormWaitsForItsCheckout: the deposit form sent twice, the
// second time while the first sending's Deposit call is still on its way (a
// double click). The second waits for that call's answer and shows the same
// checkout. It did not wait: an order whose call is unanswered is "created", and
// the form took only a "started" order without a checkout URL as not ready, a
// state no order is in, so the second sending went at once to the result page of
// an order with no checkout ("Processing your deposit: Starting"), where the
// player stayed, with nothing to pay, until the janitor abandoned it.
func TestReviewDepositFormWaitsForItsCheckout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		svc := e.withSandboxExtra(nil) // the checkout waits for the player
		p := e.player("SE")
		token := models.NewMessageID(models.OrderDeposit)
		answers := e.holdAnswers()
		e.holdDeposits.Store(true)
		type result struct {
			order models.Order
			err   error
		}
		send := func() <-chan result {
			done := make(chan result, 1)
			go func() {
				o, err := svc.StartDepositOnce(e.ctx, p, token, e.money(p, 100), "127.0.0.1")
				done <- result{o, err}
			}()
			return done
		}
		first := send()
		var h heldAnswer
		select {
		case h = <-answers:
		case <-time.After(10 * time.Second):
			t.Fatal("the Deposit call never reached Trustly")
		}
		released := false
		defer func() {
			if !released {
				close(h.Release)
			}
		}()
		second := send()
		select {
		case r := <-second:
			t.Fatalf("the second sending answered while the first's Deposit call was on its way: %s, checkout %q, %v",
				r.order.Status, r.order.CheckoutURL, r.err)
		case <-time.After(500 * time.Millisecond):
		}
		close(h.Release)
		released = true
		a, b := <-first, <-second
		if a.err != nil || b.err != nil || a.order.ID != b.order.ID || b.order.CheckoutURL == "" || b.order.Status != models.OrderStarted {
			t.Errorf("first: %d %s, %v; second: %d %s checkout %q, %v; want one order, started, its checkout shown twice",
				a.order.ID, a.order.Status, a.err, b.order.ID, b.order.Status, b.order.CheckoutURL, b.err)
		}
		if n := e.apiCalls("Deposit"); n != 1 {
			t.Errorf("%d Deposit calls; want 1", n)
		}
	})
}

// TestReviewCrashDepositBeforeCall: the cashier dies after the deposit's order is
// committed and before Deposit is called (deposit.before_call). Trustly never
// heard of it, and no process will ever answer its call.
//
// (a) The same form sent again after the restart shows the deposit as not
// completed at once, and calls Trustly for nothing: before, it was taken as an
// order still waiting for its checkout, and the player was shown "Processing
// your deposit: Starting" until the janitor abandoned it 30 minutes later.
// (b) A new form starts a new deposit, which is credited.
func TestReviewCrashDepositBeforeCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		token := models.NewMessageID(models.OrderDeposit)
		e.crash("deposit.before_call", crashStep{Kind: "deposit", PlayerID: p.ID, Token: token, AmountMinor: 10000})
		orphan := e.byMessageID(token)
		if orphan.Status != models.OrderCreated || e.apiCalls("Deposit") != 0 {
			t.Fatalf("after the crash: %s, %d Deposit calls; want created, none", orphan.Status, e.apiCalls("Deposit"))
		}
		e.clock.Advance(time.Minute) // the restart

		// (a) The same form again.
		begun := time.Now()
		again, err := e.svc.StartDepositOnce(e.ctx, p, token, e.money(p, 100), "127.0.0.1")
		if err != nil || again.ID != orphan.ID {
			t.Fatalf("the form sent again: order %d, %v; want the order it made, %d", again.ID, err, orphan.ID)
		}
		if again.Status != models.OrderAbandoned || again.CheckoutURL != "" {
			t.Errorf("the form sent again: %s, checkout %q; want abandoned: its Deposit call will never be answered", again.Status, again.CheckoutURL)
		}
		if waited := time.Since(begun); waited > 5*time.Second {
			t.Errorf("the form sent again waited %s for a call no process is making", waited)
		}
		if n := e.apiCalls("Deposit"); n != 0 {
			t.Errorf("%d Deposit calls; want none", n)
		}
		if got := e.reload(orphan); got.Status != models.OrderAbandoned {
			t.Errorf("the order: %s; want abandoned", got.Status)
		}

		// (b) A new form.
		fresh, err := e.svc.StartDepositOnce(e.ctx, p, models.NewMessageID(models.OrderDeposit), e.money(p, 100), "127.0.0.1")
		if err != nil || fresh.CheckoutURL == "" {
			t.Fatalf("a new form: %s, %v; want a checkout", fresh.Status, err)
		}
		e.waitStatus(fresh, models.OrderCredited)
		e.wantMoney(p, 10000, 0)

		// The janitor leaves both as they are.
		e.clock.Advance(cashier.CheckoutExpiry + time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.Status != models.OrderAbandoned {
			t.Errorf("the order after the janitor: %s; want abandoned", got.Status)
		}
		e.wantMoney(p, 10000, 0)
	})
}

// TestReviewCrashDepositAfterCall: the cashier dies after Trustly answered the
// Deposit call and before its orderid and checkout URL were stored
// (deposit.after_call). Trustly has the order; here (the sandbox's
// SandboxAutoComplete) its checkout completes without the player, so its
// notifications come, to the cashier started again.
//
// (a) The same form sent again before any notification: the deposit is not
// completed as far as the player can tell (they never saw its checkout), and
// Deposit is not called again. (d) The credit that comes later books once and
// makes it credited; the janitor changes nothing after.
func TestReviewCrashDepositAfterCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, retryWhileHeld(t))
		p := e.player("SE")
		token := models.NewMessageID(models.OrderDeposit)
		e.hold.Store(true) // Trustly's notifications wait until the restart
		e.crash("deposit.after_call", crashStep{Kind: "deposit", PlayerID: p.ID, Token: token, AmountMinor: 10000})
		orphan := e.byMessageID(token)
		if orphan.Status != models.OrderCreated || orphan.TrustlyOrderID != "" || e.apiCalls("Deposit") != 1 {
			t.Fatalf("after the crash: %s, orderid %q, %d Deposit calls; want created, none stored, one call",
				orphan.Status, orphan.TrustlyOrderID, e.apiCalls("Deposit"))
		}
		e.clock.Advance(time.Minute)

		again, err := e.svc.StartDepositOnce(e.ctx, p, token, e.money(p, 100), "127.0.0.1")
		if err != nil || again.ID != orphan.ID || again.Status != models.OrderAbandoned {
			t.Fatalf("the form sent again: order %d %s, %v; want order %d abandoned", again.ID, again.Status, err, orphan.ID)
		}
		if n := e.apiCalls("Deposit"); n != 1 {
			t.Errorf("%d Deposit calls; want the one before the crash", n)
		}

		// (d) Trustly's notifications arrive: the credit books once.
		e.hold.Store(false)
		credited := e.waitStatus(orphan, models.OrderCredited)
		if credited.TrustlyOrderID == "" {
			t.Error("the credited deposit has no Trustly orderid")
		}
		e.clock.Advance(cashier.CheckoutExpiry + time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.Status != models.OrderCredited {
			t.Errorf("after the janitor: %s; want credited", got.Status)
		}
		e.wantMoney(p, 10000, 0)
	})
}

// TestReviewCrashDepositJanitor: (c) nobody sends the form again after the
// cashier was killed before the deposit's Deposit call. The janitor abandons the
// deposit once its call cannot be under way any more (ResumeAfter, 2 minutes, as
// for payouts), so its page and the history read "not completed" rather than
// "Starting": it left it created, "Starting", for the 30 minutes of a checkout
// nobody had. A credit that comes anyway (the call reached Trustly) still books.
func TestReviewCrashDepositJanitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		token := models.NewMessageID(models.OrderDeposit)
		e.crash("deposit.before_call", crashStep{Kind: "deposit", PlayerID: p.ID, Token: token, AmountMinor: 10000})
		orphan := e.byMessageID(token)

		e.clock.Advance(3 * time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.Status != models.OrderAbandoned {
			t.Errorf("a deposit whose Deposit call was never answered, 3 minutes on: %s; want abandoned", got.Status)
		}
		// A late credit (the call had reached Trustly after all) still books.
		got := e.reload(orphan)
		got.TrustlyOrderID = "9000000001"
		e.apply(e.forge(trustly.MethodCredit, got, p, map[string]any{"attributes": map[string]any{}}))
		if got := e.reload(orphan); got.Status != models.OrderCredited {
			t.Errorf("after a late credit: %s; want credited", got.Status)
		}
		e.wantMoney(p, 10000, 0)
	})
}
