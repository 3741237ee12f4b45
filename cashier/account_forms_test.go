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
// (SelectAccount) double-clicked, or sent again by the browser, and again after
// its account came or after a crash.

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
		send := func(token string) <-chan result {
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
