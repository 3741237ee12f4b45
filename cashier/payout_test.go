package cashier_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutToDepositAccount: a deposit's account notification saves the account,
// a payout to it reserves the money, is sent, and payoutconfirmation confirms it.
func TestPayoutToDepositAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		if account.Source != models.AccountFromDeposit || !account.Verified || account.AccountID == "" {
			t.Fatalf("deposit account %+v; want a verified account from the deposit", account)
		}
		if w, _ := e.svc.Withdrawable(e.ctx, p); w.Minor != 100000 {
			t.Fatalf("withdrawable %d, want 100000", w.Minor)
		}

		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 250))
		if err != nil {
			t.Fatal(err)
		}
		if order.Kind != models.OrderPayout || order.BankAccountID != account.ID || order.AccountID != account.AccountID ||
			order.TrustlyOrderID == "" || order.SentAt == nil || order.Attempts != 1 {
			t.Fatalf("order after request %+v", order)
		}
		if order.Status != models.OrderSent && order.Status != models.OrderConfirmed {
			t.Fatalf("status %s, want sent (or confirmed)", order.Status)
		}
		got := e.waitStatus(order, models.OrderConfirmed)
		if text := cashier.PayoutStateText(got); text != cashier.PayoutTextPaid {
			t.Errorf("state text %q, want %q", text, cashier.PayoutTextPaid)
		}
		e.wantMoney(p, 75000, 0)
		if c := e.balance(models.TrustlyClearing, "SEK"); c != -100000+25000 {
			t.Errorf("clearing %d, want -75000", c)
		}
		if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 1 {
			t.Errorf("PayoutCalls %d, want 1", n)
		}
		if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 {
			t.Errorf("sandbox executed %d payouts, want 1", n)
		}
		// The transfers the payout booked, by reference.
		var refs []string
		db.Model(&models.Transfer{}).Where("reference LIKE ?", "payout:%").Order("id").Pluck("reference", &refs)
		want := []string{order.Reference("reserve"), order.Reference("send")}
		if len(refs) != 2 || refs[0] != want[0] || refs[1] != want[1] {
			t.Errorf("transfers %v, want %v", refs, want)
		}
		list, err := e.svc.Payouts(e.ctx, p)
		if err != nil || len(list) != 1 || list[0].Account.ID != account.ID || list[0].State != cashier.PayoutTextPaid {
			t.Errorf("Payouts = %+v, %v", list, err)
		}
	})
}

// TestPayoutScenarios plays each payout outcome of the sandbox end to end, then
// replays every notification and a second credit, and checks the money is back in
// the wallet exactly once where it should be.
func TestPayoutScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			scenario sandbox.Scenario
			status   models.OrderStatus
			text     string
			wallet   int64 // after a deposit of 1 000.00 and a payout of 300.00
			methods  []string
			problem  string
		}{
			{sandbox.ScenarioPayoutConfirmed, models.OrderConfirmed, cashier.PayoutTextPaid, 70000, []string{"payoutconfirmation"}, ""},
			{sandbox.ScenarioPayoutBounce, models.OrderFailed, cashier.PayoutTextReturned, 100000, []string{"payoutconfirmation", "credit"}, ""},
			{sandbox.ScenarioPayoutFailed, models.OrderFailed, cashier.PayoutTextRefused, 100000, []string{"payoutfailed", "credit"}, ""},
			{sandbox.ScenarioPayoutRejected, models.OrderFailed, cashier.PayoutTextNotSent, 100000, nil, "Trustly could not send your payout"},
		} {
			t.Run(string(tt.scenario), func(t *testing.T) {
				e.t = t
				p := e.player("SE")
				account := e.deposit(p, 1000)
				order, err := e.scenario(tt.scenario).RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
				if tt.problem != "" {
					wantProblem(t, err, tt.problem)
				} else if err != nil {
					t.Fatal(err)
				}
				got := e.waitStatus(order, tt.status)
				if len(tt.methods) > 0 {
					e.waitFor("all notifications", func() bool { return len(e.notes(got.TrustlyOrderID)) == len(tt.methods) })
					got = e.reload(order)
				}
				if text := cashier.PayoutStateText(got); text != tt.text {
					t.Errorf("state text %q, want %q", text, tt.text)
				}
				if got.Flag != "" {
					t.Errorf("flag %q, want none", got.Flag)
				}
				if (tt.wallet == 100000) != (got.ReturnedAt != nil || got.ReleasedAt != nil) {
					t.Errorf("returned %v released %v; want the money back: %t", got.ReturnedAt, got.ReleasedAt, tt.wallet == 100000)
				}
				e.wantMoney(p, tt.wallet, 0)
				// A payout the bank failed (incorrect account number) marks the
				// account as not usable for payouts; a bounce leaves it usable.
				var acc models.BankAccount
				if err := db.Take(&acc, account.ID).Error; err != nil {
					t.Fatal(err)
				}
				failed := tt.scenario == sandbox.ScenarioPayoutFailed
				if wantCode := map[bool]string{true: "incorrect_account_number"}[failed]; acc.PayoutFailure != wantCode ||
					cashier.PayoutReady(acc) == failed || cashier.PayoutFailureCode(got) != wantCode {
					t.Errorf("account payout failure %q, ready %t, order's code %q; want %q", acc.PayoutFailure,
						cashier.PayoutReady(acc), cashier.PayoutFailureCode(got), wantCode)
				}
				if failed {
					_, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10))
					wantProblem(t, err, "A payout to this bank account failed")
				}
				if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 1 {
					t.Errorf("PayoutCalls %d, want 1", n)
				}

				// Replays: every notification again and, where the bank returned the
				// money, a second credit with its own notificationid and a cancel.
				// Nothing moves; a cancel after the bank's confirmation is flagged, as
				// it is in any order (TestPayoutNotificationSubsets).
				for _, n := range e.notes(got.TrustlyOrderID) {
					e.apply(n.raw)
				}
				if got.ReturnedAt != nil {
					e.apply(e.forge(trustly.MethodCredit, got, p, nil))
					e.apply(e.forge(trustly.MethodCancel, got, p, nil))
				}
				again := e.reload(order)
				wantFlag := ""
				if got.ReturnedAt != nil {
					wantFlag = "more than one credit notification: only the first was booked"
				}
				if got.ReturnedAt != nil && got.ConfirmedAt != nil {
					wantFlag += "; payoutconfirmation and cancel both came: the bank's confirmation stands and nothing is returned " +
						"without a credit (money a cancel returned first was taken back, below zero if need be), ask Trustly whether the payout was executed"
				}
				if again.Status != tt.status || again.Flag != wantFlag {
					t.Errorf("after replays: %s %q, want %s %q", again.Status, again.Flag, tt.status, wantFlag)
				}
				e.wantMoney(p, tt.wallet, 0)
			})
		}
	})
}

// TestPayoutArrivalOrder applies AccountPayout's result and each payout outcome's
// notifications in every order, the notifications twice, and checks every order
// ends with the same status and the money in the same place, booked once. The
// result comes through RequestPayout's real path: the test proxy holds the
// sandbox's answer until its turn, while the notifications, forged with the
// orderid in that answer, are applied. Cases without a result stand for a process
// that stopped between the reservation and the call.
func TestPayoutArrivalOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 10000)
		e.hold.Store(true) // only the forged notifications arrive
		held := e.holdAnswers()
		wallet := int64(1000000)
		for _, tt := range []struct {
			name   string
			events []string // "accepted" is AccountPayout's result
			status models.OrderStatus
			back   bool // the money is back in the wallet
		}{
			{"confirmed", []string{"accepted", "payoutconfirmation"}, models.OrderConfirmed, false},
			{"bounced", []string{"accepted", "payoutconfirmation", "credit"}, models.OrderFailed, true},
			{"failed", []string{"accepted", "payoutfailed", "credit"}, models.OrderFailed, true},
			{"failed, no credit yet", []string{"accepted", "payoutfailed"}, models.OrderFailed, false},
			{"result lost, bounced", []string{"payoutconfirmation", "credit"}, models.OrderFailed, true},
			{"cancelled before sending", []string{"cancel"}, models.OrderCancelled, true},
			{"cancel and credit", []string{"accepted", "cancel", "credit"}, models.OrderFailed, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				for _, perm := range permutationsOf(tt.events) {
					var (
						order  models.Order
						answer heldAnswer
						done   = make(chan error, 1)
					)
					// A payoutfailed marks the account as not usable for payouts;
					// each permutation starts with it usable again.
					if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
						t.Fatal(err)
					}
					if slices.Contains(tt.events, "accepted") {
						go func() {
							_, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
							done <- err
						}()
						answer = <-held
						if err := db.Where("kind = ? AND player_id = ?", models.OrderPayout, p.ID).Order("id DESC").Take(&order).Error; err != nil {
							t.Fatal(err)
						}
						order.TrustlyOrderID = answer.OrderID
					} else {
						var err error
						if order, err = e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 100)); err != nil {
							t.Fatal(err)
						}
						order.TrustlyOrderID = fmt.Sprintf("99%08d", order.ID)
					}
					notes := map[string][]byte{}
					for _, m := range tt.events {
						if m != "accepted" {
							notes[m] = e.forge(m, order, p, nil)
						}
					}
					for round := range 2 {
						for _, m := range perm {
							switch {
							case m != "accepted":
								e.apply(notes[m])
							case round == 0:
								close(answer.Release)
								if err := <-done; err != nil {
									t.Fatal(err)
								}
							}
						}
					}
					got := e.reload(order)
					if got.Status != tt.status || got.Flag != "" || got.TrustlyOrderID != order.TrustlyOrderID {
						t.Errorf("%v: got %s %q orderid %q, want %s orderid %q", perm, got.Status, got.Flag, got.TrustlyOrderID,
							tt.status, order.TrustlyOrderID)
					}
					if !tt.back {
						wallet -= 10000
					}
					e.wantMoney(p, wallet, 0)
				}
			})
		}
	})
}

func permutationsOf(items []string) [][]string {
	if len(items) <= 1 {
		return [][]string{append([]string(nil), items...)}
	}
	var out [][]string
	for i := range items {
		rest := append(append([]string(nil), items[:i]...), items[i+1:]...)
		for _, p := range permutationsOf(rest) {
			out = append(out, append([]string{items[i]}, p...))
		}
	}
	return out
}

// TestPayoutDenied: requests that may not be paid get a Problem, and nothing is
// reserved or sent.
func TestPayoutDenied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		other := e.player("SE")
		otherAccount := e.deposit(other, 100)
		// A deposit debited after the player spent it leaves the wallet below zero.
		blocked := e.player("SE")
		blockedAccount := e.deposit(blocked, 100)
		debit := models.Move("test:debit", "spent, then debited", models.PlayerWallet(blocked.ID), models.TrustlyClearing, e.money(blocked, 150))
		debit.AllowOverdraft = true
		if _, err := ledger.New(e.db).Post(e.ctx, debit); err != nil {
			t.Fatal(err)
		}
		if w, err := e.svc.Withdrawable(e.ctx, blocked); err != nil || w.Minor != 0 {
			t.Errorf("Withdrawable of a wallet below zero = %d, %v; want 0", w.Minor, err)
		}
		for _, tt := range []struct {
			name    string
			player  models.Player
			account int64
			amount  models.Money
			problem string
		}{
			{"below the minimum", p, account.ID, e.money(p, 5), "Choose an amount from"},
			{"above the maximum", p, account.ID, e.money(p, 10001), "Choose an amount from"},
			{"other currency", p, account.ID, models.Money{Minor: 10000, Currency: "EUR"}, "Payouts are made in your wallet's currency"},
			{"more than the balance", p, account.ID, e.money(p, 1001), "Your balance is too low"},
			{"another player's account", p, otherAccount.ID, e.money(p, 100), "Choose one of your saved bank accounts"},
			{"no such account", p, 999999, e.money(p, 100), "Choose one of your saved bank accounts"},
			{"blocked player", blocked, blockedAccount.ID, e.money(blocked, 10), "Your balance is below zero"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				order, err := e.svc.RequestPayout(e.ctx, tt.player, tt.account, tt.amount)
				wantProblem(t, err, tt.problem)
				if order.ID != 0 {
					t.Errorf("got order %d, want none", order.ID)
				}
			})
		}
		var n int64
		e.db.Model(&models.Order{}).Where("kind = ?", models.OrderPayout).Count(&n)
		if n != 0 || e.apiCalls("AccountPayout") != 0 {
			t.Errorf("%d payout orders, %d AccountPayout calls; want none", n, e.apiCalls("AccountPayout"))
		}
		e.wantMoney(p, 100000, 0)
		e.wantMoney(blocked, -5000, 0)
	})
}

// TestPayoutApproval: a payout above the approval limit waits, reserved, and is
// sent only when an admin approves it; a denied or cancelled one gives the money
// back. Only admins decide.
func TestPayoutApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 30000)
		admin := e.admin()

		big := func() models.Order { return e.awaitingApproval(p, account.ID, 6000) }
		approved, denied, cancelled := big(), big(), big()
		e.wantMoney(p, 1200000, 1800000)
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls before approval, want 0", n)
		}
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("ResumePayouts sent %d payouts awaiting approval", n)
		}
		waiting, err := e.svc.PayoutsAwaitingApproval(e.ctx, admin)
		if err != nil || len(waiting) != 3 || waiting[0].Order.ID != approved.ID || waiting[0].Account.ID != account.ID {
			t.Fatalf("PayoutsAwaitingApproval = %+v, %v", waiting, err)
		}

		// Only staff whose role decides payouts.
		viewer := e.staff(staff.RoleViewer)
		if _, err := e.svc.ApprovePayout(e.ctx, viewer, approved.ID, ""); !errors.Is(err, cashier.ErrNotAdmin) {
			t.Errorf("a viewer approving: %v, want ErrNotAdmin", err)
		}
		fake := viewer
		fake.Role = staff.RoleOwner // the role must come from the database
		if _, err := e.svc.DenyPayout(e.ctx, fake, denied.ID, "no"); !errors.Is(err, cashier.ErrNotAdmin) {
			t.Errorf("a viewer claiming owner: %v, want ErrNotAdmin", err)
		}
		if _, err := e.svc.PayoutsAwaitingApproval(e.ctx, staff.Member{ID: 1 << 40, Role: staff.RoleOwner}); !errors.Is(err, cashier.ErrNotAdmin) {
			t.Errorf("an unknown staff id listing approvals: %v, want ErrNotAdmin", err)
		}

		got, err := e.svc.ApprovePayout(e.ctx, admin, approved.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.ApprovedAt == nil || got.DecidedBy != admin.ID || got.SentAt == nil {
			t.Fatalf("approved order %+v", got)
		}
		e.waitStatus(approved, models.OrderConfirmed)
		if _, err := e.svc.ApprovePayout(e.ctx, admin, approved.ID, ""); err != nil {
			t.Errorf("approving twice: %v", err)
		}
		if n := e.sb.Sandbox.PayoutCalls(approved.MessageID); n != 1 {
			t.Errorf("PayoutCalls %d after approving twice, want 1", n)
		}

		got, err = e.svc.DenyPayout(e.ctx, admin, denied.ID, "source of funds unclear")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.OrderCancelled || got.Reason != "source of funds unclear" || cashier.PayoutStateText(got) != cashier.PayoutTextDenied {
			t.Errorf("denied order %s %q %q", got.Status, got.Reason, cashier.PayoutStateText(got))
		}
		if _, err := e.svc.DenyPayout(e.ctx, admin, denied.ID, "again"); err != nil {
			t.Errorf("denying twice: %v", err)
		}
		_, err = e.svc.ApprovePayout(e.ctx, admin, denied.ID, "")
		wantProblem(t, err, "This payout is no longer waiting for approval")
		_, err = e.svc.DenyPayout(e.ctx, admin, approved.ID, "too late")
		wantProblem(t, err, "This payout is no longer waiting for approval")

		other := e.player("SE")
		if _, err := e.svc.CancelPayout(e.ctx, other, cancelled.ID); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("another player cancelling: %v, want ErrOrderNotFound", err)
		}
		got, err = e.svc.CancelPayout(e.ctx, p, cancelled.ID)
		if err != nil || got.Status != models.OrderCancelled || cashier.PayoutStateText(got) != cashier.PayoutTextCancelled {
			t.Fatalf("cancel: %s %v", got.Status, err)
		}
		_, err = e.svc.CancelPayout(e.ctx, p, approved.ID)
		wantProblem(t, err, "This payout is no longer waiting for approval")
		if _, err := e.svc.ApprovePayout(e.ctx, admin, 999999, ""); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("approving an unknown payout: %v, want ErrOrderNotFound", err)
		}

		if n := e.apiCalls("AccountPayout"); n != 1 {
			t.Errorf("%d AccountPayout calls, want 1 (the approved payout)", n)
		}
		e.wantMoney(p, 2400000, 0)
	})
}

// TestApprovePayoutOfBlockedPlayer: a player blocked while their payout waits for
// approval cannot be paid out by approving it: the approval is refused with a
// sentence telling staff what to do, nothing is sent and the money stays
// reserved; denying it gives the money back; once unblocked, a waiting payout can
// be approved again. A block and an approval at the same moment never both pass.
func TestApprovePayoutOfBlockedPlayer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 30000)
		admin := e.admin()
		request := func() models.Order { return e.awaitingApproval(p, account.ID, 6000) }
		denied, later := request(), request()
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, true, "chargeback under review"); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.ApprovePayout(e.ctx, admin, denied.ID, "")
		wantProblem(t, err, "The player has been blocked since asking for this payout")
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls for a blocked player, want 0", n)
		}
		e.wantMoney(p, 1800000, 1200000)
		if _, err := e.svc.DenyPayout(e.ctx, admin, denied.ID, "player blocked"); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 2400000, 600000)

		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, false, "chargeback cleared"); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.ApprovePayout(e.ctx, admin, later.ID, "")
		if err != nil || got.SentAt == nil {
			t.Fatalf("approving after the unblock: sent %v, %v", got.SentAt, err)
		}
		e.waitStatus(later, models.OrderConfirmed)

		// A block and an approval racing: either the approval is refused, or it went
		// through before the block; never a payout approved after the player was
		// blocked.
		paid := int64(1)
		for range 3 {
			order := request()
			var wg sync.WaitGroup
			var approveErr, blockErr error
			var approved models.Order
			wg.Go(func() { approved, approveErr = e.svc.ApprovePayout(e.ctx, admin, order.ID, "") })
			wg.Go(func() { _, _, blockErr = e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, true, "race") })
			wg.Wait()
			if blockErr != nil {
				t.Fatal(blockErr)
			}
			var audits []staff.Audit
			if err := db.Where("order_id = ? OR (player_id = ? AND event = ?)", order.ID, p.ID, staff.EventPlayerBlocked).
				Order("id").Find(&audits).Error; err != nil {
				t.Fatal(err)
			}
			if approveErr == nil {
				// Approved first: its audit row comes before the block's.
				last := audits[len(audits)-1]
				if last.Event != staff.EventPlayerBlocked || approved.ApprovedAt == nil {
					t.Fatalf("approved %v while the block's audit is not last: %+v", approved.ApprovedAt, audits)
				}
				e.waitStatus(order, models.OrderConfirmed)
				paid++
			} else {
				wantProblem(t, approveErr, "The player has been blocked since asking for this payout")
				if _, err := e.svc.DenyPayout(e.ctx, admin, order.ID, "blocked"); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, false, "race over"); err != nil {
				t.Fatal(err)
			}
		}
		e.wantMoney(p, 3000000-paid*600000, 0)
	})
}

// TestApprovePayoutAfterDepositReturned: the bank returns the deposit behind
// payouts waiting for approval (a debit), and the wallet goes below zero, which
// blocks payouts. Approving one, with a single approval or the second of two, is
// refused with a sentence telling staff why: nothing is sent, no approval is
// recorded, and the payouts keep waiting, reserved, until staff deny them, which
// gives their money back towards the debt. A wallet at exactly zero does not
// block an approval.
func TestApprovePayoutAfterDepositReturned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		p := e.player("SE")
		account := e.deposit(p, 14000)
		dep := e.lastDeposit(p)
		single, double := e.awaitingApproval(p, account.ID, 6000), e.awaitingApproval(p, account.ID, 8000)
		first, second := e.admin(), e.staff(staff.RoleFinance)
		e.wantMoney(p, 0, 1400000)
		if got, err := e.svc.ApprovePayout(e.ctx, first, double.ID, "first vote"); err != nil || got.Status != models.OrderAwaitingApproval {
			t.Fatalf("first of two approvals at a wallet of zero: %s, %v; want recorded, awaiting the second", got.Status, err)
		}

		e.apply(e.forge(trustly.MethodDebit, dep, p, map[string]any{"amount": dep.Amount.String(), "currency": dep.Amount.Currency,
			"attributes": map[string]any{}}))
		e.wantMoney(p, -1400000, 1400000)
		if blocked, err := e.svc.Blocked(e.ctx, p); err != nil || !blocked {
			t.Fatalf("Blocked = %t, %v; want true", blocked, err)
		}
		for _, tt := range []struct {
			name  string
			by    staff.Member
			order models.Order
		}{{"single approval", first, single}, {"second of two", second, double}} {
			_, err := e.svc.ApprovePayout(e.ctx, tt.by, tt.order.ID, "")
			wantProblem(t, err, "The player's balance is below zero because their bank returned a deposit")
			got := e.reload(tt.order)
			var approvals int64
			db.Model(&staff.Audit{}).Where("order_id = ? AND event = ?", tt.order.ID, staff.EventPayoutApproved).Count(&approvals)
			if got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil || got.Attempts != 0 || approvals != 0 {
				t.Errorf("%s refused: %s approved %v after %d attempts, %d approval audits; want still waiting, none",
					tt.name, got.Status, got.ApprovedAt, got.Attempts, approvals)
			}
		}
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls for a wallet below zero, want 0", n)
		}
		e.wantMoney(p, -1400000, 1400000)

		// Denying one pays back part of the debt; the other still may not go.
		if _, err := e.svc.DenyPayout(e.ctx, first, single.ID, "deposit returned"); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, -800000, 800000)
		_, err := e.svc.ApprovePayout(e.ctx, second, double.ID, "")
		wantProblem(t, err, "The player's balance is below zero because their bank returned a deposit")
		if _, err := e.svc.DenyPayout(e.ctx, second, double.ID, "deposit returned"); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 0, 0)
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Errorf("%d AccountPayout calls, want 0", n)
		}
	})
}

// TestPayoutDecisionRace: two admins approving, two denying and the player
// cancelling, all at once, for payouts waiting for approval. Exactly one decision
// wins for each payout: it is either paid out once or released once, never both,
// and the money adds up.
func TestPayoutDecisionRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 30000)
		admin := e.admin()
		var orders []models.Order
		for range 4 {
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000))
			if err != nil || o.Status != models.OrderAwaitingApproval {
				t.Fatalf("request: %s %v, want awaiting-approval", o.Status, err)
			}
			orders = append(orders, o)
		}

		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, o := range orders {
			for _, decide := range []func() (models.Order, error){
				func() (models.Order, error) { return e.svc.ApprovePayout(e.ctx, admin, o.ID, "") },
				func() (models.Order, error) { return e.svc.ApprovePayout(e.ctx, admin, o.ID, "") },
				func() (models.Order, error) { return e.svc.DenyPayout(e.ctx, admin, o.ID, "race") },
				func() (models.Order, error) { return e.svc.DenyPayout(e.ctx, admin, o.ID, "race") },
				func() (models.Order, error) { return e.svc.CancelPayout(e.ctx, p, o.ID) },
				func() (models.Order, error) { return e.svc.CancelPayout(e.ctx, p, o.ID) },
			} {
				wg.Go(func() {
					<-start
					var problem *models.Problem
					if _, err := decide(); err != nil && !errors.As(err, &problem) {
						t.Errorf("order %d: %v", o.ID, err)
					}
				})
			}
		}
		close(start)
		wg.Wait()

		sent := 0
		for _, o := range orders {
			got := e.reload(o)
			switch calls := e.sb.Sandbox.PayoutCalls(o.MessageID); {
			case calls == 1 && got.ApprovedAt != nil && got.ReleasedAt == nil && got.DeniedAt == nil:
				sent++
				e.waitStatus(o, models.OrderConfirmed)
			case calls == 0 && got.ApprovedAt == nil && got.ReleasedAt != nil && got.Status == models.OrderCancelled:
			default:
				t.Errorf("order %d: %d AccountPayout calls, status %s, approved %v, released %v, denied %v",
					o.ID, calls, got.Status, got.ApprovedAt, got.ReleasedAt, got.DeniedAt)
			}
		}
		if n := e.apiCalls("AccountPayout"); n != sent {
			t.Errorf("%d AccountPayout calls, want %d (one per approved payout)", n, sent)
		}
		e.wantMoney(p, 3000000-int64(sent)*600000, 0)
	})
}

// TestPayoutRace: 200 concurrent payouts for a player whose balance covers 10:
// exactly 10 are reserved and sent, the rest are told the balance is too low, and
// the wallet never goes below zero.
func TestPayoutRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			sent   []models.Order
			denied int
		)
		start := make(chan struct{})
		for range 200 {
			wg.Go(func() {
				<-start
				order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
				mu.Lock()
				defer mu.Unlock()
				var problem *models.Problem
				switch {
				case err == nil:
					sent = append(sent, order)
				case errors.As(err, &problem) && problem.Message[:27] == "Your balance is too low for":
					denied++
				default:
					t.Errorf("RequestPayout: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(sent) != 10 || denied != 190 {
			t.Fatalf("%d sent, %d denied; want 10 and 190", len(sent), denied)
		}
		for _, o := range sent {
			e.waitStatus(o, models.OrderConfirmed)
			if n := e.sb.Sandbox.PayoutCalls(o.MessageID); n != 1 {
				t.Errorf("order %d: PayoutCalls %d, want 1", o.ID, n)
			}
		}
		var orders int64
		db.Model(&models.Order{}).Where("kind = ?", models.OrderPayout).Count(&orders)
		if orders != 10 || e.apiCalls("AccountPayout") != 10 {
			t.Errorf("%d payout orders, %d AccountPayout calls; want 10 and 10", orders, e.apiCalls("AccountPayout"))
		}
		e.wantMoney(p, 0, 0)
	})
}

// TestPayoutTimeout: AccountPayout's answer is lost after the sandbox created the
// payout. The order stays sending with its money reserved; ResumePayouts asks
// again with the same MessageID, the sandbox answers 637, and Trustly's ledger,
// asked in the same run, shows the payout, so it counts as sent. The sandbox
// executed it once, and the money left the wallet once.
func TestPayoutTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, retryWhileHeld(t))
		p := e.player("SE")
		account := e.deposit(p, 1000)
		slow := e.service(func(c *trustly.Config) {
			c.Extra = map[string]string{"SandboxScenario": string(sandbox.ScenarioSlowAPI)}
			c.HTTP = &http.Client{Timeout: 500 * time.Millisecond} // the sandbox holds its answer 1 s
		})
		e.hold.Store(true) // no notification may reveal the payout before ResumePayouts
		order, err := slow.RequestPayout(e.ctx, p, account.ID, e.money(p, 400))
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != models.OrderSending || order.TrustlyOrderID != "" || cashier.PayoutStateText(order) != cashier.PayoutTextSending {
			t.Fatalf("after the timeout: %s %q %q; want sending", order.Status, order.TrustlyOrderID, cashier.PayoutStateText(order))
		}
		// The call arrived and is carried out; only its answer is lost (under load
		// the sandbox may still be booking it when the client gives up).
		e.waitFor("the sandbox to carry out the lost call", func() bool { return e.sb.Sandbox.PayoutCalls(order.MessageID) == 1 })
		e.wantMoney(p, 60000, 40000)

		// Too soon: the first call might still be on its way.
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 1 {
			t.Fatalf("ResumePayouts within the grace period called again: PayoutCalls %d", n)
		}
		e.clock.Advance(3 * time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		got := e.reload(order)
		if got.Status != models.OrderSent || got.Attempts != 2 {
			t.Fatalf("after ResumePayouts: %s after %d attempts; want sent after 2", got.Status, got.Attempts)
		}
		if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 2 {
			t.Errorf("PayoutCalls %d, want 2 (the lost call and the 637)", n)
		}
		e.wantMoney(p, 60000, 0)

		e.hold.Store(false)
		got = e.waitStatus(order, models.OrderConfirmed)
		if got.TrustlyOrderID == "" {
			t.Error("the order did not learn Trustly's orderid from the notification")
		}
		e.clock.Advance(time.Hour)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 || e.sb.Sandbox.PayoutCalls(order.MessageID) != 2 {
			t.Errorf("sandbox executed %d payouts after %d calls; want 1 after 2", n, e.sb.Sandbox.PayoutCalls(order.MessageID))
		}
		e.wantMoney(p, 60000, 0)
	})
}

// TestPayoutNoAnswer: AccountPayout goes to a server that accepts the connection
// and never answers, so the outcome is unknown and nothing reached Trustly;
// ResumePayouts with a working client sends it once.
func TestPayoutNoAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		deaf := e.service(func(c *trustly.Config) {
			c.URL = "http://" + ln.Addr().String() + "/api/1"
			c.HTTP = &http.Client{Timeout: 200 * time.Millisecond}
		})
		order, err := deaf.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil || order.Status != models.OrderSending {
			t.Fatalf("got %s, %v; want sending", order.Status, err)
		}
		if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 0 {
			t.Fatalf("PayoutCalls %d, want 0", n)
		}
		e.clock.Advance(3 * time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(order, models.OrderConfirmed)
		if n, m := e.sb.Sandbox.PayoutCalls(order.MessageID), e.sandboxPayouts(order.MessageID, "SEK"); n != 1 || m != 1 {
			t.Errorf("PayoutCalls %d, payouts executed %d; want 1 and 1", n, m)
		}
		e.wantMoney(p, 90000, 0)
	})
}

// TestPayoutResumeAfterCrash: the process stopped after reserving and before
// calling AccountPayout. A new Service on the same database resumes it once, even
// when two instances resume at the same moment.
func TestPayoutResumeAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order, err := e.svc.ReservePayoutOnly(e.ctx, p, account.ID, e.money(p, 150))
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != models.OrderRequested {
			t.Fatalf("status %s, want requested", order.Status)
		}
		e.wantMoney(p, 85000, 15000)

		a, b := e.service(nil), e.service(nil) // two instances started after the crash
		e.clock.Advance(3 * time.Minute)
		var wg sync.WaitGroup
		for _, svc := range []*cashier.Service{a, b} {
			wg.Go(func() {
				if err := svc.ResumePayouts(e.ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		e.waitStatus(order, models.OrderConfirmed)
		if err := a.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sb.Sandbox.PayoutCalls(order.MessageID); n != 1 {
			t.Errorf("PayoutCalls %d, want 1", n)
		}
		if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 {
			t.Errorf("sandbox executed %d payouts, want 1", n)
		}
		e.wantMoney(p, 85000, 0)
	})
}

// TestRefreshPayout: GetWithdrawals is asked at most once per 15 minutes per
// payout, and its state is shown in words.
func TestRefreshPayout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 10000)

		// The small one first: the payouts of 24 hours count together, so after the
		// waiting one it would wait too (cashier.PayoutWindow).
		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(order, models.OrderConfirmed)

		waiting, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000)) // above the approval limit
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.RefreshPayout(e.ctx, p, waiting.ID); err != nil || got.Status != models.OrderAwaitingApproval {
			t.Fatalf("RefreshPayout of a payout awaiting approval: %s, %v", got.Status, err)
		}
		if n := e.apiCalls("GetWithdrawals"); n != 0 {
			t.Fatalf("GetWithdrawals for an unsent payout: %d calls", n)
		}
		for _, tt := range []struct {
			advance time.Duration
			calls   int
		}{{0, 1}, {0, 1}, {14*time.Minute + 59*time.Second, 1}, {time.Second, 2}, {time.Minute, 2}, {15 * time.Minute, 3}} {
			e.clock.Advance(tt.advance)
			got, err := e.svc.RefreshPayout(e.ctx, p, order.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := e.apiCalls("GetWithdrawals"); n != tt.calls {
				t.Errorf("after +%s: %d GetWithdrawals calls, want %d", tt.advance, n, tt.calls)
			}
			if got.TransferState != "CONFIRMED" || got.TransferChecks != tt.calls || cashier.PayoutStateText(got) != cashier.PayoutTextPaid {
				t.Errorf("got %q after %d checks (%q), want CONFIRMED", got.TransferState, got.TransferChecks, cashier.PayoutStateText(got))
			}
		}
		other := e.player("SE")
		if _, err := e.svc.RefreshPayout(e.ctx, other, order.ID); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("another player's payout: %v, want ErrOrderNotFound", err)
		}
	})
}

// TestTransferStateOfItsOwnRow: RefreshPayout takes the state of the row about
// its own payout; rows about other orders alone tell nothing (the stored state is
// kept), whichever order they come in.
func TestTransferStateOfItsOwnRow(t *testing.T) {
	other := trustly.Withdrawal{OrderID: "111", TransferState: "CONFIRMED"}
	own := trustly.Withdrawal{OrderID: "222", TransferState: "EXECUTING"}
	for _, tt := range []struct {
		rows  []trustly.Withdrawal
		state string
		ok    bool
	}{
		{nil, "", false},
		{[]trustly.Withdrawal{other}, "", false},
		{[]trustly.Withdrawal{other, own}, "EXECUTING", true},
		{[]trustly.Withdrawal{own, other}, "EXECUTING", true},
	} {
		if state, ok := cashier.TransferState(tt.rows, "222"); state != tt.state || ok != tt.ok {
			t.Errorf("rows %v: %q, %t; want %q, %t", tt.rows, state, ok, tt.state, tt.ok)
		}
	}
}

// TestPayoutStateText lists the words for each state.
func TestPayoutStateText(t *testing.T) {
	at := time.Now()
	for _, tt := range []struct {
		order models.Order
		want  string
	}{
		{models.Order{NeedsApproval: true}, cashier.PayoutTextAwaitingApproval},
		{models.Order{NeedsApproval: true, ApprovedAt: &at}, cashier.PayoutTextSending},
		{models.Order{}, cashier.PayoutTextSending},
		{models.Order{OutcomeUnknownAt: &at}, cashier.PayoutTextSending},
		{models.Order{OutcomeUnknownAt: &at, CheckingAt: &at}, cashier.PayoutTextChecking},
		{models.Order{CheckingAt: &at, SentAt: &at}, cashier.PayoutTextOnItsWay},
		{models.Order{CheckingAt: &at, FailedAt: &at, ReleasedAt: &at}, cashier.PayoutTextNotSent},
		{models.Order{SentAt: &at}, cashier.PayoutTextOnItsWay},
		{models.Order{SentAt: &at, TransferState: "EXECUTING"}, cashier.PayoutTextOnItsWay},
		{models.Order{SentAt: &at, TransferState: "SOMETHING_NEW"}, cashier.PayoutTextOnItsWay},
		{models.Order{SentAt: &at, TransferState: "CONFIRMED"}, cashier.PayoutTextPaid},
		{models.Order{SentAt: &at, TransferState: "BOUNCED"}, cashier.PayoutTextBankFailed},
		{models.Order{SentAt: &at, ConfirmedAt: &at}, cashier.PayoutTextPaid},
		{models.Order{SentAt: &at, ConfirmedAt: &at, TransferState: "RETURNED"}, cashier.PayoutTextBankFailed},
		{models.Order{SentAt: &at, PayoutFailedAt: &at}, cashier.PayoutTextBankFailed},
		{models.Order{SentAt: &at, ConfirmedAt: &at, CreditedAt: &at, ReturnedAt: &at}, cashier.PayoutTextReturned},
		{models.Order{SentAt: &at, PayoutFailedAt: &at, CreditedAt: &at, ReturnedAt: &at}, cashier.PayoutTextRefused},
		{models.Order{FailedAt: &at, ReleasedAt: &at}, cashier.PayoutTextNotSent},
		{models.Order{NeedsApproval: true, DeniedAt: &at, ReleasedAt: &at}, cashier.PayoutTextDenied},
		{models.Order{NeedsApproval: true, CancelledAt: &at, ReleasedAt: &at}, cashier.PayoutTextCancelled},
		{models.Order{SentAt: &at, CancelledAt: &at, ReturnedAt: &at}, cashier.PayoutTextCancelled},
	} {
		o := tt.order
		o.Kind = models.OrderPayout
		o.Refresh()
		if got := cashier.PayoutStateText(o); got != tt.want {
			t.Errorf("%s: got %q, want %q", o.Status, got, tt.want)
		}
	}
}

// TestStaffTextLengthsSaid: a block's reason of 500 characters and a note of 2000
// are taken, one more is refused, and the sentence names the longest allowed
// ("or fewer"), not a length under it that the limit itself would take.
func TestStaffTextLengthsSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		admin := e.admin()
		_, _, err := e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, true, strings.Repeat("r", 501))
		wantProblem(t, err, "Keep the reason to 500 characters or fewer.")
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, admin, p.ID, true, strings.Repeat("r", 500)); err != nil {
			t.Fatalf("a reason of 500 characters: %v", err)
		}
		_, err = e.svc.AddPlayerNote(e.ctx, admin, p.ID, strings.Repeat("n", 2001))
		wantProblem(t, err, "Keep the note to 2000 characters or fewer.")
		if _, err := e.svc.AddPlayerNote(e.ctx, admin, p.ID, strings.Repeat("n", 2000)); err != nil {
			t.Fatalf("a note of 2000 characters: %v", err)
		}
	})
}
