package cashier_test

import (
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// pendingDeposit is an ordinary deposit of major units by p, started with
// Trustly at the env's clock, whose pending notification came: the player
// finished the checkout, no credit or cancel yet. The sandbox completes
// nothing; the test sends what Trustly would.
func (e *payEnv) pendingDeposit(p models.Player, major int64) models.Order {
	e.t.Helper()
	now := e.clock.Now()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PlayerID: p.ID,
		EndUserID: p.EndUserID, Amount: e.money(p, major), TrustlyOrderID: fmt.Sprint(4000000000 + paySeq.Add(1)),
		CheckoutURL: "https://checkout.test/x", StartedAt: &now, CreatedAt: now}
	o.Refresh()
	if err := e.db.Create(&o).Error; err != nil {
		e.t.Fatal(err)
	}
	e.apply(e.forge(trustly.MethodPending, o, p, amountOf(o)))
	return e.reload(o)
}

// creditsOf counts the ledger transfers booking o's credit.
func (e *payEnv) creditsOf(o models.Order) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Transfer{}).Where("reference = ?", fmt.Sprintf("deposit:%d:credit", o.ID)).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestJanitorFlagsDepositWithoutCredit: an ordinary deposit whose pending came
// (the player finished the checkout) but neither a credit nor a cancel read
// pending, unflagged, for ever, and no staff member learnt of it. The janitor's
// overdue job, the one that flags Pay N Play deposits, now flags it once
// cashier.PendingCreditWait after its pending, not before, once however often it
// runs, with an alert in the log naming the order; nothing is booked. The flag
// is on the flagged list, the order page (with "credit overdue" in its
// timeline) and the home's count. A credit that comes after the flag books once
// and the flag goes; a cancel after it ends it too. A deposit whose pending never
// came (the player left the checkout) is abandoned, as before, not flagged.
func TestJanitorFlagsDepositWithoutCredit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		logs := &lockedBuffer{}
		e.log = slog.New(slog.NewJSONHandler(logs, nil))
		e.svc = e.service(nil)
		p := e.player("SE")

		lateCredit, lateCancel, silent := e.pendingDeposit(p, 100), e.pendingDeposit(p, 200), e.pendingDeposit(p, 300)
		credited := e.pendingDeposit(p, 400) // its credit came in time
		e.apply(e.forge(trustly.MethodCredit, credited, p, nil))
		left := e.silentDeposit(p, 500) // no pending: the player left the checkout

		want := func(when string, o models.Order, status models.OrderStatus, flag string) models.Order {
			t.Helper()
			got := e.reload(o)
			if got.Status != status || got.Flag != flag {
				t.Errorf("%s: order %d %s, flag %q; want %s, flag %q", when, o.ID, got.Status, got.Flag, status, flag)
			}
			return got
		}
		const prefix = "alert: deposit pending"
		e.clock.Advance(cashier.PendingCreditWait - time.Minute)
		e.janitor()
		for _, o := range []models.Order{lateCredit, lateCancel, silent} {
			want("before the wait", o, models.OrderPending, "")
		}
		if got := alerts(t, logs, prefix); len(got) != 0 {
			t.Errorf("alerts before the wait for orders %v; want none", got)
		}

		e.clock.Advance(2 * time.Minute)
		e.janitor()
		e.janitor()
		e.clock.Advance(time.Hour)
		e.janitor()
		for _, o := range []models.Order{lateCredit, lateCancel, silent} {
			if got := want("after the wait", o, models.OrderPending, models.FlagDepositPendingNoCredit); got.CreditOverdueAt == nil {
				t.Errorf("order %d flagged without its credit_overdue_at", o.ID)
			}
		}
		want("after the wait", credited, models.OrderCredited, "")
		if got := want("after the wait", left, models.OrderAbandoned, ""); got.CreditOverdueAt != nil {
			t.Errorf("abandoned order %d marked overdue at %v; want never", left.ID, got.CreditOverdueAt)
		}
		got := alerts(t, logs, prefix)
		slices.Sort(got)
		if wantIDs := []int64{lateCredit.ID, lateCancel.ID, silent.ID}; !slices.Equal(got, wantIDs) {
			t.Errorf("alerts for orders %v; want one each for %v", got, wantIDs)
		}
		if got := alerts(t, logs, "alert: Pay N Play deposit"); len(got) != 0 {
			t.Errorf("Pay N Play alerts for orders %v; want none: these are ordinary deposits", got)
		}
		e.wantMoney(p, 40000, 0)

		// Where staff look: the flagged list, the order page, the home's count.
		viewer := e.admin()
		list, err := e.svc.FlaggedList(e.ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[int64]string{}
		for _, row := range list.Orders {
			listed[row.ID] = row.Flag
		}
		for _, o := range []models.Order{lateCredit, lateCancel, silent} {
			if listed[o.ID] != models.FlagDepositPendingNoCredit {
				t.Errorf("order %d on the flagged list with %q; want %q", o.ID, listed[o.ID], models.FlagDepositPendingNoCredit)
			}
		}
		detail, err := e.svc.OrderDetail(e.ctx, viewer, silent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if detail.Order.Flag != models.FlagDepositPendingNoCredit {
			t.Errorf("order page flag %q; want %q", detail.Order.Flag, models.FlagDepositPendingNoCredit)
		}
		if !slices.ContainsFunc(detail.Timeline, func(ev cashier.TimelineEvent) bool { return ev.Name == "credit overdue" }) {
			t.Errorf("order page timeline %v; want the janitor's credit overdue", detail.Timeline)
		}
		home, err := e.svc.BackOfficeHome(e.ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if home.FlaggedOrders != 3 {
			t.Errorf("home counts %d flagged orders; want 3", home.FlaggedOrders)
		}

		// The credit comes after all, twice: booked once, the flag goes.
		credit := e.forge(trustly.MethodCredit, lateCredit, p, nil)
		e.apply(credit)
		e.apply(credit)
		want("credit after the flag", lateCredit, models.OrderCredited, "")
		if n := e.creditsOf(lateCredit); n != 1 {
			t.Errorf("late credit booked %d times; want once", n)
		}
		e.wantMoney(p, 50000, 0)
		// A cancel after the flag: failed, nothing to wait for.
		e.apply(e.forge(trustly.MethodCancel, lateCancel, p, nil))
		want("cancel after the flag", lateCancel, models.OrderFailed, "")

		e.clock.Advance(cashier.PendingCreditWait + time.Minute)
		e.janitor()
		want("credited, later", lateCredit, models.OrderCredited, "")
		want("cancelled, later", lateCancel, models.OrderFailed, "")
		want("still waiting, later", silent, models.OrderPending, models.FlagDepositPendingNoCredit)
		if got := alerts(t, logs, prefix); len(got) != 3 {
			t.Errorf("alerts for orders %v after more runs; want the first three only", got)
		}
		home, err = e.svc.BackOfficeHome(e.ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if home.FlaggedOrders != 1 {
			t.Errorf("home counts %d flagged orders after the late credit and cancel; want 1", home.FlaggedOrders)
		}
		e.wantMoney(p, 50000, 0)
	})
}
