package cashier_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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

// raceOverdue runs the janitor's overdue job and every notification of raws at
// the same instant, each on a goroutine of its own released by one barrier, and
// fails on an error of any: the job's transactions and the notifications'
// interleave as the databases' locks let them.
func (e *payEnv) raceOverdue(raws [][]byte) {
	e.t.Helper()
	barrier := make(chan struct{})
	errs := make(chan error, len(raws)+1)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-barrier
		errs <- e.svc.FlagOverdue(e.ctx)
	})
	for _, raw := range raws {
		wg.Go(func() {
			<-barrier
			answer, err := e.svc.HandleNotification(e.ctx, raw)
			if err == nil && strings.Contains(string(answer), trustly.StatusFinish) {
				err = fmt.Errorf("answer %s; want OK or CONTINUE", answer)
			}
			errs <- err
		})
	}
	close(barrier)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			e.t.Error(err)
		}
	}
}

// TestOverdueRacesLateNotification: the janitor's overdue job runs at the same
// instant as the notification that ends the wait of the orders it finds
// overdue, for many orders at once, so that the notifications commit before its
// query, between its query and its row lock, and after its mark: an ordinary
// deposit's credit and a Pay N Play deposit's kyc (CONTINUE, which books the
// held credit). Each credit is booked exactly once (and once more delivered,
// still once), each order ends credited with no flag, and an alert was logged
// for an order exactly when the job marked it, which it did only while the
// order still waited. Then a Pay N Play deposit's credit, held for its kyc,
// races the mark of its pending: it ends held, without the pending's flag.
func TestOverdueRacesLateNotification(t *testing.T) {
	const n = 8
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		t.Run("credit", func(t *testing.T) {
			e := newPayEnv(t, db)
			logs := &lockedBuffer{}
			e.log = slog.New(slog.NewJSONHandler(logs, nil))
			e.svc = e.service(nil)
			p := e.player("SE")
			var orders []models.Order
			var credits [][]byte
			for range n {
				o := e.pendingDeposit(p, 100)
				orders = append(orders, o)
				credits = append(credits, e.forge(trustly.MethodCredit, o, p, nil))
			}
			e.clock.Advance(cashier.PendingCreditWait + time.Minute)
			e.raceOverdue(credits)
			for _, raw := range credits {
				e.apply(raw) // delivered again
			}
			e.janitor()
			alerted := alerts(t, logs, "alert: deposit pending")
			for _, o := range orders {
				got := e.reload(o)
				if got.Status != models.OrderCredited || got.Flag != "" {
					t.Errorf("order %d %s, flag %q; want credited, no flag", o.ID, got.Status, got.Flag)
				}
				if c := e.creditsOf(o); c != 1 {
					t.Errorf("order %d credit booked %d times; want once", o.ID, c)
				}
				if a := slices.Index(alerted, o.ID) >= 0; a != (got.CreditOverdueAt != nil) {
					t.Errorf("order %d alerted %t, marked overdue at %v; want an alert exactly for a mark", o.ID, a, got.CreditOverdueAt)
				}
			}
			if len(alerted) != len(slices.Compact(slices.Sorted(slices.Values(alerted)))) {
				t.Errorf("alerts for orders %v; want at most one each", alerted)
			}
			e.wantMoney(p, n*10000, 0)
			t.Logf("%d of %d orders marked before their credit", len(alerted), n)
		})

		t.Run("kyc", func(t *testing.T) {
			e := pnpEnv(t, db, "pure")
			logs := &lockedBuffer{}
			e.log = slog.New(slog.NewJSONHandler(logs, nil))
			e.svc = e.service(nil)
			nobody := func(o models.Order) models.Player { return models.Player{EndUserID: o.EndUserID} }
			var orders []models.Order
			var kycs, credits [][]byte
			for range n {
				o := e.pnpVisitorOrder()
				e.apply(e.forge(trustly.MethodPending, o, nobody(o), amountOf(o)))
				credits = append(credits, e.forge(trustly.MethodCredit, o, nobody(o), nil))
				e.apply(credits[len(credits)-1])
				orders = append(orders, o)
				who := paySeq.Add(1)
				kycs = append(kycs, notify(t, e.sb.Config.Key, trustly.MethodKYC, o, o.EndUserID, kycFields(fmt.Sprintf("race-%d", who),
					map[string]any{"firstname": "Jan", "lastname": fmt.Sprintf("Race %d", who), "dob": "1975-07-14", "street": "Damrak 1",
						"zipcode": "1012 LG", "city": "Amsterdam", "country": "NL"})).raw)
			}
			e.clock.Advance(cashier.HeldCreditKYCWait + time.Minute)
			e.raceOverdue(kycs)
			for i := range orders {
				e.apply(credits[i]) // the credit delivered again after its booking
			}
			e.janitor()
			alerted := alerts(t, logs, "alert: Pay N Play deposit")
			for _, o := range orders {
				got := e.reload(o)
				if got.Status != models.OrderCredited || got.Flag != "" || got.PlayerID == 0 {
					t.Errorf("order %d %s, flag %q, player %d; want credited to a player, no flag", o.ID, got.Status, got.Flag, got.PlayerID)
				}
				if c := e.creditsOf(o); c != 1 {
					t.Errorf("order %d credit booked %d times; want once", o.ID, c)
				}
				if a := slices.Index(alerted, o.ID) >= 0; a != (got.KYCOverdueAt != nil) {
					t.Errorf("order %d alerted %t, marked overdue at %v; want an alert exactly for a mark", o.ID, a, got.KYCOverdueAt)
				}
				if got.CreditOverdueAt != nil {
					t.Errorf("order %d holding a credit marked as waiting for one at %v", o.ID, got.CreditOverdueAt)
				}
				e.wantMoney(models.Player{ID: got.PlayerID, Currency: "EUR"}, 10000, 0)
			}
			if len(alerted) != len(slices.Compact(slices.Sorted(slices.Values(alerted)))) {
				t.Errorf("alerts for orders %v; want at most one each", alerted)
			}
			t.Logf("%d of %d orders marked before their kyc", len(alerted), n)

			// A pending Pay N Play deposit's credit races the mark of its pending.
			var pendings []models.Order
			credits = credits[:0]
			for range n {
				o := e.pnpVisitorOrder()
				e.apply(e.forge(trustly.MethodPending, o, nobody(o), amountOf(o)))
				pendings = append(pendings, o)
				credits = append(credits, e.forge(trustly.MethodCredit, o, nobody(o), nil))
			}
			e.clock.Advance(cashier.PendingCreditWait + time.Minute)
			e.raceOverdue(credits)
			e.janitor()
			for _, o := range pendings {
				got := e.reload(o)
				if got.Status != models.OrderPending || got.Flag != "" || got.CreditHeldAt == nil || got.CreditedAt != nil {
					t.Errorf("order %d %s, flag %q, held %v, credited %v; want pending, its credit held for the kyc, no flag",
						o.ID, got.Status, got.Flag, got.CreditHeldAt, got.CreditedAt)
				}
				if c := e.creditsOf(o); c != 0 {
					t.Errorf("order %d credit booked %d times before its kyc; want never", o.ID, c)
				}
			}
		})
	})
}

// TestOverdueRereadsUnderLock: the notification that ends an order's wait
// commits after the overdue job's query found the order and before the job locks
// its row (cashier.Service.AfterOverdueQuery): an ordinary deposit's credit or
// cancel, a Pay N Play deposit's kyc (CONTINUE, booking its held credit) or the
// credit of one pending. The job reads the order again under the lock and leaves
// it as the notification left it: no mark, no flag, no alert, the credit booked
// once (or held for the kyc).
func TestOverdueRereadsUnderLock(t *testing.T) {
	type racer struct {
		o      models.Order
		raw    []byte
		status models.OrderStatus
	}
	run := func(t *testing.T, e *payEnv, logs *lockedBuffer, wait time.Duration, racers []racer) {
		t.Helper()
		e.clock.Advance(wait + time.Minute)
		byID := map[int64][]byte{}
		for _, r := range racers {
			byID[r.o.ID] = r.raw
		}
		var found []int64
		e.svc.AfterOverdueQuery(func(ids []int64) {
			found = ids
			for _, id := range ids {
				if raw := byID[id]; raw != nil {
					answer, err := e.svc.HandleNotification(e.ctx, raw)
					if err != nil || strings.Contains(string(answer), trustly.StatusFinish) {
						t.Errorf("notification for order %d within the job: %s, %v", id, answer, err)
					}
				}
			}
		})
		if err := e.svc.FlagOverdue(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.svc.AfterOverdueQuery(nil)
		if got := alerts(t, logs, "alert:"); len(got) != 0 {
			t.Errorf("alerts for orders %v; want none: each order's wait ended before its lock", got)
		}
		for _, r := range racers {
			if !slices.Contains(found, r.o.ID) {
				t.Errorf("the job's query found %v, not order %d: no race", found, r.o.ID)
			}
			got := e.reload(r.o)
			if got.Status != r.status || got.Flag != "" || got.CreditOverdueAt != nil || got.KYCOverdueAt != nil {
				t.Errorf("order %d %s, flag %q, marked %v and %v; want %s, no flag, no mark", r.o.ID, got.Status, got.Flag,
					got.CreditOverdueAt, got.KYCOverdueAt, r.status)
			}
			want := int64(0)
			if r.status == models.OrderCredited {
				want = 1
			}
			if c := e.creditsOf(r.o); c != want {
				t.Errorf("order %d %s with its credit booked %d times; want %d", r.o.ID, got.Status, c, want)
			}
		}
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		t.Run("ordinary", func(t *testing.T) {
			e := newPayEnv(t, db)
			logs := &lockedBuffer{}
			e.log = slog.New(slog.NewJSONHandler(logs, nil))
			e.svc = e.service(nil)
			p := e.player("SE")
			credited, cancelled := e.pendingDeposit(p, 100), e.pendingDeposit(p, 200)
			run(t, e, logs, cashier.PendingCreditWait, []racer{
				{credited, e.forge(trustly.MethodCredit, credited, p, nil), models.OrderCredited},
				{cancelled, e.forge(trustly.MethodCancel, cancelled, p, nil), models.OrderFailed}})
			e.wantMoney(p, 10000, 0)
		})
		t.Run("paynplay", func(t *testing.T) {
			e := pnpEnv(t, db, "pure")
			logs := &lockedBuffer{}
			e.log = slog.New(slog.NewJSONHandler(logs, nil))
			e.svc = e.service(nil)
			nobody := func(o models.Order) models.Player { return models.Player{EndUserID: o.EndUserID} }
			held, pending := e.pnpVisitorOrder(), e.pnpVisitorOrder()
			for _, o := range []models.Order{held, pending} {
				e.apply(e.forge(trustly.MethodPending, o, nobody(o), amountOf(o)))
			}
			e.apply(e.forge(trustly.MethodCredit, held, nobody(held), nil))
			who := paySeq.Add(1)
			kyc := notify(t, e.sb.Config.Key, trustly.MethodKYC, held, held.EndUserID, kycFields(fmt.Sprintf("reread-%d", who),
				map[string]any{"firstname": "Jan", "lastname": fmt.Sprintf("Lock %d", who), "dob": "1975-07-14", "street": "Damrak 1",
					"zipcode": "1012 LG", "city": "Amsterdam", "country": "NL"})).raw
			run(t, e, logs, max(cashier.HeldCreditKYCWait, cashier.PendingCreditWait), []racer{
				{held, kyc, models.OrderCredited},
				{pending, e.forge(trustly.MethodCredit, pending, nobody(pending), nil), models.OrderPending}})
			if got := e.reload(pending); got.CreditHeldAt == nil {
				t.Errorf("order %d's credit not held for its kyc", pending.ID)
			}
		})
	})
}
