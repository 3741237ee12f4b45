package cashier_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutMismatchBeforeOrderID: a payoutconfirmation or payoutfailed of another
// amount than the payout's, for a payout whose AccountPayout result was lost (no
// Trustly orderid known yet), is not its word (TestPayoutConfirmationMismatch): it
// books nothing, and it does not teach the payout its orderid either, or Trustly's
// genuine notifications under the real orderid would be kept as unknown: the
// payout never booked as sent, its returned money never back in the wallet.
func TestPayoutMismatchBeforeOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				lost, err := e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil {
					t.Fatal(err)
				}
				wallet -= 3000
				stray := lost
				stray.TrustlyOrderID = fmt.Sprintf("98%08d", lost.ID)
				e.apply(e.forge(method, stray, p, map[string]any{"amount": "25.00"}))
				if got := e.reload(lost); got.TrustlyOrderID != "" || got.SentAt != nil {
					t.Errorf("after a %s of 25.00: orderid %q, sent %v; want none learnt, not sent", method, got.TrustlyOrderID, got.SentAt)
				}
				genuine := lost
				genuine.TrustlyOrderID = fmt.Sprintf("99%08d", lost.ID)
				e.apply(e.forge(method, genuine, p, nil))
				got := e.reload(lost)
				if got.TrustlyOrderID != genuine.TrustlyOrderID || got.SentAt == nil {
					t.Errorf("after the genuine %s: orderid %q, sent %v; want %q, sent", method, got.TrustlyOrderID, got.SentAt, genuine.TrustlyOrderID)
				}
				e.wantMoney(p, wallet, 0)
				e.apply(e.forge(trustly.MethodCredit, genuine, p, nil))
				wallet += 3000
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}

// TestPayoutNotifiedBeforeResume: the process stopped between the reservation
// and the AccountPayout call's answer (the call may have gone out), and Trustly's
// notifications under the payout's MessageID came before ResumePayouts did. Each
// proves Trustly has the payout, so it is booked as sent, and ResumePayouts asks
// Trustly nothing more about it: a cancel's money is back in the wallet once and
// not sent again, a confirmed payout left the wallet once.
func TestPayoutNotifiedBeforeResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		for _, tt := range []struct {
			methods []string
			want    models.OrderStatus
			wallet  int64 // what the payout took from the wallet in the end
		}{
			{[]string{trustly.MethodPayoutConfirmation}, models.OrderConfirmed, -3000},
			{[]string{trustly.MethodCancel}, models.OrderCancelled, 0},
			{[]string{trustly.MethodPayoutFailed, trustly.MethodCredit}, models.OrderFailed, 0},
		} {
			t.Run(strings.Join(tt.methods, "+"), func(t *testing.T) {
				e.t = t
				if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
					t.Fatal(err)
				}
				wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
				calls := e.apiCalls("AccountPayout")
				order, err := e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil {
					t.Fatal(err)
				}
				genuine := order
				genuine.TrustlyOrderID = fmt.Sprintf("97%08d", order.ID)
				for _, m := range tt.methods {
					e.apply(e.forge(m, genuine, p, nil))
				}
				e.clock.Advance(3 * time.Minute)
				if err := e.svc.ResumePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
				got := e.reload(order)
				if got.Status != tt.want || got.SentAt == nil || got.TrustlyOrderID != genuine.TrustlyOrderID {
					t.Errorf("status %s, sent %v, orderid %q; want %s, sent, %q", got.Status, got.SentAt, got.TrustlyOrderID, tt.want, genuine.TrustlyOrderID)
				}
				if n := e.apiCalls("AccountPayout") - calls; n != 0 {
					t.Errorf("%d AccountPayout calls after the notifications; want none", n)
				}
				e.wantMoney(p, wallet+tt.wallet, 0)
			})
		}
	})
}

// TestPayoutWhileDebitHeld: a deposit whose debit came before its credit holds
// the debit (debitDeposit) and gives the wallet nothing, so a payout meanwhile
// can take only what the wallet held before: more is refused with nothing
// reserved. The credit, when it comes, books the held debit with it, and the
// payout made meanwhile stands, the player owing nothing.
func TestPayoutWhileDebitHeld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		now := time.Now().UTC()
		dep := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PlayerID: p.ID,
			EndUserID: p.EndUserID, Amount: e.money(p, 500), CreatedAt: now}
		dep.TrustlyOrderID = fmt.Sprintf("96%08d", paySeq.Add(1))
		dep.Refresh()
		if err := db.Create(&dep).Error; err != nil {
			t.Fatal(err)
		}
		debit := map[string]any{"amount": "500.00", "currency": "SEK", "attributes": map[string]any{}}
		e.apply(e.forge(trustly.MethodDebit, dep, p, debit))
		if got := e.reload(dep); got.DebitHeldAt == nil || got.DebitedAt != nil {
			t.Fatalf("debit before the credit: held %v, debited %v; want held", got.DebitHeldAt, got.DebitedAt)
		}
		e.wantMoney(p, 100000, 0)
		_, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 1001))
		wantProblem(t, err, "Your balance is too low for this payout")
		e.wantMoney(p, 100000, 0)
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 1000))
		if err != nil || payout.Status != models.OrderSent {
			t.Fatalf("payout of the whole wallet: %s, %v; want sent", payout.Status, err)
		}
		e.wantMoney(p, 0, 0)
		e.apply(e.forge(trustly.MethodCredit, dep, p, nil))
		if got := e.reload(dep); got.CreditedAt == nil || got.DebitedAt == nil {
			t.Errorf("after the credit: credited %v, debited %v; want both booked", got.CreditedAt, got.DebitedAt)
		}
		e.wantMoney(p, 0, 0)
		if err := ledger.New(db).Audit(e.ctx); err != nil {
			t.Error(err)
		}
	})
}

// TestPayoutFormSentAtOnce: the withdrawal form sent several times at once (a
// double click, two tabs resending it) with its one token makes one payout, one
// reservation and one AccountPayout call, and every sending is answered with that
// payout and no error, whether the payout takes part of the wallet or all of it.
func TestPayoutFormSentAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only what the calls answer moves the payouts
		for _, major := range []int64{100, 900} {
			t.Run(fmt.Sprint(major), func(t *testing.T) {
				e.t = t
				wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
				calls := e.apiCalls("AccountPayout")
				token := models.NewMessageID(models.OrderPayout)
				orders := make([]models.Order, 4)
				errs := make([]error, len(orders))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range orders {
					wg.Go(func() {
						<-start
						orders[i], errs[i] = e.svc.RequestPayoutOnce(e.ctx, p, token, account.ID, e.money(p, major))
					})
				}
				close(start)
				wg.Wait()
				for i := range orders {
					if errs[i] != nil || orders[i].ID == 0 || orders[i].ID != orders[0].ID || orders[i].MessageID != token {
						t.Errorf("sending %d: order %d %q, %v; want order %d %q", i, orders[i].ID, orders[i].MessageID, errs[i], orders[0].ID, token)
					}
				}
				var n int64
				if err := db.Model(&models.Order{}).Where("message_id = ?", token).Count(&n).Error; err != nil || n != 1 {
					t.Errorf("%d orders of the token, %v; want 1", n, err)
				}
				if got := e.apiCalls("AccountPayout") - calls; got != 1 {
					t.Errorf("%d AccountPayout calls; want 1", got)
				}
				e.wantMoney(p, wallet-major*100, 0)
			})
		}
	})
}

// TestPayoutFailedNotTheirs: a payoutfailed that is not the payout's word (it
// names another player's enduserid, another amount, or another currency) fails
// nothing and does not mark the bank account as one payouts fail to: the
// player's next payout to it goes.
func TestPayoutFailedNotTheirs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		for _, fields := range []map[string]any{{"enduserid": "someone-else"}, {"amount": "29.99"}, {"currency": "EUR"}} {
			t.Run(fmt.Sprint(fields), func(t *testing.T) {
				e.t = t
				order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || order.Status != models.OrderSent {
					t.Fatalf("payout: %s, %v; want sent", order.Status, err)
				}
				e.apply(e.forge(trustly.MethodPayoutFailed, order, p, fields))
				if got := e.reload(order); got.Status != models.OrderSent || got.PayoutFailedAt != nil || !strings.Contains(got.Flag, "not applied") {
					t.Errorf("payout: %s, failed %v, flag %q; want still sent, flagged not applied", got.Status, got.PayoutFailedAt, got.Flag)
				}
				var a models.BankAccount
				if err := db.Where("id = ?", account.ID).Take(&a).Error; err != nil || a.PayoutFailure != "" {
					t.Errorf("account payout failure %q, %v; want none", a.PayoutFailure, err)
				}
				if next, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10)); err != nil || next.Status != models.OrderSent {
					t.Errorf("next payout to the account: %s, %v; want sent", next.Status, err)
				}
			})
		}
	})
}

// TestPayoutAnswerOtherOrderID: a notification for a payout overtook its
// AccountPayout answer and taught it a Trustly orderid, and the answer then names
// another one. The notification's orderid is kept (notifications and
// GetWithdrawals go by it), and the contradiction in Trustly's words is flagged
// for staff, as it is raised for a deposit's, not passed over.
func TestPayoutAnswerOtherOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		answers := e.holdAnswers()
		type result struct {
			order models.Order
			err   error
		}
		done := make(chan result, 1)
		go func() {
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
			done <- result{o, err}
		}()
		var h heldAnswer
		select {
		case h = <-answers:
		case <-time.After(10 * time.Second):
			t.Fatal("the AccountPayout call never reached Trustly")
		}
		var order models.Order
		if err := db.Where("kind = ? AND player_id = ?", models.OrderPayout, p.ID).Order("id DESC").Take(&order).Error; err != nil {
			t.Fatal(err)
		}
		notified := order
		notified.TrustlyOrderID = fmt.Sprintf("95%08d", order.ID)
		if notified.TrustlyOrderID == h.OrderID {
			t.Fatalf("the forged orderid %s is the answer's", h.OrderID)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, notified, p, nil))
		close(h.Release)
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		got := e.reload(order)
		if got.Status != models.OrderConfirmed || got.TrustlyOrderID != notified.TrustlyOrderID {
			t.Errorf("payout %s, orderid %q; want confirmed, %q", got.Status, got.TrustlyOrderID, notified.TrustlyOrderID)
		}
		if !strings.Contains(got.Flag, h.OrderID) || !strings.Contains(got.Flag, notified.TrustlyOrderID) {
			t.Errorf("flag %q; want one naming both orderids, %s and %s", got.Flag, h.OrderID, notified.TrustlyOrderID)
		}
		e.wantMoney(p, 97000, 0)
	})
}

// TestDepositAnswerOtherOrderID is TestPayoutAnswerOtherOrderID for a deposit:
// its credit overtook the Deposit answer and taught it a Trustly orderid, and the
// answer names another. The credit's orderid is kept and the credit booked once;
// Trustly's two words are flagged for staff, not only logged.
func TestDepositAnswerOtherOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		e.hold.Store(true) // only the forged notification arrives
		e.holdDeposits.Store(true)
		answers := e.holdAnswers()
		type result struct {
			order models.Order
			err   error
		}
		done := make(chan result, 1)
		go func() {
			o, err := e.svc.StartDeposit(e.ctx, p, e.money(p, 50), "127.0.0.1")
			done <- result{o, err}
		}()
		var h heldAnswer
		select {
		case h = <-answers:
		case <-time.After(10 * time.Second):
			t.Fatal("the Deposit call never reached Trustly")
		}
		var order models.Order
		if err := db.Where("kind = ? AND player_id = ?", models.OrderDeposit, p.ID).Order("id DESC").Take(&order).Error; err != nil {
			t.Fatal(err)
		}
		notified := order
		notified.TrustlyOrderID = fmt.Sprintf("96%08d", order.ID)
		if notified.TrustlyOrderID == h.OrderID {
			t.Fatalf("the forged orderid %s is the answer's", h.OrderID)
		}
		e.apply(e.forge(trustly.MethodCredit, notified, p, nil))
		close(h.Release)
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		got := e.reload(order)
		if got.Status != models.OrderCredited || got.TrustlyOrderID != notified.TrustlyOrderID {
			t.Errorf("deposit %s, orderid %q; want credited, %q", got.Status, got.TrustlyOrderID, notified.TrustlyOrderID)
		}
		if !strings.Contains(got.Flag, h.OrderID) || !strings.Contains(got.Flag, notified.TrustlyOrderID) {
			t.Errorf("flag %q; want one naming both orderids, %s and %s", got.Flag, h.OrderID, notified.TrustlyOrderID)
		}
		e.wantMoney(p, 5000, 0)
	})
}
