package cashier_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestBelowZeroSaysWhy: a wallet goes below zero by a deposit's debit after its
// credit was spent (the bank returned it, deposit:<ID>:debit), or by a payout's
// payoutconfirmation after a cancel had given its money back and it was spent
// again (taken back, payout:<ID>:retake), and the refusals say which: the
// deposit and the payout the player asks for, the approval staff press, and the
// approvals queue, the payout's order page and the player's profile, which name
// the order (BelowZero) that took the wallet below zero, as the cashier home
// does. A wallet below zero by a booking that is none of these gets a sentence
// that names no cause, and no order.
func TestBelowZeroSaysWhy(t *testing.T) {
	const (
		depositTail = " Deposits and withdrawals are paused until it is settled; please contact support."
		payoutTail  = " Withdrawals are paused until it is settled; please contact support."
		staffTail   = " so this payout cannot be approved. Deny it to give the money back to their balance, towards what they owe."
	)
	for _, tt := range []struct {
		name string
		// below takes the player's wallet (7 000,00 kr, all of it in a payout
		// waiting for approval, or about to be) below zero, and returns the order
		// that did, or a zero order.
		below                         func(e *payEnv, p models.Player, account models.BankAccount) (waiting, cause models.Order)
		cause                         string // how the player's sentences name it, "" for none
		staffCause                    string // how staff's name it, with %d for the order, "" for none
		depositWant, payoutWant, want string
	}{
		{name: "deposit returned", below: func(e *payEnv, p models.Player, account models.BankAccount) (models.Order, models.Order) {
			dep := e.lastDeposit(p)
			waiting := e.awaitingApproval(p, account.ID, 7000)
			e.apply(e.forge(trustly.MethodDebit, dep, p, map[string]any{"amount": dep.Amount.String(), "currency": dep.Amount.Currency,
				"attributes": map[string]any{}}))
			return waiting, dep
		}, cause: " because your bank returned a deposit", staffCause: " because their bank returned a deposit (order %d),"},
		{name: "payout confirmed after its cancel", below: func(e *payEnv, p models.Player, account models.BankAccount) (models.Order, models.Order) {
			e.hold.Store(true) // only the forged notifications arrive
			first, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
			if err != nil || first.Status != models.OrderSent {
				e.t.Fatalf("payout: %s, %v; want sent", first.Status, err)
			}
			e.apply(e.forge(trustly.MethodCancel, first, p, nil))
			waiting := e.awaitingApproval(p, account.ID, 7000)
			e.apply(e.forge(trustly.MethodPayoutConfirmation, first, p, nil))
			return waiting, first
		}, cause: " because a withdrawal reached your bank account after it had been cancelled, so its money was taken back from your balance",
			staffCause: " because a payout (order %d) was paid by the bank after it had been cancelled, and its money was taken back,"},
		{name: "another booking", below: func(e *payEnv, p models.Player, account models.BankAccount) (models.Order, models.Order) {
			waiting := e.awaitingApproval(p, account.ID, 7000)
			t := models.Move("test:overdraft:"+strconv.FormatInt(p.ID, 10), "taken by hand", models.PlayerWallet(p.ID),
				models.Adjustments, e.money(p, 300))
			t.AllowOverdraft = true
			if _, err := ledger.New(e.db).Post(e.ctx, t); err != nil {
				e.t.Fatal(err)
			}
			return waiting, models.Order{}
		}, staffCause: ","},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db)
				p := e.player("SE")
				account := e.deposit(p, 7000)
				e.sb.WaitIdle(t)
				waiting, cause := tt.below(e, p, account)
				if w := e.balance(models.PlayerWallet(p.ID), p.Currency); w >= 0 {
					t.Fatalf("wallet %d; want below zero", w)
				}
				if got := e.reload(waiting); got.Status != models.OrderAwaitingApproval {
					t.Fatalf("payout %d: %s; want awaiting approval", waiting.ID, got.Status)
				}
				staffWant := "The player's balance is below zero" + tt.staffCause + staffTail
				if cause.ID != 0 {
					staffWant = "The player's balance is below zero" + fmt.Sprintf(tt.staffCause, cause.ID) + staffTail
				}
				_, err := e.svc.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
				wantSentence(t, "deposit", err, "Your balance is below zero"+tt.cause+"."+depositTail)
				_, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10))
				wantSentence(t, "payout", err, "Your balance is below zero"+tt.cause+"."+payoutTail)
				admin := e.admin()
				_, err = e.svc.ApprovePayout(e.ctx, admin, waiting.ID, "")
				wantSentence(t, "approval", err, staffWant)

				queue, err := e.svc.ApprovalQueue(e.ctx, admin)
				if err != nil || len(queue) != 1 || queue[0].Order.ID != waiting.ID {
					t.Fatalf("approval queue: %d, %v; want payout %d alone", len(queue), err, waiting.ID)
				}
				wantRefusal(t, "approval queue", queue[0].Refusal, staffWant)
				wantCause(t, "approval queue", queue[0].BelowZero, cause)
				d, err := e.svc.OrderDetail(e.ctx, admin, waiting.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantRefusal(t, "order page", d.Refusal, staffWant)
				wantCause(t, "order page", d.BelowZero, cause)
				prof, err := e.svc.PlayerProfile(e.ctx, admin, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantCause(t, "player profile", prof.BelowZero, cause)
				sum, err := e.svc.Summary(e.ctx, p)
				if err != nil || !sum.Blocked {
					t.Fatalf("summary: blocked %t, %v; want blocked", sum.Blocked, err)
				}
				wantCause(t, "summary", sum.BelowZero, cause)
			})
		})
	}
}

// wantSentence checks err is a *models.Problem saying want.
func wantSentence(t *testing.T, what string, err error, want string) {
	t.Helper()
	var p *models.Problem
	switch {
	case !errors.As(err, &p):
		t.Errorf("%s: got %v; want the problem %q", what, err, want)
	case p.Message != want:
		t.Errorf("%s: got %q; want %q", what, p.Message, want)
	}
}

// wantRefusal checks the refusal p says want.
func wantRefusal(t *testing.T, what string, p *models.Problem, want string) {
	t.Helper()
	switch {
	case p == nil:
		t.Errorf("%s: no refusal; want %q", what, want)
	case p.Message != want:
		t.Errorf("%s: got %q; want %q", what, p.Message, want)
	}
}

// wantCause checks that got names the order want, or none for a zero want.
func wantCause(t *testing.T, what string, got *models.Order, want models.Order) {
	t.Helper()
	var id int64
	if got != nil {
		id = got.ID
	}
	if id != want.ID {
		t.Errorf("%s: below zero by order %d; want %d", what, id, want.ID)
	}
}

// TestBelowZeroNamesTheNewest: a wallet taken below zero by a returned deposit
// and then deeper by a payout paid after its cancel is named by the newer, the
// payout; before it, by the deposit.
func TestBelowZeroNamesTheNewest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 7000)
		e.sb.WaitIdle(t)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notifications arrive
		first, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if err != nil || first.Status != models.OrderSent {
			t.Fatalf("payout: %s, %v; want sent", first.Status, err)
		}
		e.apply(e.forge(trustly.MethodCancel, first, p, nil))
		e.awaitingApproval(p, account.ID, 7000)
		e.apply(e.forge(trustly.MethodDebit, dep, p, map[string]any{"amount": dep.Amount.String(), "currency": dep.Amount.Currency,
			"attributes": map[string]any{}}))
		e.wantMoney(p, -700000, 700000)
		sum, err := e.svc.Summary(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		wantCause(t, "after the debit", sum.BelowZero, dep)
		e.apply(e.forge(trustly.MethodPayoutConfirmation, first, p, nil))
		e.wantMoney(p, -730000, 700000)
		if sum, err = e.svc.Summary(e.ctx, p); err != nil {
			t.Fatal(err)
		}
		wantCause(t, "after the retake", sum.BelowZero, first)
		_, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10))
		wantSentence(t, "payout", err, "Your balance is below zero because a withdrawal reached your bank account after it "+
			"had been cancelled, so its money was taken back from your balance. Withdrawals are paused until it is settled; please contact support.")
	})
}
