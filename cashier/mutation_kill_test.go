package cashier_test

import (
	"context"
	"fmt"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Tests written for mutations of internal/mutate/mutations.txt that no other test
// caught: each names the mutations it kills.

// TestPayoutReturnedOnce: a payout's money comes back once, whichever of a credit
// of another amount and a cancel arrives first; the second is answered OK and
// books nothing, although its return would be of another amount than the first
// (payout/returned-twice).
func TestPayoutReturnedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		less := map[string]any{"amount": "29.00"} // of a payout of 30.00
		for _, tt := range []struct {
			name          string
			first, second string
			back          int64 // booked back into the wallet
		}{
			{"credit of less, then cancel", trustly.MethodCredit, trustly.MethodCancel, 2900},
			{"cancel, then credit of less", trustly.MethodCancel, trustly.MethodCredit, 3000},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || o.Status != models.OrderSent {
					t.Fatalf("request: %s, %v; want sent", o.Status, err)
				}
				wallet -= 3000
				for _, method := range []string{tt.first, tt.second} {
					fields := map[string]any(nil)
					if method == trustly.MethodCredit {
						fields = less
					}
					e.apply(e.forge(method, o, p, fields))
				}
				got := e.reload(o)
				if got.ReturnedAt == nil || got.Status != models.OrderFailed {
					t.Errorf("got %s returned %v; want failed and returned", got.Status, got.ReturnedAt)
				}
				wallet += tt.back
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}

// TestPayoutSettleLedgerDown: a checking payout is released only on what Trustly's
// AccountLedger says. While AccountLedger cannot be reached, a day and more after
// the last call, the payout stays checking with its money reserved; the first
// check that gets an answer settles it (settle/released-without-ledger-answer).
func TestPayoutSettleLedgerDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutRejected })
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order := e.checkingPayout(p, account)

		down := e.service(func(c *trustly.Config) { c.URL = "http://127.0.0.1:1/api/1" })
		for range 3 {
			e.clock.Advance(cashier.PayoutRefusedAfter)
			if err := down.ResumePayouts(e.ctx); err != nil {
				t.Fatal(err)
			}
			got := e.reload(order)
			if got.Status != models.OrderChecking || got.ReleasedAt != nil {
				t.Fatalf("AccountLedger unreachable: %s released %v; want checking, still reserved", got.Status, got.ReleasedAt)
			}
			e.wantMoney(p, 70000, 30000)
		}
		e.clock.Advance(time.Hour)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(order); got.Status != models.OrderFailed || got.ReleasedAt == nil {
			t.Fatalf("AccountLedger back: %s released %v; want failed, released", got.Status, got.ReleasedAt)
		}
		e.wantMoney(p, 100000, 0)
	})
}

// TestPayoutSettleClaim: two instances that both read a checking payout as due
// before either claims it ask Trustly's AccountLedger once between them: the
// conditional UPDATE lets one claim the check (settle/claim-ignores-check-count).
// A query callback holds each instance after its read of the checking payouts
// until both have read.
func TestPayoutSettleClaim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutRejected })
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order := e.checkingPayout(p, account)
		before := e.apiCalls("AccountLedger")

		var reads atomic.Int32
		bothRead := make(chan struct{})
		const name = "test:settle-barrier"
		err := db.Callback().Query().After("gorm:query").Register(name, func(tx *gorm.DB) {
			if !strings.Contains(tx.Statement.SQL.String(), "checking_at IS NOT NULL") {
				return
			}
			if reads.Add(1) == 2 {
				close(bothRead)
			}
			select {
			case <-bothRead:
			case <-time.After(10 * time.Second):
				t.Error("the other instance never read the checking payouts")
			}
		})
		if err != nil {
			t.Fatal(err)
		}

		e.clock.Advance(cashier.PayoutRefusedAfter + time.Minute)
		var wg sync.WaitGroup
		for _, svc := range []*cashier.Service{e.svc, e.service(nil)} {
			wg.Go(func() {
				if err := svc.ResumePayouts(e.ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := db.Callback().Query().Remove(name); err != nil {
			t.Fatal(err)
		}
		got := e.reload(order)
		if n := e.apiCalls("AccountLedger") - before; n != 1 || got.LedgerChecks != 2 {
			t.Errorf("%d AccountLedger calls, %d ledger checks; want 1 call, 2 checks in all", n, got.LedgerChecks)
		}
		if got.Status != models.OrderFailed {
			t.Errorf("status %s, want failed", got.Status)
		}
		e.wantMoney(p, 100000, 0)
	})
}

// checkingPayout requests a payout of 300.00 whose AccountPayout answer is lost and
// whose resend is answered 637, with Trustly's notifications held back: it is
// checking, reserved, after one AccountLedger check that found nothing.
func (e *payEnv) checkingPayout(p models.Player, account models.BankAccount) models.Order {
	e.t.Helper()
	e.hold.Store(true)
	e.lose.Store(1)
	order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
	if err != nil || order.Status != models.OrderSending {
		e.t.Fatalf("answer lost: %s, %v; want sending", order.Status, err)
	}
	e.clock.Advance(3 * time.Minute)
	if err := e.svc.ResumePayouts(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	got := e.reload(order)
	if got.Status != models.OrderChecking || got.LedgerChecks != 1 {
		e.t.Fatalf("after the 637: %s after %d ledger checks; want checking after 1", got.Status, got.LedgerChecks)
	}
	e.wantMoney(p, 70000, 30000)
	return got
}

// TestEnsureOwnerEndsSessions: a new owner password from the configuration ends
// every staff session signed in with the old one (the member's SessionVersion is
// raised); the same password again, at every restart, ends none
// (staff/new-owner-password-keeps-sessions).
func TestEnsureOwnerEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		version := func() int64 {
			t.Helper()
			var m staff.Member
			if err := db.Where("email = ?", "boss@example.com").Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m.SessionVersion
		}
		for _, tt := range []struct {
			password string
			want     int64
		}{{"owner password 1", 0}, {"owner password 1", 0}, {"owner password 2", 1}, {"owner password 2", 1}} {
			if err := svc.EnsureOwner(ctx, "boss@example.com", tt.password); err != nil {
				t.Fatal(err)
			}
			if got := version(); got != tt.want {
				t.Errorf("after EnsureOwner with %q: SessionVersion %d, want %d", tt.password, got, tt.want)
			}
		}
	})
}

// TestNotificationOrderLock: on PostgreSQL, two notifications for one order are
// applied one after the other, the second seeing what the first did: HandleNotification
// reads the order FOR UPDATE (notify/order-not-locked). A credit and a debit for a
// fresh deposit arrive together; a query callback holds the first to read the order
// until the second has read it too, or is seen waiting for the first's row lock.
// Applied in either order they leave the deposit debited, the wallet at zero and no
// flag; the debit applied to an order read before the credit committed would flag
// "debit without credit".
func TestNotificationOrderLock(t *testing.T) {
	db := storetest.Postgres(t)
	r := newRig(t, db, "", nil)
	key := rigTrustlyKey()
	for round := range 3 {
		p := r.player()
		o := r.order(p, 10000)
		reads := atomic.Int32{}
		second := make(chan struct{})
		name := fmt.Sprintf("test:order-lock-barrier-%d", round)
		err := db.Callback().Query().After("gorm:query").Register(name, func(tx *gorm.DB) {
			if tx.Statement.Table != "orders" || !strings.Contains(tx.Statement.SQL.String(), "trustly_order_id") {
				return
			}
			if reads.Add(1) != 1 {
				close(second)
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				select {
				case <-second:
					return
				case <-time.After(5 * time.Millisecond):
				}
				var waiting int64
				// A transaction waiting for a row lock holds the row's tuple lock.
				if err := db.Raw("SELECT count(*) FROM pg_locks WHERE locktype = 'tuple' AND relation = 'orders'::regclass").
					Scan(&waiting).Error; err != nil {
					t.Error(err)
					return
				}
				if waiting > 0 {
					return
				}
			}
			t.Error("the second notification neither read the order nor waited for its lock")
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, n := range []note{notify(t, key, trustly.MethodCredit, o, p.EndUserID, nil), notify(t, key, trustly.MethodDebit, o, p.EndUserID, nil)} {
			wg.Go(func() {
				if _, err := r.svc.HandleNotification(r.ctx, n.raw); err != nil {
					t.Errorf("%s: %v", n.method, err)
				}
			})
		}
		wg.Wait()
		if err := db.Callback().Query().Remove(name); err != nil {
			t.Fatal(err)
		}
		got := r.reload(o)
		if got.Status != models.OrderDebited || got.Flag != "" || r.wallet(p) != 0 {
			t.Errorf("round %d: %s %q wallet %d; want debited, no flag, wallet 0", round, got.Status, got.Flag, r.wallet(p))
		}
		r.audit()
	}
}

// TestPayoutSettleLedgerFromFirstCall: a checking payout that waited weeks for
// approval is searched for in Trustly's AccountLedger from the day before its
// approval (its first AccountPayout call came then), not from its creation: a
// ledger of weeks may be too large to read, which would leave it checking for good.
func TestPayoutSettleLedgerFromFirstCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutRejected })
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order := e.checkingPayout(p, account)
		approved := e.clock.Now().Add(-time.Hour)
		if err := db.Model(&models.Order{}).Where("id = ?", order.ID).
			Updates(map[string]any{"created_at": approved.AddDate(0, 0, -30), "approved_at": approved}).Error; err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		var call models.APICall
		if err := db.Where("method = ?", "AccountLedger").Order("id DESC").Take(&call).Error; err != nil {
			t.Fatal(err)
		}
		want := `"FromDate":"` + approved.AddDate(0, 0, -1).Format(time.DateOnly) + `"`
		if !strings.Contains(call.Request, want) {
			t.Errorf("AccountLedger asked with %s; want %s (the day before the approval)", call.Request, want)
		}
	})
}
