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

// TestReviewCrashSelectAccountJanitor: the cashier is killed (SIGKILL, a crash
// child) after an "Add account with Trustly" order was committed and while its
// SelectAccount call was on its way: Trustly made the order, its answer never
// reached us, and nobody ever sees its checkout.
//
// (a) The add-account button pressed on a page shown again (a new form, a new
// token) starts a new selection with its checkout at once; the same form sent
// again is TestReviewCrashSelectAccountFormSentAgain. (b) The janitor abandons the orphan once
// its call cannot be under way any more (ResumeAfter), as it does a deposit's: it
// stayed created for good, "Created" in the back office while the history read
// "expired". (c) The new selection, whose checkout nobody finishes, is abandoned
// after the checkout's life. (d) A late account notification for the abandoned
// orphan still saves the player's account, once, however often it comes; no
// money moves.
func TestReviewCrashSelectAccountJanitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		e.cfg.SandboxExtra = nil // the child's checkout waits for a player who never sees it
		answers := e.holdAnswers()
		e.holdSelects.Store(true)
		child := e.crashChild("", crashStep{Kind: "selectaccount", PlayerID: p.ID})
		var h heldAnswer
		select {
		case h = <-answers: // Trustly has made the order; its answer is held
		case <-time.After(30 * time.Second):
			t.Fatal("the SelectAccount call never reached Trustly")
		}
		child.Process.Kill()
		wantKilled(t, child, child.Wait())
		close(h.Release)
		e.holdSelects.Store(false)
		e.mu.Lock()
		e.held = nil
		e.mu.Unlock()
		var orphan models.Order
		if err := db.Where("player_id = ? AND kind = ?", p.ID, models.OrderSelectAccount).Take(&orphan).Error; err != nil {
			t.Fatal(err)
		}
		if orphan.Status != models.OrderCreated || e.apiCalls("SelectAccount") != 1 || h.OrderID == "" {
			t.Fatalf("after the crash: %s, %d SelectAccount calls, Trustly orderid %q; want created, one call, an orderid",
				orphan.Status, e.apiCalls("SelectAccount"), h.OrderID)
		}

		// (a)
		fresh, err := e.service(nil).StartSelectAccount(e.ctx, p, "127.0.0.1") // without SandboxAutoComplete
		if err != nil || fresh.ID == orphan.ID || fresh.Status != models.OrderStarted || fresh.CheckoutURL == "" {
			t.Fatalf("the button pressed again: order %d %s, checkout %q, %v; want a new selection with its checkout",
				fresh.ID, fresh.Status, fresh.CheckoutURL, err)
		}

		// (b) Not while the call might still be on its way.
		e.clock.Advance(time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.Status != models.OrderCreated {
			t.Fatalf("a minute after the call: %s; want created (the call may be on its way)", got.Status)
		}
		e.clock.Advance(2 * time.Minute)
		e.janitor()
		if got := e.reload(orphan); got.Status != models.OrderAbandoned || got.AbandonedAt == nil {
			t.Errorf("a selection whose SelectAccount call was never answered, 3 minutes on: %s; want abandoned", got.Status)
		}
		if got := e.reload(fresh); got.Status != models.OrderStarted {
			t.Errorf("the new selection, its checkout still usable: %s; want started", got.Status)
		}

		// (c)
		e.clock.Advance(cashier.CheckoutExpiry)
		e.janitor()
		if got := e.reload(fresh); got.Status != models.OrderAbandoned {
			t.Errorf("a selection with no account notification after its checkout expired: %s; want abandoned", got.Status)
		}

		// (d) Trustly verified the account after all.
		late := e.reload(orphan)
		late.TrustlyOrderID = h.OrderID
		const accountID = "7719000001"
		account := func() map[string]any {
			return map[string]any{"accountid": accountID, "verified": "1",
				"attributes": map[string]any{"clearinghouse": "SWEDEN", "bank": "Nordea", "descriptor": "**000001", "lastdigits": "000001"}}
		}
		note := e.forge(trustly.MethodAccount, late, p, account())
		e.apply(note)
		e.apply(note)                                               // redelivered
		e.apply(e.forge(trustly.MethodAccount, late, p, account())) // sent again under another notificationid
		var accounts []models.BankAccount
		if err := db.Where("player_id = ? AND account_id = ?", p.ID, accountID).Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || !accounts[0].Verified || accounts[0].Source != models.AccountFromSelectAccount {
			t.Fatalf("accounts after a late account notification: %+v; want one, verified, from the selection", accounts)
		}
		if _, got, err := e.svc.SelectedAccount(e.ctx, p, orphan.MessageID); err != nil || got == nil || got.ID != accounts[0].ID {
			t.Errorf("the abandoned selection's account: %+v, %v; want the saved one", got, err)
		}
		e.janitor()
		// The account was added: the abandoned selection reads so, for good.
		if got := e.reload(orphan); got.Flag != "" || got.CreditedAt != nil || got.Status != models.OrderAccountAdded || got.AccountAddedAt == nil {
			t.Errorf("the selection after its late account: %s, flag %q; want account-added, nothing booked or flagged", got.Status, got.Flag)
		}
		e.wantMoney(p, 0, 0)
	})
}

// TestJanitorAbandonsSelections: an account selection whose checkout expired
// with no account notification is abandoned, as a deposit's is; one whose
// account came is not, however long ago, nor one whose checkout may still be in
// use.
func TestJanitorAbandonsSelections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		silent, err := e.withSandboxExtra(nil).StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil || silent.Status != models.OrderStarted {
			t.Fatalf("start selection: %s, %v", silent.Status, err)
		}
		done, err := e.svc.StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("the selected account", func() bool {
			_, account, err := e.svc.SelectedAccount(e.ctx, p, done.MessageID)
			return err == nil && account != nil
		})

		// A selection whose account an older version applied without marking it
		// (before AccountAddedAt, or an old instance during an upgrade): still
		// started, with its account notification stored.
		older, err := e.svc.StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(older, models.OrderAccountAdded)
		if err := db.Model(&models.Order{}).Where("id = ?", older.ID).
			Updates(map[string]any{"status": models.OrderStarted, "account_added_at": nil}).Error; err != nil {
			t.Fatal(err)
		}

		e.clock.Advance(cashier.CheckoutExpiry - time.Minute)
		e.janitor()
		if got := e.reload(silent); got.Status != models.OrderStarted {
			t.Fatalf("selection %d before the checkout expired: %s; want started", silent.ID, got.Status)
		}
		if got := e.reload(done); got.Status != models.OrderAccountAdded {
			t.Fatalf("selection %d whose account came: %s; want account-added", done.ID, got.Status)
		}
		e.clock.Advance(2 * time.Minute)
		e.janitor()
		if got := e.reload(silent); got.Status != models.OrderAbandoned {
			t.Errorf("a selection with no word from Trustly after its checkout expired: %s; want abandoned", got.Status)
		}
		if got := e.reload(done); got.Status != models.OrderAccountAdded || got.AbandonedAt != nil {
			t.Errorf("a selection whose account came: %s; want account-added, not abandoned", got.Status)
		}
		if got := e.reload(older); got.Status != models.OrderStarted || got.AbandonedAt != nil {
			t.Errorf("a selection whose account an older version applied: %s; want left as it is, not abandoned", got.Status)
		}
	})
}
