package cashier_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRefundChecksAskOncePerDeposit: refunds whose outcome is unknown are looked up
// with GetWithdrawals on their deposit's orderid, which Trustly allows once every
// 15 minutes (API.md §4.6). Two refunds of one deposit due together share one call,
// and a third that becomes due 5 minutes after that call waits for the 15 minutes
// to pass; the sandbox counts the calls per orderid and notices none too soon.
func TestRefundChecksAskOncePerDeposit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true)
		a := e.lostRefund(fin, dep, e.money(p, 300))
		b := e.lostRefund(fin, dep, e.money(p, 200))
		var c models.Order
		for _, step := range []struct {
			advance time.Duration
			lose    bool // lose a third refund's call before the check
			calls   int  // GetWithdrawals calls about the deposit so far
			checks  [3]int
		}{
			{time.Minute, false, 1, [3]int{1, 1, 0}},
			{5 * time.Minute, true, 1, [3]int{1, 1, 0}},
			{9*time.Minute + 59*time.Second, false, 1, [3]int{1, 1, 0}},
			{time.Second, false, 2, [3]int{2, 2, 1}},
		} {
			e.clock.Advance(step.advance)
			if step.lose {
				c = e.lostRefund(fin, dep, e.money(p, 100))
			}
			if err := e.svc.ResumePayouts(e.ctx); err != nil {
				t.Fatal(err)
			}
			got := [3]int{e.reload(a).LedgerChecks, e.reload(b).LedgerChecks}
			if c.ID != 0 {
				got[2] = e.reload(c).LedgerChecks
			}
			if n := e.sb.Sandbox.PolledCalls("GetWithdrawals", dep.TrustlyOrderID); n != step.calls || got != step.checks {
				t.Fatalf("after +%s: %d GetWithdrawals calls, refunds checked %v times; want %d, %v", step.advance, n, got,
					step.calls, step.checks)
			}
		}
		if calls := e.sb.Sandbox.TooOften(); len(calls) != 0 {
			t.Errorf("calls made too often: %+v", calls)
		}
	})
}

// TestPollStorm: two instances, players pressing "Check with the bank" on every
// payout again and again, finance reloading Trustly's balance, and both instances
// resuming payouts (refund checks) together, every 4 minutes for 80 minutes. The
// sandbox, timing calls with the services' clock, sees each payout, the deposit
// with refunds of unknown outcome and Balance asked exactly at 4, 20, 36, 52 and 68
// minutes, and no call more often than Trustly allows.
func TestPollStorm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		type payout struct {
			player models.Player
			order  models.Order
		}
		var payouts []payout
		for range 3 {
			p := e.player("SE")
			account := e.deposit(p, 1000)
			for range 2 {
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
				if err != nil {
					t.Fatal(err)
				}
				payouts = append(payouts, payout{p, e.waitStatus(o, models.OrderConfirmed)})
			}
		}
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true)
		e.lostRefund(fin, dep, e.money(p, 300))
		e.lostRefund(fin, dep, e.money(p, 200))

		instances := []*cashier.Service{e.svc, e.service(nil)}
		for range 20 {
			e.clock.Advance(4 * time.Minute)
			var wg sync.WaitGroup
			for _, svc := range instances {
				wg.Go(func() {
					if err := svc.ResumePayouts(e.ctx); err != nil {
						t.Error(err)
					}
				})
				wg.Go(func() {
					for range 2 {
						var busy *models.Problem // the other instance is asking for the first time
						if _, _, err := svc.TrustlyBalance(e.ctx, fin); err != nil && !errors.As(err, &busy) {
							t.Error(err)
						}
					}
				})
				for _, po := range payouts {
					wg.Go(func() {
						for range 3 {
							if _, err := svc.CheckPayout(e.ctx, po.player, po.order.ID); err != nil {
								t.Error(err)
							}
						}
					})
				}
			}
			wg.Wait()
		}
		const want = 5 // at 4, 20, 36, 52 and 68 minutes
		for _, po := range payouts {
			if n := e.sb.Sandbox.PolledCalls("GetWithdrawals", po.order.TrustlyOrderID); n != want {
				t.Errorf("payout %d: %d GetWithdrawals calls; want %d", po.order.ID, n, want)
			}
		}
		if n := e.sb.Sandbox.PolledCalls("GetWithdrawals", dep.TrustlyOrderID); n != want {
			t.Errorf("deposit with refunds of unknown outcome: %d GetWithdrawals calls; want %d", n, want)
		}
		if n := e.sb.Sandbox.PolledCalls("Balance", ""); n != want {
			t.Errorf("%d Balance calls; want %d", n, want)
		}
		if calls := e.sb.Sandbox.TooOften(); len(calls) != 0 {
			t.Errorf("calls made too often: %+v", calls)
		}
	})
}
