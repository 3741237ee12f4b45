package cashier_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// janitor runs the janitor once and fails on an error or a skipped job.
func (e *payEnv) janitor() {
	e.t.Helper()
	skipped, err := e.svc.Janitor(e.ctx)
	if err != nil || len(skipped) != 0 {
		e.t.Fatalf("janitor: skipped %v, %v", skipped, err)
	}
}

// silentDeposit starts a deposit whose checkout nobody completes: Trustly says
// nothing about it.
func (e *payEnv) silentDeposit(p models.Player, major int64) models.Order {
	e.t.Helper()
	order, err := e.withSandboxExtra(nil).StartDeposit(e.ctx, p, e.money(p, major), "127.0.0.1")
	if err != nil || order.Status != models.OrderStarted {
		e.t.Fatalf("start deposit: %s, %v; want started", order.Status, err)
	}
	return order
}

// TestJanitorAbandonsDeposits: a deposit with no notification 30 minutes after its
// Deposit call is abandoned, not left waiting for the bank; one created but never
// sent (the process died before the call) too; a pending one is not. A credit that
// comes after all still books once and makes the deposit credited, which the
// janitor then leaves alone.
func TestJanitorAbandonsDeposits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		started := e.silentDeposit(p, 100)
		pending := e.silentDeposit(p, 200)
		e.apply(e.forge(trustly.MethodPending, pending, p, amountOf(pending)))
		created := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
			PlayerID: p.ID, EndUserID: p.EndUserID, Amount: e.money(p, 300), CreatedAt: e.clock.Now()}
		created.Refresh()
		if err := db.Create(&created).Error; err != nil {
			t.Fatal(err)
		}

		e.clock.Advance(cashier.CheckoutExpiry - time.Minute)
		e.janitor()
		// One never answered is abandoned once its call can no longer be under way
		// (TestReviewCrashDepositJanitor).
		for o, want := range map[*models.Order]models.OrderStatus{&started: models.OrderStarted, &pending: models.OrderPending, &created: models.OrderAbandoned} {
			if got := e.reload(*o); got.Status != want {
				t.Fatalf("order %d before the expiry: %s; want %s", o.ID, got.Status, want)
			}
		}
		e.clock.Advance(2 * time.Minute)
		e.janitor()
		for o, want := range map[*models.Order]models.OrderStatus{&started: models.OrderAbandoned, &pending: models.OrderPending, &created: models.OrderAbandoned} {
			if got := e.reload(*o); got.Status != want || (want == models.OrderAbandoned) != (got.AbandonedAt != nil) {
				t.Fatalf("order %d after the expiry: %s (abandoned at %v); want %s", o.ID, got.Status, got.AbandonedAt, want)
			}
		}
		e.wantMoney(p, 0, 0)

		// The bank was slow after all: the credit still books, once.
		started = e.reload(started)
		credit := e.forge(trustly.MethodCredit, started, p, nil)
		e.apply(credit)
		e.apply(credit)
		if got := e.reload(started); got.Status != models.OrderCredited {
			t.Fatalf("abandoned deposit after a late credit: %s; want credited", got.Status)
		}
		e.janitor()
		if got := e.reload(started); got.Status != models.OrderCredited {
			t.Fatalf("late-credited deposit after the janitor: %s; want credited", got.Status)
		}
		e.wantMoney(p, 10000, 0)
	})
}

// TestJanitorMatchesUnknownNotifications: notifications for an order we did not
// know are kept; once the order exists the janitor applies the credit exactly once,
// however often it runs, and links the debit we had answered FAILED without
// booking it. A notification whose order never appears stays unmatched.
func TestJanitorMatchesUnknownNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		order := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
			PlayerID: p.ID, EndUserID: p.EndUserID, Amount: e.money(p, 150), TrustlyOrderID: fmt.Sprint(4000000000 + paySeq.Add(1))}
		stranger := order
		stranger.MessageID, stranger.TrustlyOrderID = models.NewMessageID(models.OrderDeposit), fmt.Sprint(4000000000+paySeq.Add(1))
		e.apply(e.forge(trustly.MethodPending, order, p, amountOf(order)))
		e.apply(e.forge(trustly.MethodCredit, order, p, nil))
		e.apply(e.forge(trustly.MethodCredit, stranger, p, nil))
		if _, err := e.svc.HandleNotification(e.ctx, e.forge(trustly.MethodDebit, order, p, map[string]any{"amount": "150.00", "currency": "SEK"})); err != nil {
			t.Fatal(err)
		}
		e.janitor()
		if n := unmatched(t, db); n != 4 {
			t.Fatalf("unmatched notifications before the order exists: %d; want 4", n)
		}
		e.wantMoney(p, 0, 0)

		order.CreatedAt = e.clock.Now()
		order.Refresh()
		if err := db.Create(&order).Error; err != nil {
			t.Fatal(err)
		}
		for range 2 {
			e.janitor()
			got := e.reload(order)
			if got.Status != models.OrderCredited || got.DebitedAt != nil || unmatched(t, db) != 1 {
				t.Fatalf("after matching: %s, debited %v, %d unmatched; want credited, not debited, 1 (the stranger's)",
					got.Status, got.DebitedAt, unmatched(t, db))
			}
			if !strings.Contains(got.Flag, "answered FAILED: not applied") || strings.Contains(got.Flag, "more than one") {
				t.Fatalf("flags %q; want the debit answered FAILED named, and the credit applied once", got.Flag)
			}
			e.wantMoney(p, 15000, 0)
		}
	})
}

// TestJanitorAdvisoryLock: on PostgreSQL an instance that finds a job's advisory
// lock taken skips that job, and runs it once the lock is free.
func TestJanitorAdvisoryLock(t *testing.T) {
	db := storetest.Postgres(t)
	e := newPayEnv(t, db)
	p := e.player("SE")
	order := e.silentDeposit(p, 100)
	e.clock.Advance(cashier.CheckoutExpiry + time.Minute)

	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := e.svc.JanitorLockKey(cashier.JobAbandonDeposits)
	if _, err := conn.ExecContext(e.ctx, "SELECT pg_advisory_lock($1, "+cashier.JanitorSchemaKey+")", key); err != nil {
		t.Fatal(err)
	}
	skipped, err := e.svc.Janitor(e.ctx)
	if err != nil || !slices.Equal(skipped, []string{cashier.JobAbandonDeposits}) {
		t.Fatalf("janitor while another holds the lock: skipped %v, %v; want [%s]", skipped, err, cashier.JobAbandonDeposits)
	}
	if got := e.reload(order); got.Status != models.OrderStarted {
		t.Fatalf("deposit while the job was skipped: %s; want started", got.Status)
	}
	if _, err := conn.ExecContext(e.ctx, "SELECT pg_advisory_unlock($1, "+cashier.JanitorSchemaKey+")", key); err != nil {
		t.Fatal(err)
	}
	e.janitor()
	if got := e.reload(order); got.Status != models.OrderAbandoned {
		t.Fatalf("deposit after the lock was freed: %s; want abandoned", got.Status)
	}
	// The same job's lock for a cashier on another schema of the database (as
	// another package's tests run at the same time) holds up nothing here.
	if _, err := conn.ExecContext(e.ctx, "SELECT pg_advisory_lock($1, hashtext('another schema'))", key); err != nil {
		t.Fatal(err)
	}
	if skipped, err := e.svc.Janitor(e.ctx); err != nil || len(skipped) != 0 {
		t.Fatalf("janitor while another schema's cashier runs the job: skipped %v, %v; want none", skipped, err)
	}
	// The janitor gave its locks back: another session can take each.
	for _, job := range []string{cashier.JobResumePayouts, cashier.JobRefundsUnknown, cashier.JobAbandonDeposits, cashier.JobMatchUnknown,
		cashier.JobPruneForms, cashier.JobDepositsOverdue} {
		var got bool
		if err := conn.QueryRowContext(e.ctx, "SELECT pg_try_advisory_lock($1, "+cashier.JanitorSchemaKey+")", e.svc.JanitorLockKey(job)).Scan(&got); err != nil || !got {
			t.Fatalf("lock of %s after the janitor: %t, %v; want free", job, got, err)
		}
	}
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if skipped, err := e.svc.Janitor(ctx); err != nil || len(skipped) != 0 {
		t.Fatalf("janitor after shutdown began: skipped %v, %v; want it to stop quietly", skipped, err)
	}
}

func unmatched(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.Notification{}).Where("order_id IS NULL").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJanitorRefundWithoutOutcome: a refund reserved whose Refund call never
// recorded an outcome (the process died in between) is marked unknown by the
// janitor once ResumeAfter has passed, so GetWithdrawals settles it; before, it
// is left alone, as its call may still be under way.
func TestJanitorRefundWithoutOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		e.deposit(p, 500)
		refund, err := e.svc.ReserveRefundOnly(e.ctx, e.staff(staff.RoleFinance), e.lastDeposit(p).ID, e.money(p, 200), "crash test")
		if err != nil {
			t.Fatal(err)
		}
		e.janitor()
		if got := e.reload(refund); got.Status != models.OrderRequested {
			t.Fatalf("refund right after its reservation: %s; want requested", got.Status)
		}
		e.clock.Advance(3 * time.Minute)
		e.janitor()
		got := e.reload(refund)
		if got.Status != models.OrderSending || got.OutcomeUnknownAt == nil {
			t.Fatalf("refund with no recorded outcome after the janitor: %s; want sending (outcome unknown)", got.Status)
		}
		e.janitor() // checkRefunds asks GetWithdrawals: the sandbox has no refund, and it is not a day old
		if got := e.reload(refund); got.Status != models.OrderSending || got.LedgerChecks != 1 || e.apiCalls("GetWithdrawals") != 1 {
			t.Fatalf("refund after one check: %s after %d checks, %d calls; want sending after 1", got.Status, got.LedgerChecks, e.apiCalls("GetWithdrawals"))
		}
		e.wantMoney(p, 30000, 20000)
	})
}

// amountOf is the amount and currency fields of a notification about o.
func amountOf(o models.Order) map[string]any {
	return map[string]any{"amount": o.Amount.String(), "currency": o.Amount.Currency}
}

// TestJanitorOlderShapeUnknownNotification: a notification stored for an order
// not known then, by a version that took a shape this one refuses (an account
// notification whose accountid ends in a space or holds a format character),
// does not stop the janitor's matching on every run: it is flagged for staff
// with the reason, stays unmatched on the flagged page, and is not applied to
// the order when it appears.
func TestJanitorOlderShapeUnknownNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		order := models.Order{MessageID: models.NewMessageID(models.OrderSelectAccount), Kind: models.OrderSelectAccount,
			PlayerID: p.ID, EndUserID: p.EndUserID, TrustlyOrderID: fmt.Sprint(4000000000 + paySeq.Add(1))}
		now := time.Now().UTC()
		var rows []models.Notification
		for _, id := range []string{"2853579240 ", "2853\u202e579240"} {
			nid := fmt.Sprint(3000000000 + paySeq.Add(1))
			raw := e.forge(trustly.MethodAccount, order, p, map[string]any{"notificationid": nid, "accountid": id, "verified": "1"})
			row := models.Notification{NotificationID: nid, Method: trustly.MethodAccount, UUID: uuid.NewString(),
				TrustlyOrderID: order.TrustlyOrderID, Raw: string(raw), Status: trustly.StatusOK, Deliveries: 1,
				ReceivedAt: now, LastDeliveryAt: now}
			if err := db.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		e.janitor()
		order.CreatedAt = e.clock.Now()
		order.Refresh()
		if err := db.Create(&order).Error; err != nil {
			t.Fatal(err)
		}
		e.janitor()
		for _, row := range rows {
			var got models.Notification
			if err := db.First(&got, row.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got.OrderID != nil || !strings.Contains(got.Flag, "no longer fits Trustly's format") {
				t.Errorf("notification %s: order %v, flag %q; want unmatched and flagged as no longer fitting", got.NotificationID, got.OrderID, got.Flag)
			}
		}
		// The order page lists them as unmatched, their signatures verified:
		// the shape refused is this version's, not a forgery.
		d, err := e.svc.OrderDetail(e.ctx, e.staff(staff.RoleViewer), order.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Unmatched) != len(rows) {
			t.Errorf("order page lists %d unmatched notifications; want %d", len(d.Unmatched), len(rows))
		}
		for _, row := range rows {
			if !d.Verified[row.ID] {
				t.Errorf("notification %s reads as not verified on the order page; its signature is Trustly's", row.NotificationID)
			}
		}
		var accounts int64
		db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&accounts)
		if got := e.reload(order); got.Status != order.Status || got.AccountAddedAt != nil || accounts != 0 {
			t.Errorf("selection %s with %d accounts; want %s with none", got.Status, accounts, order.Status)
		}
	})
}
