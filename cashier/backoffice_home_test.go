package cashier_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// homeFigures are BackOfficeHome's counts and sums, for comparing.
type homeFigures struct {
	Waiting                               []cashier.CurrencyCount
	Flagged, Unmatched, Raises            int
	TrustlyErrors, TransportErrors        int
	Silent, Unanswered                    map[models.OrderStatus]int
	Checking                              int
	TodayCurrencies                       []string
	TodayDepositsMinor, TodayPayoutsMinor int64
}

func figuresOf(h cashier.BackOfficeHome) homeFigures {
	f := homeFigures{Waiting: h.Waiting, Flagged: h.FlaggedOrders, Unmatched: h.Unmatched, Raises: h.FlaggedRaises,
		TrustlyErrors: h.TrustlyErrors, TransportErrors: h.TransportErrors,
		Silent: h.SilentDeposits, Unanswered: h.UnansweredPayouts, Checking: h.CheckingPayouts}
	for _, d := range h.Today {
		f.TodayCurrencies = append(f.TodayCurrencies, d.Deposits.Currency)
		f.TodayDepositsMinor += d.Deposits.Minor
		f.TodayPayoutsMinor += d.Payouts.Minor
	}
	return f
}

// TestBackOfficeHome: the back office's home counts, each from nothing to
// something, what the lists it links to hold: the payouts waiting for approval
// per currency with their sum, the flagged orders, unmatched notifications and
// flagged limit raises no one resolved (a resolved one is not counted), the calls
// to Trustly that failed in the last 24 hours by outcome (an older failure and a
// success are not), the deposits the janitor would abandon (not before
// CheckoutExpiry), the payouts without an answer a ResumeAfter after their last
// attempt (not before) and those checking, and today's deposits credited and
// payouts sent as the reports sum them. A viewer reads the same figures as an
// operator, but may decide and resolve nothing; someone not staff reads nothing.
func TestBackOfficeHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer, op := e.staff(staff.RoleViewer), e.staff(staff.RoleOperator)
		home := func(m staff.Member) cashier.BackOfficeHome {
			t.Helper()
			h, err := e.svc.BackOfficeHome(e.ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		want := func(what string, m staff.Member, w homeFigures) {
			t.Helper()
			if got := figuresOf(home(m)); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: got %+v\nwant %+v", what, got, w)
			}
		}
		none := func() map[models.OrderStatus]int { return map[models.OrderStatus]int{} }
		want("empty", viewer, homeFigures{Silent: none(), Unanswered: none()})
		if h := home(viewer); h.MayDecide || h.MayResolve {
			t.Errorf("viewer: may decide %t, resolve %t; want neither", h.MayDecide, h.MayResolve)
		}
		if h := home(op); !h.MayDecide || !h.MayResolve {
			t.Errorf("operator: may decide %t, resolve %t; want both", h.MayDecide, h.MayResolve)
		}
		if h := home(viewer); h.CheckoutExpiry != cashier.CheckoutExpiry || h.ResumeAfter != 2*time.Minute {
			t.Errorf("thresholds %s, %s; want the janitor's %s and 2m0s", h.CheckoutExpiry, h.ResumeAfter, cashier.CheckoutExpiry)
		}
		if _, err := e.svc.BackOfficeHome(e.ctx, staff.Member{ID: 1 << 40}); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("not staff: %v; want ErrNotAllowed", err)
		}

		// Today's money, and payouts waiting.
		p := e.player("SE")
		account := e.deposit(p, 15000)
		// A flagged deposit. The sandbox now logs in as the person the cashier
		// named, so its account notification no longer flags the holder's name.
		if err := db.Model(&models.Order{}).Where("player_id = ? AND kind = ?", p.ID, models.OrderDeposit).
			Update("flag", "bank account holder is not the player's name").Error; err != nil {
			t.Fatal(err)
		}
		paid, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(paid, models.OrderConfirmed)
		for _, major := range []int64{6000, 7000} {
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, major))
			if err != nil || o.Status != models.OrderAwaitingApproval {
				t.Fatalf("payout of %d: %s, %v; want awaiting approval", major, o.Status, err)
			}
		}
		w := homeFigures{Waiting: []cashier.CurrencyCount{{Count: 2, Sum: e.money(p, 13000)}},
			TodayCurrencies: []string{"SEK"}, TodayDepositsMinor: 1500000, Flagged: 1, TodayPayoutsMinor: 10000, Silent: none(), Unanswered: none()}
		want("money", viewer, w)
		want("money, for an operator", op, w)
		// The reports' figures for today are these.
		vols, err := e.svc.DailyVolumes(e.ctx, viewer, e.clock.Now(), e.clock.Now().AddDate(0, 0, 1))
		if today := home(viewer).Today; err != nil || len(vols["SEK"]) != 1 || len(today) != 1 || vols["SEK"][0] != today[0] {
			t.Errorf("reports' today %+v (%v); home's %+v", vols, err, today)
		}

		// Flags, an unmatched notification, a flagged raise.
		if err := db.Model(&models.Order{}).Where("id = ?", paid.ID).Update("flag", "looked odd").Error; err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		if err := db.Create(&models.Notification{NotificationID: fmt.Sprint("home-", now.UnixNano()), Method: "credit", UUID: "u",
			TrustlyOrderID: "999", Raw: "{}", ReceivedAt: now, LastDeliveryAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&limits.Change{PlayerID: p.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000,
			RequestedAt: now, EffectiveAt: now, Flag: "above 10 000 SEK a month"}).Error; err != nil {
			t.Fatal(err)
		}
		w.Flagged, w.Unmatched, w.Raises = 2, 1, 1
		want("flags", viewer, w)
		if _, err := e.svc.ResolveOrderFlags(e.ctx, op, paid.ID, "fine"); err != nil {
			t.Fatal(err)
		}
		w.Flagged = 1
		want("a flag resolved", viewer, w)

		// Failed calls: of the last 24 hours, by outcome.
		for _, c := range []models.APICall{
			{Method: "Deposit", ErrorCode: 616, Error: "ERROR_INVALID_CREDENTIALS", At: now.Add(-time.Hour)},
			{Method: "AccountPayout", Error: "timeout", At: now.Add(-23 * time.Hour)},
			{Method: "AccountPayout", Error: "timeout", At: now.Add(-25 * time.Hour)},
			{Method: "Balance", Response: "{}", At: now},
		} {
			c.Request = "{}"
			if err := db.Create(&c).Error; err != nil {
				t.Fatal(err)
			}
		}
		w.TrustlyErrors, w.TransportErrors = 1, 1
		want("failed calls", viewer, w)

		// Payouts without an answer: counted a ResumeAfter after their last attempt.
		for _, ago := range []time.Duration{time.Minute, 3 * time.Minute} {
			attempted := now.Add(-ago)
			o := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
				EndUserID: p.EndUserID, Amount: e.money(p, 10), BankAccountID: account.ID, Attempts: 1, AttemptedAt: &attempted,
				CreatedAt: attempted}
			o.Refresh()
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			if o.Status != models.OrderRequested {
				t.Fatalf("payout made unanswered is %s; want requested", o.Status)
			}
		}
		checking := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
			EndUserID: p.EndUserID, Amount: e.money(p, 10), BankAccountID: account.ID, CheckingAt: &now, CreatedAt: now}
		checking.Refresh()
		if err := db.Create(&checking).Error; err != nil {
			t.Fatal(err)
		}
		w.Unanswered, w.Checking = map[models.OrderStatus]int{models.OrderRequested: 1}, 1
		want("payouts without an answer", viewer, w)

		// A deposit Trustly says nothing about: counted once its checkout is over.
		e.silentDeposit(p, 100)
		want("a silent deposit in its checkout's time", viewer, w)
		e.clock.Advance(cashier.CheckoutExpiry + time.Second)
		w.Silent = map[models.OrderStatus]int{models.OrderStarted: 1}
		w.Unanswered = map[models.OrderStatus]int{models.OrderRequested: 2} // the other payout's attempt is older now too
		if e.clock.Now().UTC().YearDay() != now.UTC().YearDay() {
			// The clock went past midnight UTC (a run in the half hour before it):
			// the money of earlier is yesterday's, and today has none.
			w.TodayCurrencies, w.TodayDepositsMinor, w.TodayPayoutsMinor = nil, 0, 0
		}
		want("a silent deposit after its checkout's time", viewer, w)
	})
}

type homeStatementKey struct{}

// TestBackOfficeHomePlans: every statement the back office's home runs reads
// its tables through an index, on both databases (storetest.Explain: PostgreSQL
// with scans of whole tables priced out), so that the page, opened often, reads
// what it counts and not the orders', calls' or transfers' history: no SQLite
// "SCAN" of a table without an index, no PostgreSQL "Seq Scan", and the orders
// through their statuses' index or the flagged ones', never one of every order
// of a kind, a player or a time. The silent deposits' count read every deposit
// back to the cutoff (idx_orders_kind_created on SQLite, a Seq Scan on
// PostgreSQL) before silentCheckouts named the statuses outside its OR.
func TestBackOfficeHomePlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer := e.staff(staff.RoleViewer)
		var (
			mu    sync.Mutex
			stmts []string
			vars  [][]any
		)
		record := func(tx *gorm.DB) {
			// A subquery is rendered by a dry run of its own, then run in its statement.
			if tx.DryRun || tx.Statement.Context == nil || tx.Statement.Context.Value(homeStatementKey{}) == nil || tx.Statement.SQL.Len() == 0 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			stmts, vars = append(stmts, tx.Statement.SQL.String()), append(vars, slices.Clone(tx.Statement.Vars))
		}
		// readTx reads on store.Reads(db): on SQLite a pool of its own.
		for _, pool := range slices.Compact([]*gorm.DB{db, store.Reads(db)}) {
			cb := pool.Callback()
			for _, err := range []error{
				cb.Query().After("gorm:query").Register("test:home", record),
				cb.Row().After("gorm:row").Register("test:home", record),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := e.svc.BackOfficeHome(context.WithValue(e.ctx, homeStatementKey{}, true), viewer); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		// The member, the waiting payouts, three flagged lists, two outcomes of
		// calls, silent deposits, unanswered and checking payouts, today's money.
		if len(stmts) < 10 {
			t.Fatalf("recorded %d statements: %q; want the home's 10 reads at least", len(stmts), stmts)
		}
		for i, stmt := range stmts {
			plan, err := storetest.Explain(db, stmt, vars[i]...)
			text := strings.Join(plan, "\n")
			if err != nil || unindexedRead(db, text) {
				t.Errorf("%s\nplan (%v):\n\t%s\nwant every table read through an index", stmt, err, strings.Join(plan, "\n\t"))
			}
		}
	})
}

var sqliteTableScan = regexp.MustCompile(`(?m)^\s*SCAN (\w+)\s*$`)

// historyIndexes are the orders' indexes that hold every order of a kind, a
// player or a time, which the home must not read without a bound: its orders are
// those in a few statuses, or flagged.
var historyIndexes = regexp.MustCompile(`orders_pkey|idx_orders_(kind|player|created_at|currency)`)

// unindexedRead reports whether plan reads a table whole: PostgreSQL's Seq
// Scan, or SQLite's SCAN of a table without an index (a subquery's rows, named
// "counted" by countUpTo, are no table); or the orders through an index of
// their history (historyIndexes).
func unindexedRead(db *gorm.DB, plan string) bool {
	if historyIndexes.MatchString(plan) {
		return true
	}
	if db.Dialector.Name() == "postgres" {
		return strings.Contains(plan, "Seq Scan")
	}
	for _, m := range sqliteTableScan.FindAllStringSubmatch(plan, -1) {
		if m[1] != "counted" {
			return true
		}
	}
	return false
}
