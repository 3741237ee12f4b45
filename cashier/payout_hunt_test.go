package cashier_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutReshapedNotifications: an attacker's view of a sent payout's
// notifications, each signed as Trustly signs them. Every one of
// payoutconfirmation, payoutfailed, credit and cancel comes first reshaped: of
// another amount or currency, naming another player, under another Trustly
// orderid (our messageid), under the payout's orderid with a messageid of
// nobody's or of another payout of the player's. None of them books anything or
// decides the payout (it stays sent, flagged for staff), and the other payout is
// untouched; then the genuine one, timestamped a day before the payout was made
// (Trustly's clock, not ours, and signed), applies as it would have, and a copy
// of it under a new notificationid changes nothing more. The ledger audits after
// each step and the money is always in one place.
func TestPayoutReshapedNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := payLimits("SEK")
		l.ApprovalAbove = l.MaxDeposit // every payout goes at once, however many
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		p := e.player("SE")
		account := e.deposit(p, 10000)
		e.hold.Store(true) // only the forged notifications arrive
		other := e.player("SE")
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
			for _, tt := range []struct {
				name      string
				fields    map[string]any
				orderID   string // Trustly's orderid named, "" for the payout's
				withMoney bool   // only for methods that name an amount
			}{
				{"another amount", map[string]any{"amount": "29.99"}, "", true},
				{"another currency", map[string]any{"currency": "EUR"}, "", true},
				{"another player", map[string]any{"enduserid": other.EndUserID}, "", false},
				{"another orderid", nil, "other", false},
				{"nobody's messageid", map[string]any{"messageid": "nobody-" + fmt.Sprint(time.Now().UnixNano())}, "", false},
				{"another payout's messageid", nil, "", false},
			} {
				if tt.withMoney && method == trustly.MethodCancel {
					continue // a cancel names no amount
				}
				if tt.name == "another amount" && method == trustly.MethodCredit {
					continue // booked as Trustly says (TestPayoutCreditMismatch)
				}
				t.Run(method+"/"+tt.name, func(t *testing.T) {
					e.t = t
					if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
						t.Fatal(err)
					}
					wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
					order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
					if err != nil || order.Status != models.OrderSent || order.TrustlyOrderID == "" {
						t.Fatalf("payout: %s %q, %v; want sent", order.Status, order.TrustlyOrderID, err)
					}
					second, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 20))
					if err != nil || second.Status != models.OrderSent {
						t.Fatalf("second payout: %s, %v; want sent", second.Status, err)
					}
					wallet -= 5000
					e.wantMoney(p, wallet, 0)

					shaped := order
					if tt.orderID != "" {
						shaped.TrustlyOrderID = fmt.Sprintf("96%08d", order.ID)
					}
					fields := tt.fields
					if tt.name == "another payout's messageid" {
						fields = map[string]any{"messageid": second.MessageID}
					}
					e.apply(e.forge(method, shaped, p, fields))
					got, got2 := e.reload(order), e.reload(second)
					if got.Status != models.OrderSent || got.Flag == "" || got.ConfirmedAt != nil || got.PayoutFailedAt != nil ||
						got.CreditedAt != nil || got.CancelledAt != nil || got.ReturnedAt != nil {
						t.Errorf("after the reshaped %s: %s, flag %q; want sent, flagged, nothing applied", method, got.Status, got.Flag)
					}
					if got2.Status != models.OrderSent || got2.Flag != "" {
						t.Errorf("the other payout after it: %s, flag %q; want sent, unflagged", got2.Status, got2.Flag)
					}
					var acc models.BankAccount
					if err := db.Take(&acc, account.ID).Error; err != nil || acc.PayoutFailure != "" {
						t.Errorf("bank account marked %q (%v); want usable", acc.PayoutFailure, err)
					}
					e.wantMoney(p, wallet, 0)

					// The genuine one, timestamped before the payout was made, then a
					// copy of it under a new notificationid.
					early := map[string]any{"timestamp": trustly.FormatTimestamp(order.CreatedAt.Add(-24 * time.Hour))}
					genuine := e.forge(method, order, p, early)
					e.apply(genuine)
					want, back := map[string]models.OrderStatus{
						trustly.MethodPayoutConfirmation: models.OrderConfirmed, trustly.MethodPayoutFailed: models.OrderFailed,
						trustly.MethodCredit: models.OrderFailed, trustly.MethodCancel: models.OrderCancelled,
					}[method], method == trustly.MethodCredit || method == trustly.MethodCancel
					if back {
						wallet += 3000
					}
					if got := e.reload(order); got.Status != want {
						t.Errorf("after the genuine %s: %s; want %s", method, got.Status, want)
					}
					e.wantMoney(p, wallet, 0)
					e.apply(e.forge(method, order, p, early))
					if got := e.reload(order); got.Status != want {
						t.Errorf("after a copy under a new notificationid: %s; want %s", got.Status, want)
					}
					e.wantMoney(p, wallet, 0)
					if got2 := e.reload(second); got2.Status != models.OrderSent || got2.Flag != "" {
						t.Errorf("the other payout in the end: %s, flag %q; want sent, unflagged", got2.Status, got2.Flag)
					}
					e.wantBookedOnce(order)
				})
			}
		}
	})
}

// wantBookedOnce checks that each of a payout's transfers is in the ledger at
// most once and that what went back to the wallet went back once at most.
func (e *payEnv) wantBookedOnce(o models.Order) {
	e.t.Helper()
	back := int64(0)
	for ref, sign := range map[string]int64{"return": 1, "return-again": 1, "release": 1, "retake": -1, "send": 0, "reserve": 0} {
		var n int64
		if err := e.db.Model(&models.Transfer{}).Where("reference = ?", o.Reference(ref)).Count(&n).Error; err != nil {
			e.t.Fatal(err)
		}
		if n > 1 {
			e.t.Errorf("%s booked %d times", o.Reference(ref), n)
		}
		back += sign * n
	}
	if back < 0 || back > 1 {
		e.t.Errorf("order %d: %d transfers back to the wallet, net; want 0 or 1", o.ID, back)
	}
	if err := ledger.New(e.db).Audit(e.ctx); err != nil {
		e.t.Error(err)
	}
}

// TestPayoutLateNotifications: notifications after a payout settled, each under
// a new notificationid. After a bounce (payoutconfirmation, credit: the money back
// in the wallet), a payoutconfirmation, payoutfailed, credit and cancel come again:
// nothing more is booked and the payout still reads failed. After Trustly's signed
// refusal of the first call (the reservation released), the same four say Trustly
// has a payout it refused: flagged for staff, nothing booked, the money in the
// wallet once.
func TestPayoutLateNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		late := []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel}

		bounced, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if err != nil || bounced.Status != models.OrderSent {
			t.Fatalf("payout: %s, %v; want sent", bounced.Status, err)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, bounced, p, nil))
		e.apply(e.forge(trustly.MethodCredit, bounced, p, nil))
		e.wantMoney(p, 100000, 0)
		for _, m := range late {
			e.apply(e.forge(m, bounced, p, nil))
			if got := e.reload(bounced); got.Status != models.OrderFailed || got.ReturnedAt == nil {
				t.Errorf("bounced payout after a late %s: %s, returned %v; want failed, returned", m, got.Status, got.ReturnedAt)
			}
			e.wantMoney(p, 100000, 0)
		}
		e.wantBookedOnce(bounced)

		// The late payoutfailed marked the account, as any payoutfailed does.
		if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
			t.Fatal(err)
		}
		refused, err := e.scenario(sandbox.ScenarioPayoutRejected).RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		wantProblem(t, err, "Trustly could not send your payout")
		if err := db.Where("kind = ? AND player_id = ?", models.OrderPayout, p.ID).Order("id DESC").Take(&refused).Error; err != nil {
			t.Fatal(err)
		}
		if refused.Status != models.OrderFailed || refused.ReleasedAt == nil {
			t.Fatalf("refused payout: %s, released %v; want failed, released", refused.Status, refused.ReleasedAt)
		}
		refused.TrustlyOrderID = fmt.Sprintf("95%08d", refused.ID)
		e.wantMoney(p, 100000, 0)
		for _, m := range late {
			e.apply(e.forge(m, refused, p, nil))
			got := e.reload(refused)
			if got.Status != models.OrderFailed || got.SentAt != nil || !strings.Contains(got.Flag, "released") {
				t.Errorf("refused payout after a late %s: %s, sent %v, flag %q; want failed, not sent, flagged", m, got.Status, got.SentAt, got.Flag)
			}
			e.wantMoney(p, 100000, 0)
		}
		e.wantBookedOnce(refused)
	})
}

// TestPayoutLostAnswerNotifiedFirst: AccountPayout's answer is lost on its way
// back (the sandbox carried the payout out), and the sandbox's own notifications
// for it (a bounce: payoutconfirmation then credit; a bank failure: payoutfailed
// then credit; a plain confirmation) arrive before the janitor comes by. They
// teach the payout Trustly's orderid and settle it; the janitor then sends
// nothing again, and the money left the wallet, or came back, once.
func TestPayoutLostAnswerNotifiedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, retryWhileHeld(t))
		p := e.player("SE")
		account := e.deposit(p, 1000)
		wallet := int64(100000)
		for _, tt := range []struct {
			scenario sandbox.Scenario
			want     models.OrderStatus
			back     bool
		}{
			{sandbox.ScenarioPayoutConfirmed, models.OrderConfirmed, false},
			{sandbox.ScenarioPayoutBounce, models.OrderFailed, true},
			{sandbox.ScenarioPayoutFailed, models.OrderFailed, true},
		} {
			t.Run(string(tt.scenario), func(t *testing.T) {
				e.t = t
				if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
					t.Fatal(err)
				}
				e.hold.Store(true) // the notifications wait until the answer is lost
				e.lose.Store(1)
				order, err := e.scenario(tt.scenario).RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
				if err != nil || order.Status != models.OrderSending || order.TrustlyOrderID != "" {
					t.Fatalf("after the lost answer: %s %q, %v; want sending, no orderid", order.Status, order.TrustlyOrderID, err)
				}
				e.wantMoney(p, wallet-10000, 10000)
				calls := e.apiCalls("AccountPayout")
				e.hold.Store(false)
				want := []string{"payoutconfirmation"}
				switch tt.scenario {
				case sandbox.ScenarioPayoutBounce:
					want = append(want, "credit")
				case sandbox.ScenarioPayoutFailed:
					want = []string{"payoutfailed", "credit"}
				}
				e.waitFor("the sandbox's notifications", func() bool {
					var n int64
					db.Model(&models.Notification{}).Where("order_id = ?", order.ID).Count(&n)
					return n >= int64(len(want))
				})
				got := e.waitStatus(order, tt.want)
				if got.TrustlyOrderID == "" || got.SentAt == nil {
					t.Errorf("orderid %q, sent %v; want learnt from the notifications, sent", got.TrustlyOrderID, got.SentAt)
				}
				if tt.back {
					e.waitFor("the credit", func() bool { return e.reload(order).ReturnedAt != nil })
				} else {
					wallet -= 10000
				}
				e.wantMoney(p, wallet, 0)
				e.clock.Advance(3 * time.Minute)
				if err := e.svc.ResumePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
				if n := e.apiCalls("AccountPayout") - calls; n != 0 {
					t.Errorf("%d AccountPayout calls after the notifications; want none", n)
				}
				if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 {
					t.Errorf("the sandbox executed %d payouts; want 1", n)
				}
				if got := e.reload(order); got.Status != tt.want || got.Flag != "" {
					t.Errorf("after the janitor: %s, flag %q; want %s, unflagged", got.Status, got.Flag, tt.want)
				}
				e.wantMoney(p, wallet, 0)
				e.wantBookedOnce(order)
			})
		}
	})
}

// TestPayoutsRaceReturns: a player's payouts race for the balance while money
// comes back to it at the same moment: a cancel returning a sent payout, and a
// member denying one that waited for approval. Each request is either reserved
// or refused for the balance; the wallet never goes below zero (the ledger's
// guarded UPDATE), nothing is booked twice, and in the end the wallet holds
// exactly what the deposit gave less the payouts that went.
func TestPayoutsRaceReturns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 7000)
		e.hold.Store(true) // only the forged notifications arrive
		admin := e.admin()
		sent, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 1000))
		if err != nil || sent.Status != models.OrderSent {
			t.Fatalf("payout: %s, %v; want sent", sent.Status, err)
		}
		waiting := e.awaitingApproval(p, account.ID, 5500)
		e.wantMoney(p, 50000, 550000)
		cancel := e.forge(trustly.MethodCancel, sent, p, nil)

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			made     []models.Order
			refusals int
		)
		start := make(chan struct{})
		for range 40 {
			wg.Go(func() {
				<-start
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
				mu.Lock()
				defer mu.Unlock()
				var problem *models.Problem
				switch {
				case err == nil:
					made = append(made, o)
				case errors.As(err, &problem) && strings.HasPrefix(problem.Message, "Your balance is too low for"):
					refusals++
				default:
					t.Errorf("RequestPayout: %v", err)
				}
			})
		}
		wg.Go(func() {
			<-start
			if _, err := e.svc.HandleNotification(e.ctx, cancel); err != nil {
				t.Errorf("cancel: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			if _, err := e.svc.DenyPayout(e.ctx, admin, waiting.ID, "race"); err != nil {
				t.Errorf("deny: %v", err)
			}
		})
		close(start)
		wg.Wait()
		if len(made)+refusals != 40 || len(made) < 5 {
			t.Fatalf("%d reserved, %d refused; want 40 in all, at least the 5 the wallet held", len(made), refusals)
		}
		out := int64(0)
		for _, o := range made {
			if o.Status != models.OrderSent && o.Status != models.OrderAwaitingApproval {
				t.Errorf("payout %d: %s", o.ID, o.Status)
			}
			out += o.Amount.Minor
			e.wantBookedOnce(o)
		}
		if got := e.reload(sent); got.Status != models.OrderCancelled {
			t.Errorf("the cancelled payout: %s; want cancelled", got.Status)
		}
		if got := e.reload(waiting); got.Status != models.OrderCancelled || got.DeniedAt == nil {
			t.Errorf("the denied payout: %s; want cancelled, denied", got.Status)
		}
		e.wantBookedOnce(sent)
		e.wantBookedOnce(waiting)
		reserved := int64(0)
		for _, o := range made {
			if o.Status == models.OrderAwaitingApproval {
				reserved += o.Amount.Minor
			}
		}
		e.wantMoney(p, 700000-out, reserved)
		e.wantNeverBelowZero(models.PlayerWallet(p.ID))
	})
}

// wantNeverBelowZero checks, entry by entry in the order they were written, that
// account's balance (one currency's: a player's wallet) was never below zero.
func (e *payEnv) wantNeverBelowZero(account models.LedgerAccount) {
	e.t.Helper()
	var amounts []int64
	err := e.db.Model(&models.Entry{}).Where("account = ?", account).Order("id").Pluck("minor", &amounts).Error
	if err != nil {
		e.t.Fatal(err)
	}
	sum := int64(0)
	for i, a := range amounts {
		if sum += a; sum < 0 {
			e.t.Errorf("%s below zero after its entry %d: %d", account, i, sum)
		}
	}
}

// TestPayoutNotificationAfterRelease: a payout that waited for approval and was
// denied by a member, or cancelled by the player, was never sent to Trustly, which
// cannot know its MessageID. A signed payoutconfirmation, payoutfailed, credit or
// cancel naming it afterwards is what one naming it while it waited is
// (TestPayoutNotificationWhileAwaitingApproval): flagged and applied to nothing.
// Before, it was applied to the released payout: a payoutfailed or a credit made
// a denied payout read failed ("Not paid: the bank refused…"), a payoutfailed
// marked the player's bank account failed so that no payout could go to it, and
// the payout took the notification's orderid as Trustly's.
func TestPayoutNotificationAfterRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		e.hold.Store(true) // only the forged notifications arrive
		admin := e.admin()
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
			for _, by := range []string{"denied", "cancelled"} {
				t.Run(method+"/"+by, func(t *testing.T) {
					e.t = t
					order := e.awaitingApproval(p, account.ID, 6000)
					var err error
					if by == "denied" {
						_, err = e.svc.DenyPayout(e.ctx, admin, order.ID, "no")
					} else {
						_, err = e.svc.CancelPayout(e.ctx, p, order.ID)
					}
					if err != nil {
						t.Fatal(err)
					}
					e.wantMoney(p, 2000000, 0)
					forged := order
					forged.TrustlyOrderID = fmt.Sprintf("93%08d", order.ID)
					e.apply(e.forge(method, forged, p, nil))
					got := e.reload(order)
					if got.Status != models.OrderCancelled || got.TrustlyOrderID != "" || got.ConfirmedAt != nil || got.PayoutFailedAt != nil ||
						got.CreditedAt != nil || got.SentAt != nil || !strings.Contains(got.Flag, "before it was sent to Trustly: not applied") {
						t.Errorf("%s, orderid %q, confirmed %v, failed %v, credited %v, flag %q; want cancelled, nothing applied or learnt, flagged",
							got.Status, got.TrustlyOrderID, got.ConfirmedAt, got.PayoutFailedAt, got.CreditedAt, got.Flag)
					}
					var acc models.BankAccount
					if err := db.Take(&acc, account.ID).Error; err != nil || acc.PayoutFailure != "" {
						t.Errorf("bank account marked %q (%v); want usable", acc.PayoutFailure, err)
						db.Model(&acc).Update("payout_failure", "")
					}
					e.wantMoney(p, 2000000, 0)
					e.wantBookedOnce(got)
				})
			}
		}
	})
}

// TestPayoutDecidedWhileNotified: a payout waiting for approval is approved or
// denied by a member at the moment a signed notification naming it arrives.
// Denied, the payout was never sent, and the notification books nothing in
// either order: its money is back in the wallet once. Approved, the notification
// either came while it waited (flagged, applied to nothing) or after the approval
// let its AccountPayout call go, when it may be Trustly's word overtaking the
// answer (applied, and the answer's other orderid flagged); either way the payout
// is sent once and its money is in one place, the wallet's share matching what
// the payout says.
func TestPayoutDecidedWhileNotified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 40000)
		e.hold.Store(true) // only the forged notifications arrive
		admin := e.admin()
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
			for _, approve := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/approve=%t", method, approve), func(t *testing.T) {
					e.t = t
					if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
						t.Fatal(err)
					}
					wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
					order := e.awaitingApproval(p, account.ID, 6000)
					forged := order
					forged.TrustlyOrderID = fmt.Sprintf("94%08d", order.ID)
					note := e.forge(method, forged, p, nil)
					var wg sync.WaitGroup
					start := make(chan struct{})
					wg.Go(func() {
						<-start
						if _, err := e.svc.HandleNotification(e.ctx, note); err != nil {
							t.Errorf("notification: %v", err)
						}
					})
					wg.Go(func() {
						<-start
						var err error
						if approve {
							_, err = e.svc.ApprovePayout(e.ctx, admin, order.ID, "checked")
						} else {
							_, err = e.svc.DenyPayout(e.ctx, admin, order.ID, "no")
						}
						if err != nil {
							t.Errorf("decide: %v", err)
						}
					})
					close(start)
					wg.Wait()
					got := e.reload(order)
					if got.Flag == "" {
						t.Errorf("%s, flag %q; want flagged either way", got.Status, got.Flag)
					}
					calls := e.sb.Sandbox.PayoutCalls(order.MessageID)
					if approve {
						if got.SentAt == nil || calls != 1 {
							t.Errorf("approved: %s, sent %v, %d calls; want sent once", got.Status, got.SentAt, calls)
						}
						if got.ReturnedAt == nil {
							wallet -= 600000
						}
					} else if got.Status != models.OrderCancelled || got.DeniedAt == nil || got.SentAt != nil || got.PayoutFailedAt != nil ||
						got.ConfirmedAt != nil || got.CreditedAt != nil || calls != 0 {
						t.Errorf("denied: %s, denied %v, sent %v, %d calls; want cancelled, never sent, nothing applied", got.Status, got.DeniedAt, got.SentAt, calls)
					}
					e.wantMoney(p, wallet, 0)
					e.wantBookedOnce(got)
				})
			}
		}
	})
}

// TestPayoutRetakeAfterRace: a cancel returns a sent payout's money, the player
// withdraws all of it at once in a second payout, and then the bank's
// payoutconfirmation for the first comes: the confirmation stands, so the money
// the cancel returned is taken back even below zero (payout:<ID>:retake, by
// design), the only way a payout's notifications take the wallet below zero. The
// first payout reads confirmed and says why, the second is untouched, nothing is
// booked twice, and the player's next payout is refused while the wallet is below
// zero.
func TestPayoutRetakeAfterRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		first, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if err != nil || first.Status != models.OrderSent {
			t.Fatalf("payout: %s, %v; want sent", first.Status, err)
		}
		e.apply(e.forge(trustly.MethodCancel, first, p, nil))
		e.wantMoney(p, 100000, 0)
		second, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 1000))
		if err != nil || second.Status != models.OrderSent {
			t.Fatalf("second payout: %s, %v; want sent", second.Status, err)
		}
		e.wantMoney(p, 0, 0)
		e.apply(e.forge(trustly.MethodPayoutConfirmation, first, p, nil))
		got := e.reload(first)
		if got.Status != models.OrderConfirmed || got.ReturnedAt != nil || !strings.Contains(got.Flag, "payoutconfirmation and cancel both came") {
			t.Errorf("first payout: %s, returned %v, flag %q; want confirmed, not returned, flagged", got.Status, got.ReturnedAt, got.Flag)
		}
		if got := e.reload(second); got.Status != models.OrderSent || got.Flag != "" {
			t.Errorf("second payout: %s, flag %q; want sent, unflagged", got.Status, got.Flag)
		}
		e.wantMoney(p, -30000, 0)
		e.wantBookedOnce(got)
		_, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 10))
		wantProblem(t, err, "Your balance is below zero")
		// A credit for the first gives the money back once more, and the wallet is
		// whole again.
		e.apply(e.forge(trustly.MethodCredit, first, p, nil))
		e.wantMoney(p, 0, 0)
		e.wantBookedOnce(e.reload(first))
	})
}
