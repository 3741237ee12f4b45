package cashier_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// windowPayout requests a payout of major units and checks whether it waits for
// approval (want) or went at once.
func (e *payEnv) windowPayout(svc *cashier.Service, p models.Player, account models.BankAccount, major int64, waits bool) models.Order {
	e.t.Helper()
	o, err := svc.RequestPayout(e.ctx, p, account.ID, e.money(p, major))
	if err != nil {
		e.t.Fatalf("payout of %d: %v", major, err)
	}
	if got := o.Status == models.OrderAwaitingApproval; got != waits {
		e.t.Fatalf("payout of %d: %s; want waiting for approval %t", major, o.Status, waits)
	}
	return o
}

// TestPayoutApprovalWindow: a payout waits for approval when it, together with the
// player's payouts of the last 24 hours that are not failed or cancelled (denied,
// cancelled by the player, refused by Trustly, returned by the bank), is above
// Limits.ApprovalAbove (5 000 here), so that 20 000 cannot leave unreviewed as five
// payouts of 4 000. A sum of exactly the limit goes; payouts older than 24 hours
// do not count.
func TestPayoutApprovalWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		admin := e.admin()

		t.Run("small payouts add up", func(t *testing.T) {
			e.t = t
			p := e.player("SE")
			account := e.deposit(p, 20000)
			e.windowPayout(e.svc, p, account, 2000, false)
			e.windowPayout(e.svc, p, account, 2000, false)
			e.windowPayout(e.svc, p, account, 2000, true) // 6 000 in 24 hours
			e.windowPayout(e.svc, p, account, 10, true)   // the waiting one counts too
		})

		t.Run("failed, denied, cancelled and returned do not count", func(t *testing.T) {
			e.t = t
			p := e.player("SE")
			account := e.deposit(p, 40000)
			refused, err := e.scenario(sandbox.ScenarioPayoutRejected).RequestPayout(e.ctx, p, account.ID, e.money(p, 4000))
			wantProblem(t, err, "Trustly could not send your payout")
			if refused.Status != models.OrderFailed {
				t.Fatalf("refused payout: %s; want failed", refused.Status)
			}
			denied := e.windowPayout(e.svc, p, account, 6000, true)
			if _, err := e.svc.DenyPayout(e.ctx, admin, denied.ID, "no"); err != nil {
				t.Fatal(err)
			}
			cancelled := e.windowPayout(e.svc, p, account, 6000, true)
			if _, err := e.svc.CancelPayout(e.ctx, p, cancelled.ID); err != nil {
				t.Fatal(err)
			}
			e.hold.Store(true) // only the forged credit arrives
			returned := e.windowPayout(e.svc, p, account, 4000, false)
			e.apply(e.forge(trustly.MethodCredit, returned, p, nil))
			if got := e.reload(returned); got.Status != models.OrderFailed {
				t.Fatalf("returned payout: %s; want failed", got.Status)
			}
			e.hold.Store(false)
			e.windowPayout(e.svc, p, account, 4000, false)
			e.windowPayout(e.svc, p, account, 1000, false) // 5 000: not above
			e.windowPayout(e.svc, p, account, 10, true)    // 5 010
		})

		t.Run("older than 24 hours", func(t *testing.T) {
			e.t = t
			p := e.player("SE")
			account := e.deposit(p, 20000)
			e.windowPayout(e.svc, p, account, 4000, false)
			e.clock.Advance(23 * time.Hour)
			e.windowPayout(e.svc, p, account, 2000, true) // 6 000 within 24 hours
			e.clock.Advance(time.Hour + time.Minute)
			// The 4 000 is 24 hours and a minute old; the 2 000 waiting counts.
			e.windowPayout(e.svc, p, account, 3000, false)
			e.windowPayout(e.svc, p, account, 10, true)
		})
	})
}

// TestPayoutWindowBoundary: the window is the 24 hours before the payout asked
// for, its start left out (cashier.PayoutWindow): a payout made exactly 24 hours
// before no longer counts, nor one made earlier, and one made a nanosecond or a
// second after that instant still does. The first payout of 4 000 is made at a
// whole second, so that PostgreSQL (microseconds) stores its time exactly; the
// second, of 2 000, waits (6 000) only when the first counts. On PostgreSQL the
// nanosecond after the instant is the instant itself: the bound is sent to it
// truncated to the microsecond, and the payout stays uncounted.
func TestPayoutWindowBoundary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			name   string
			after  time.Duration // the second payout, after the first
			counts bool
		}{
			{"a second before 24 hours", cashier.PayoutWindow - time.Second, true},
			{"a nanosecond before 24 hours", cashier.PayoutWindow - time.Nanosecond, true},
			{"exactly 24 hours", cashier.PayoutWindow, false},
			{"a nanosecond after 24 hours", cashier.PayoutWindow + time.Nanosecond, false},
			{"a second after 24 hours", cashier.PayoutWindow + time.Second, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				p := e.player("SE")
				account := e.deposit(p, 20000)
				now := e.clock.Now()
				e.clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
				first := e.reload(e.windowPayout(e.svc, p, account, 4000, false))
				e.clock.Advance(first.CreatedAt.Add(tt.after).Sub(e.clock.Now()))
				second := e.windowPayout(e.svc, p, account, 2000, tt.counts)
				want := int64(200000)
				if tt.counts {
					want += 400000
				}
				if second.WindowMinor != want {
					t.Errorf("second payout %s after the first: window %d; want %d", tt.after, second.WindowMinor, want)
				}
			})
		}
	})
}

// TestPayoutTwoPersonWindow: the second threshold counts the same sum, the payouts
// already approved or sent included: 4 000 sent, then 5 000 (9 000) waits for one
// approval, then 2 000 (11 000) for two, even after the 5 000 was approved.
func TestPayoutTwoPersonWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := payLimits("SEK")
		l.TwoPersonAbove = models.Money{Minor: 1000000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil) // before any notification reads it
		p := e.player("SE")
		account := e.deposit(p, 20000)
		first, second := e.admin(), e.admin()

		e.windowPayout(e.svc, p, account, 4000, false)
		one := e.windowPayout(e.svc, p, account, 5000, true)
		if e.svc.NeedsTwoApprovals(one) {
			t.Errorf("9 000 in 24 hours needs two approvals; want one")
		}
		if o, err := e.svc.ApprovePayout(e.ctx, first, one.ID, ""); err != nil || o.SentAt == nil {
			t.Fatalf("approving 5 000: %s, %v; want sent", o.Status, err)
		}
		two := e.windowPayout(e.svc, p, account, 2000, true)
		if !e.svc.NeedsTwoApprovals(two) {
			t.Fatalf("11 000 in 24 hours needs one approval; want two")
		}
		if o, err := e.svc.ApprovePayout(e.ctx, first, two.ID, ""); err != nil || o.Status != models.OrderAwaitingApproval {
			t.Fatalf("first approval of the 2 000: %s, %v; want still waiting", o.Status, err)
		}
		if o, err := e.svc.ApprovePayout(e.ctx, second, two.ID, ""); err != nil || o.SentAt == nil {
			t.Fatalf("second approval of the 2 000: %s, %v; want sent", o.Status, err)
		}
	})
}

// TestScaleOutPayoutWindowConcurrent: eight payouts of 4 000 asked for at once, on
// two instances, each alone under the approval limit: exactly one goes, the seven
// others wait, since each sums the player's payouts under the player's lock. Without
// it, requests that read the sum before another's order was committed all go.
func TestScaleOutPayoutWindowConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		instances := []*cashier.Service{e.service(nil), e.service(nil)}
		for round := range 3 {
			p := e.player("SE")
			account := e.deposit(p, 40000)
			var wg sync.WaitGroup
			start := make(chan struct{})
			orders, errs := make([]models.Order, 8), make([]error, 8)
			for i := range orders {
				wg.Go(func() {
					<-start
					orders[i], errs[i] = instances[i%2].RequestPayout(e.ctx, p, account.ID, e.money(p, 4000))
				})
			}
			close(start)
			wg.Wait()
			went, waiting := 0, 0
			for i, o := range orders {
				switch {
				case errs[i] != nil:
					t.Errorf("round %d, payout %d: %v", round, i, errs[i])
				case o.Status == models.OrderAwaitingApproval:
					waiting++
				default:
					went++
				}
			}
			if went != 1 || waiting != 7 {
				t.Errorf("round %d: %d went at once, %d wait; want 1 and 7 (%s)", round, went, waiting, statuses(orders))
			}
		}
	})
}

func statuses(orders []models.Order) string {
	out := ""
	for _, o := range orders {
		out += fmt.Sprintf("%s ", o.Status)
	}
	return out
}

// TestPayoutWindowReturned: the approval window (Limits.ApprovalAbove 5 000 here)
// does not count money a payout's credit gave back to the wallet, and counts what
// it did not: a payout of 4 000 returned in full leaves 5 000 to go at once; one
// returned by a credit of 1 000 (flagged, booked as Trustly says) still counts the
// 3 000 that left, so 2 000 goes and 10 more waits. A payout a cancel returned
// before the bank confirmed it counts in full (its money was taken back), and
// again not at all once a credit returns it.
func TestPayoutWindowReturned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			name  string
			notes []map[string]any // each a notification: "method" and fields
			goes  int64            // the most that then goes at once
		}{
			{"returned in full", []map[string]any{{"method": trustly.MethodCredit}}, 5000},
			{"confirmed, then returned in full", []map[string]any{{"method": trustly.MethodPayoutConfirmation}, {"method": trustly.MethodCredit}}, 5000},
			{"returned in part", []map[string]any{{"method": trustly.MethodCredit, "amount": "1000.00"}}, 2000},
			{"cancelled, then confirmed", []map[string]any{{"method": trustly.MethodCancel}, {"method": trustly.MethodPayoutConfirmation}}, 1000},
			{"cancelled, confirmed, returned", []map[string]any{{"method": trustly.MethodCancel}, {"method": trustly.MethodPayoutConfirmation},
				{"method": trustly.MethodCredit}}, 5000},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				p := e.player("SE")
				e.hold.Store(false)
				account := e.deposit(p, 20000)
				e.hold.Store(true) // only the forged notifications arrive
				returned := e.windowPayout(e.svc, p, account, 4000, false)
				for _, n := range tt.notes {
					fields := map[string]any{}
					for k, v := range n {
						if k != "method" {
							fields[k] = v
						}
					}
					e.apply(e.forge(n["method"].(string), returned, p, fields))
				}
				next := e.windowPayout(e.svc, p, account, tt.goes, false)
				if next.WindowMinor != 500000 {
					t.Errorf("payout of %d after it: window %d; want 500000", tt.goes, next.WindowMinor)
				}
				e.windowPayout(e.svc, p, account, 10, true)
			})
		}
	})
}
