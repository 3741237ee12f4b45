package cashier_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// Tests of the add-account forms sent more than once: "Add account with Trustly"
// (SelectAccount) and the bank details form (RegisterAccount) double-clicked, or
// sent again by the browser, and again after their result or after a crash.

// selections counts the player's account-selection orders.
func (e *payEnv) selections(p models.Player) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Order{}).Where("player_id = ? AND kind = ?", p.ID, models.OrderSelectAccount).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// isProblem reports whether err is the *models.Problem of message id.
func isProblem(err error, id string) bool {
	var p *models.Problem
	return errors.As(err, &p) && p.ID == id
}

// TestSelectAccountFormSentTwice: the "Add account with Trustly" form sent twice,
// the second time while the first sending's SelectAccount call is on its way (a
// double click). The second waits for that call's answer and shows the same
// checkout. Each press started an order and a SelectAccount call of its own, and
// the player got two checkouts. Two sendings at the same moment make one order
// and one call too.
func TestSelectAccountFormSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		svc := e.withSandboxExtra(nil) // the checkout waits for the player
		p := e.player("SE")
		token := models.NewMessageID(models.OrderSelectAccount)
		answers := e.holdAnswers()
		e.holdSelects.Store(true)
		type result struct {
			order models.Order
			err   error
		}
		send := func(token string) chan result {
			done := make(chan result, 1)
			go func() {
				o, err := svc.StartSelectAccountOnce(e.ctx, p, token, "127.0.0.1")
				done <- result{o, err}
			}()
			return done
		}
		first := send(token)
		var h heldAnswer
		select {
		case h = <-answers:
		case <-time.After(10 * time.Second):
			t.Fatal("the SelectAccount call never reached Trustly")
		}
		released := false
		defer func() {
			if !released {
				close(h.Release)
			}
		}()
		second := send(token)
		select {
		case r := <-second:
			t.Errorf("the second sending answered while the first's SelectAccount call was on its way: order %d %s, checkout %q, %v",
				r.order.ID, r.order.Status, r.order.CheckoutURL, r.err)
			second <- r
		case <-time.After(500 * time.Millisecond):
		}
		e.holdSelects.Store(false)
		go func() { // a second call, if there is one, is answered too
			select {
			case h := <-answers:
				close(h.Release)
			case <-time.After(5 * time.Second):
			}
		}()
		close(h.Release)
		released = true
		a, b := <-first, <-second
		if a.err != nil || b.err != nil || a.order.ID != b.order.ID || b.order.CheckoutURL == "" || b.order.Status != models.OrderStarted {
			t.Errorf("first: %d %s, %v; second: %d %s checkout %q, %v; want one selection, started, its checkout shown twice",
				a.order.ID, a.order.Status, a.err, b.order.ID, b.order.Status, b.order.CheckoutURL, b.err)
		}
		if n, orders := e.apiCalls("SelectAccount"), e.selections(p); n != 1 || orders != 1 {
			t.Errorf("%d SelectAccount calls, %d selections; want 1 and 1", n, orders)
		}

		// Two sendings of another form at the same moment.
		token = models.NewMessageID(models.OrderSelectAccount)
		var wg sync.WaitGroup
		got := make([]result, 2)
		for i := range got {
			wg.Go(func() {
				o, err := svc.StartSelectAccountOnce(e.ctx, p, token, "127.0.0.1")
				got[i] = result{o, err}
			})
		}
		wg.Wait()
		if got[0].err != nil || got[1].err != nil || got[0].order.ID != got[1].order.ID || got[1].order.CheckoutURL == "" {
			t.Errorf("two sendings at once: %d %v, %d %v; want one selection with its checkout", got[0].order.ID, got[0].err,
				got[1].order.ID, got[1].err)
		}
		if n, orders := e.apiCalls("SelectAccount"), e.selections(p); n != 2 || orders != 2 {
			t.Errorf("after two forms: %d SelectAccount calls, %d selections; want 2 and 2", n, orders)
		}

		// A token that is not an account selection's, or another player's.
		for _, bad := range []string{models.NewMessageID(models.OrderDeposit), "sel-x", token} {
			who := p
			if bad == token {
				who = e.player("SE")
			}
			if _, err := svc.StartSelectAccountOnce(e.ctx, who, bad, "127.0.0.1"); !isProblem(err, "problem.select_form") {
				t.Errorf("token %q of player %d: %v; want the form's problem", bad, who.ID, err)
			}
		}
		if n := e.apiCalls("SelectAccount"); n != 2 {
			t.Errorf("%d SelectAccount calls after bad tokens; want 2", n)
		}
	})
}

// TestSelectAccountFormAfterItsAccount: the form sent again (the back button)
// after its selection's account came shows that selection, added, and asks
// Trustly nothing.
func TestSelectAccountFormAfterItsAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		token := models.NewMessageID(models.OrderSelectAccount)
		first, err := e.svc.StartSelectAccountOnce(e.ctx, p, token, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(first, models.OrderAccountAdded)
		again, err := e.svc.StartSelectAccountOnce(e.ctx, p, token, "127.0.0.1")
		if err != nil || again.ID != first.ID || again.Status != models.OrderAccountAdded {
			t.Errorf("the form sent again: order %d %s, %v; want order %d account-added", again.ID, again.Status, err, first.ID)
		}
		if n, orders := e.apiCalls("SelectAccount"), e.selections(p); n != 1 || orders != 1 {
			t.Errorf("%d SelectAccount calls, %d selections; want 1 and 1", n, orders)
		}
	})
}

// TestReviewCrashSelectAccountFormSentAgain: the cashier is killed after an
// account selection's order was committed, before its SelectAccount call
// (selectaccount.before_call) or after its answer and before the checkout was
// stored (selectaccount.after_call). The same form sent again after the restart
// shows the selection as not completed at once, as the deposit form does, and
// asks Trustly nothing; a new form starts a new selection.
func TestReviewCrashSelectAccountFormSentAgain(t *testing.T) {
	for _, tt := range []struct {
		fp    string
		calls int
	}{{"selectaccount.before_call", 0}, {"selectaccount.after_call", 1}} {
		t.Run(tt.fp, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db)
				e.cfg.SandboxExtra = nil
				p := e.player("SE")
				token := models.NewMessageID(models.OrderSelectAccount)
				e.crash(tt.fp, crashStep{Kind: "selectaccount", PlayerID: p.ID, Token: token})
				orphan := e.byMessageID(token)
				if orphan.Status != models.OrderCreated || e.apiCalls("SelectAccount") != tt.calls {
					t.Fatalf("after the crash: %s, %d SelectAccount calls; want created, %d", orphan.Status, e.apiCalls("SelectAccount"), tt.calls)
				}
				e.clock.Advance(time.Minute) // the restart

				begun := time.Now()
				again, err := e.svc.StartSelectAccountOnce(e.ctx, p, token, "127.0.0.1")
				if err != nil || again.ID != orphan.ID || again.Status != models.OrderAbandoned || again.CheckoutURL != "" {
					t.Fatalf("the form sent again: order %d %s, checkout %q, %v; want order %d abandoned",
						again.ID, again.Status, again.CheckoutURL, err, orphan.ID)
				}
				if waited := time.Since(begun); waited > 5*time.Second {
					t.Errorf("the form sent again waited %s for a call no process is making", waited)
				}
				if n := e.apiCalls("SelectAccount"); n != tt.calls {
					t.Errorf("%d SelectAccount calls; want %d", n, tt.calls)
				}

				// Without SandboxAutoComplete: its account could come before it returns.
				fresh, err := e.service(nil).StartSelectAccountOnce(e.ctx, p, models.NewMessageID(models.OrderSelectAccount), "127.0.0.1")
				if err != nil || fresh.ID == orphan.ID || fresh.Status != models.OrderStarted || fresh.CheckoutURL == "" {
					t.Errorf("a new form: order %d %s, %v; want a new selection with its checkout", fresh.ID, fresh.Status, err)
				}
			})
		})
	}
}

// TestRegisterAccountFormSentTwice: the bank details form sent twice, the second
// time while the first sending's RegisterAccount call is on its way (a double
// click). The second waits for the first's result and shows it, the account
// added (not "already saved"): each sending called RegisterAccount. Two sendings
// at the same moment call it once too. A token that is not a bank details
// form's, or another player's, is refused.
func TestRegisterAccountFormSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		token := models.NewRegistrationToken()
		answers := e.holdAnswers()
		e.holdRegisters.Store(true)
		type result struct {
			account models.BankAccount
			err     error
		}
		send := func(token, account string) chan result {
			done := make(chan result, 1)
			go func() {
				a, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", account)
				done <- result{a, err}
			}()
			return done
		}
		first := send(token, "69706212")
		var h heldAnswer
		select {
		case h = <-answers:
		case <-time.After(10 * time.Second):
			t.Fatal("the RegisterAccount call never reached Trustly")
		}
		released := false
		defer func() {
			if !released {
				close(h.Release)
			}
		}()
		second := send(token, "69706212")
		select {
		case r := <-second:
			t.Errorf("the second sending answered while the first's RegisterAccount call was on its way: account %d known %t, %v",
				r.account.ID, r.account.Known, r.err)
			second <- r
		case <-time.After(500 * time.Millisecond):
		}
		e.holdRegisters.Store(false)
		go func() { // a second call, if there is one, is answered too
			select {
			case h := <-answers:
				close(h.Release)
			case <-time.After(5 * time.Second):
			}
		}()
		close(h.Release)
		released = true
		a, b := <-first, <-second
		if a.err != nil || b.err != nil || a.account.ID == 0 || a.account.ID != b.account.ID || a.account.Known || b.account.Known {
			t.Errorf("first: account %d known %t, %v; second: account %d known %t, %v; want one account, added, shown twice",
				a.account.ID, a.account.Known, a.err, b.account.ID, b.account.Known, b.err)
		}
		if n := e.apiCalls("RegisterAccount"); n != 1 {
			t.Errorf("%d RegisterAccount calls; want 1", n)
		}

		// Two sendings of another form at the same moment.
		token = models.NewRegistrationToken()
		var wg sync.WaitGroup
		got := make([]result, 2)
		for i := range got {
			wg.Go(func() {
				a, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", "12345678")
				got[i] = result{a, err}
			})
		}
		wg.Wait()
		if got[0].err != nil || got[1].err != nil || got[0].account.ID != got[1].account.ID || got[0].account.Known != got[1].account.Known {
			t.Errorf("two sendings at once: %d %v, %d %v; want one result", got[0].account.ID, got[0].err, got[1].account.ID, got[1].err)
		}
		if n := e.apiCalls("RegisterAccount"); n != 2 {
			t.Errorf("after two forms: %d RegisterAccount calls; want 2", n)
		}

		// A token that is not a bank details form's, or another player's.
		for _, bad := range []string{models.NewMessageID(models.OrderSelectAccount), "reg-x", token} {
			who := p
			if bad == token {
				who = e.namedPlayer("SE", "Bo", "Ek")
			}
			if _, err := e.svc.RegisterBankAccountOnce(e.ctx, who, bad, "SE", "6112", "69706212"); !isProblem(err, "problem.account_form") {
				t.Errorf("token %q of player %d: %v; want the form's problem", bad, who.ID, err)
			}
		}
		if n := e.apiCalls("RegisterAccount"); n != 2 {
			t.Errorf("%d RegisterAccount calls after bad tokens; want 2", n)
		}
	})
}

// TestRegisterAccountFormAfterItsResult: the bank details form sent again (the
// back button, a retry) after its account was saved shows the same result, and
// asks Trustly nothing.
func TestRegisterAccountFormAfterItsResult(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		token := models.NewRegistrationToken()
		first, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", "69706212")
		if err != nil || first.Known {
			t.Fatalf("register: %+v, %v", first, err)
		}
		again, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", "69706212")
		if err != nil || again.ID != first.ID || again.Known {
			t.Errorf("the form sent again: account %d known %t, %v; want account %d, added", again.ID, again.Known, err, first.ID)
		}
		if n := e.apiCalls("RegisterAccount"); n != 1 {
			t.Errorf("%d RegisterAccount calls; want 1", n)
		}
	})
}

// TestReviewCrashRegisterAccountFormSentAgain: the cashier is killed after the
// bank details form's sending was recorded, before its RegisterAccount call
// (registeraccount.before_call) or after its answer and before the account was
// saved (registeraccount.after_call). The same form sent again after the restart
// says at once that the account could not be saved, and asks Trustly nothing, as
// the deposit form shows its deposit not completed; a new form saves it.
func TestReviewCrashRegisterAccountFormSentAgain(t *testing.T) {
	for _, tt := range []struct {
		fp    string
		calls int
	}{{"registeraccount.before_call", 0}, {"registeraccount.after_call", 1}} {
		t.Run(tt.fp, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db)
				p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
				token := models.NewRegistrationToken()
				e.crash(tt.fp, crashStep{Kind: "registeraccount", PlayerID: p.ID, Token: token})
				var accounts int64
				if err := db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&accounts).Error; err != nil {
					t.Fatal(err)
				}
				if accounts != 0 || e.apiCalls("RegisterAccount") != tt.calls {
					t.Fatalf("after the crash: %d accounts, %d RegisterAccount calls; want none, %d", accounts, e.apiCalls("RegisterAccount"), tt.calls)
				}
				e.clock.Advance(time.Minute) // the restart

				begun := time.Now()
				_, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", "69706212")
				if !isProblem(err, "problem.account_failed") {
					t.Errorf("the form sent again: %v; want the account not saved", err)
				}
				if waited := time.Since(begun); waited > 5*time.Second {
					t.Errorf("the form sent again waited %s for a call no process is making", waited)
				}
				if n := e.apiCalls("RegisterAccount"); n != tt.calls {
					t.Errorf("%d RegisterAccount calls; want %d", n, tt.calls)
				}

				fresh, err := e.svc.RegisterBankAccountOnce(e.ctx, p, models.NewRegistrationToken(), "SE", "6112", "69706212")
				if err != nil || fresh.ID == 0 || fresh.Known {
					t.Errorf("a new form: account %d known %t, %v; want the account saved", fresh.ID, fresh.Known, err)
				}
			})
		})
	}
}
