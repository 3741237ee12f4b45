package cashier_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestAPICallsList: the back office's list of the calls made to Trustly holds
// every kept call, about an order or not: a deposit's Deposit, a player's
// RegisterAccount, the reports page's Balance; newest first; each filter (method,
// outcome, Trustly's code, player, order, date range) narrows it to the calls it
// names, and pages follow one another without a gap or a repeat. A viewer may
// list them; a member of no role may not. No row holds a password, signature or
// the notification token.
func TestAPICallsList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer := e.staff(staff.RoleViewer)
		p := e.player("SE")
		e.deposit(p, 100)
		dep := e.lastDeposit(p)
		other := e.player("SE")
		if _, err := e.svc.RegisterBankAccount(e.ctx, other, "SE", "6112", "69706212"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.TrustlyBalance(e.ctx, e.staff(staff.RoleFinance)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(cashier.BalanceEvery)
		if _, _, err := e.unreachable().TrustlyBalance(e.ctx, e.staff(staff.RoleFinance)); err == nil {
			t.Fatal("Trustly unreachable: balance answered; want an error")
		}
		list := func(f cashier.APICallFilter) []models.APICall {
			t.Helper()
			calls, err := e.svc.APICallsList(e.ctx, viewer, f)
			if err != nil {
				t.Fatal(err)
			}
			return calls
		}
		all := list(cashier.APICallFilter{})
		var kept []models.APICall
		if err := db.Order("at DESC, id DESC").Find(&kept).Error; err != nil {
			t.Fatal(err)
		}
		if len(all) != len(kept) || len(all) < 4 {
			t.Fatalf("listed %d calls; want all %d kept (at least Deposit, RegisterAccount and two Balance)", len(all), len(kept))
		}
		for i := range all {
			if all[i].ID != kept[i].ID {
				t.Fatalf("call %d listed is %d; want %d, newest first", i, all[i].ID, kept[i].ID)
			}
			for _, secret := range []string{e.sb.Password, e.cfg.NotifyToken, "Signature", "Password", "Username"} {
				if strings.Contains(all[i].Request, secret) || strings.Contains(all[i].Response, secret) {
					t.Errorf("%s call %d keeps %q: %s / %s", all[i].Method, all[i].ID, secret, all[i].Request, all[i].Response)
				}
			}
		}

		day := e.clock.Now().UTC().Truncate(24 * time.Hour)
		for _, tt := range []struct {
			name string
			f    cashier.APICallFilter
			want func(models.APICall) bool
		}{
			{"method", cashier.APICallFilter{Method: "Balance"}, func(c models.APICall) bool { return c.Method == "Balance" }},
			{"ok", cashier.APICallFilter{Outcome: cashier.CallAnswered}, func(c models.APICall) bool { return c.Error == "" }},
			{"transport", cashier.APICallFilter{Outcome: cashier.CallTransport},
				func(c models.APICall) bool { return c.Error != "" && c.ErrorCode == 0 }},
			{"trustly", cashier.APICallFilter{Outcome: cashier.CallRefused}, func(c models.APICall) bool { return c.ErrorCode != 0 }},
			{"code", cashier.APICallFilter{Outcome: cashier.CallRefused, ErrorCode: 616}, func(c models.APICall) bool { return c.ErrorCode == 616 }},
			{"player", cashier.APICallFilter{PlayerID: other.ID}, func(c models.APICall) bool { return c.PlayerID == other.ID }},
			{"order", cashier.APICallFilter{OrderID: dep.ID}, func(c models.APICall) bool { return c.OrderID == dep.ID }},
			{"range", cashier.APICallFilter{From: day, To: day.AddDate(0, 0, 1)},
				func(c models.APICall) bool { return !c.At.Before(day) && c.At.Before(day.AddDate(0, 0, 1)) }},
			{"range before", cashier.APICallFilter{To: day}, func(c models.APICall) bool { return c.At.Before(day) }},
		} {
			got := list(tt.f)
			var want []int64
			for _, c := range all {
				if tt.want(c) {
					want = append(want, c.ID)
				}
			}
			var ids []int64
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if !equalIDs(ids, want) {
				t.Errorf("%s: listed %v; want %v", tt.name, ids, want)
			}
		}
		for _, tt := range []struct {
			f     cashier.APICallFilter
			least int
		}{{cashier.APICallFilter{Method: "Balance"}, 2}, {cashier.APICallFilter{Outcome: cashier.CallTransport}, 1},
			{cashier.APICallFilter{PlayerID: other.ID}, 1}, {cashier.APICallFilter{OrderID: dep.ID}, 1},
			{cashier.APICallFilter{Method: "RegisterAccount", PlayerID: other.ID}, 1}} {
			if n := len(list(tt.f)); n < tt.least {
				t.Errorf("%+v: %d calls; want at least %d", tt.f, n, tt.least)
			}
		}

		// Pages of two follow one another, newest first, to the end.
		var paged []int64
		for before := int64(0); ; {
			page := list(cashier.APICallFilter{Limit: 2, BeforeID: before})
			for _, c := range page {
				paged = append(paged, c.ID)
			}
			if len(page) < 2 {
				break
			}
			before = page[len(page)-1].ID
		}
		var allIDs []int64
		for _, c := range all {
			allIDs = append(allIDs, c.ID)
		}
		if !equalIDs(paged, allIDs) {
			t.Errorf("pages of two: %v; want %v", paged, allIDs)
		}
		if got := list(cashier.APICallFilter{BeforeID: 1 << 40}); len(got) != 0 {
			t.Errorf("page after an unknown call: %d calls; want none", len(got))
		}

		if _, err := e.svc.APICallsList(e.ctx, staff.Member{ID: 1 << 40}, cashier.APICallFilter{}); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("unknown member lists calls: %v; want ErrNotAllowed", err)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAPICallsListPlans: each filter of the list of calls to Trustly reads an
// index of api_calls in the list's order, on both databases: no scan of the
// table, no sort of its rows for the page; the method, player, order and code
// filters with their equality in the index condition. At millions of calls a
// page must read only its rows.
func TestAPICallsListPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer := e.staff(staff.RoleViewer)
		var (
			mu    sync.Mutex
			stmts []string
			vars  [][]any
			on    bool
		)
		if err := db.Callback().Query().After("gorm:query").Register("test:api-calls", func(tx *gorm.DB) {
			mu.Lock()
			defer mu.Unlock()
			if sql := tx.Statement.SQL.String(); on && strings.Contains(sql, "ORDER BY at DESC") {
				stmts, vars = append(stmts, sql), append(vars, tx.Statement.Vars)
			}
		}); err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tt := range []struct {
			name string
			f    cashier.APICallFilter
			cond string // a column the index read must be bounded by
		}{
			{"none", cashier.APICallFilter{}, ""},
			{"page", cashier.APICallFilter{BeforeID: 1}, ""},
			{"method", cashier.APICallFilter{Method: "Deposit"}, "method"},
			{"ok", cashier.APICallFilter{Outcome: cashier.CallAnswered}, ""},
			{"trustly", cashier.APICallFilter{Outcome: cashier.CallRefused}, ""},
			{"code", cashier.APICallFilter{Outcome: cashier.CallRefused, ErrorCode: 616}, "error_code"},
			{"transport", cashier.APICallFilter{Outcome: cashier.CallTransport}, ""},
			{"player", cashier.APICallFilter{PlayerID: 7}, "player_id"},
			{"order", cashier.APICallFilter{OrderID: 7}, "order_id"},
			{"range", cashier.APICallFilter{From: from, To: from.AddDate(0, 0, 1)}, "at"},
			{"player and range", cashier.APICallFilter{PlayerID: 7, From: from, To: from.AddDate(0, 0, 1)}, "player_id"},
		} {
			if tt.name == "page" {
				p := e.player("SE")
				e.deposit(p, 100) // a call for the page to start after
				var first models.APICall
				if err := db.Order("id").Take(&first).Error; err != nil {
					t.Fatal(err)
				}
				tt.f.BeforeID = first.ID
			}
			mu.Lock()
			on, stmts, vars = true, nil, nil
			mu.Unlock()
			if _, err := e.svc.APICallsList(e.ctx, viewer, tt.f); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			on = false
			got, args := stmts, vars
			mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("%s: %d list statements recorded %v; want 1", tt.name, len(got), got)
			}
			plan, err := storetest.Explain(db, got[0], args[0]...)
			text := strings.Join(plan, "\n")
			if err != nil || !usesCallIndex(db, text, tt.cond) {
				t.Errorf("%s: %s\nplan (%v):\n\t%s\nwant an idx_api_calls_ index read in order, bounded by %q, nothing sorted",
					tt.name, got[0], err, strings.Join(plan, "\n\t"), tt.cond)
			}
		}
	})
}

var (
	sqliteCallIndex = regexp.MustCompile(`(?m)^\s*(?:SEARCH|SCAN) api_calls USING (?:COVERING )?INDEX idx_api_calls_\w+(?: \((.*)\))?$`)
	pgCallIndex     = regexp.MustCompile(`Index Scan(?: Backward)? using idx_api_calls_\w+ on api_calls`)
)

// usesCallIndex reports whether plan reads api_calls through one of its list
// indexes, with cond in the index condition when cond is not "", and sorts
// nothing.
func usesCallIndex(db *gorm.DB, plan, cond string) bool {
	if db.Dialector.Name() == "postgres" {
		if !pgCallIndex.MatchString(plan) || strings.Contains(plan, "Sort") || strings.Contains(plan, "Seq Scan") {
			return false
		}
		return cond == "" || regexp.MustCompile(`Index Cond: .*\b`+cond+`\b`).MatchString(plan)
	}
	m := sqliteCallIndex.FindStringSubmatch(plan)
	if m == nil || strings.Contains(plan, "TEMP B-TREE") {
		return false
	}
	return cond == "" || strings.Contains(m[1], cond)
}

// TestCallOutcomeOneRule: the outcome the list filters by in SQL and the one
// OutcomeOf gives a call already read (the page's label) are the same rule: for
// calls of every shape, each outcome's filter lists exactly the calls OutcomeOf
// names so.
func TestCallOutcomeOneRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer := e.staff(staff.RoleViewer)
		at := time.Now().UTC()
		for i, c := range []models.APICall{
			{Method: "Balance", Response: "[]"},
			{Method: "Balance", Error: "Trustly error 616: ERROR_INVALID_CREDENTIALS", ErrorCode: 616},
			{Method: "Balance", Error: "post: connection refused"},
			{Method: "Deposit", Error: "answer refused: bad signature"},
			{Method: "Refund", Error: "Trustly error 620: ERROR_UNKNOWN", ErrorCode: 620},
		} {
			c.At = at.Add(time.Duration(i) * time.Second)
			if err := db.Create(&c).Error; err != nil {
				t.Fatal(err)
			}
		}
		all, err := e.svc.APICallsList(e.ctx, viewer, cashier.APICallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range cashier.CallOutcomes {
			listed, err := e.svc.APICallsList(e.ctx, viewer, cashier.APICallFilter{Outcome: o})
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, c := range all {
				if cashier.OutcomeOf(c) == o {
					want = append(want, c.ID)
				}
			}
			var got []int64
			for _, c := range listed {
				got = append(got, c.ID)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("outcome %s: the filter lists %v, OutcomeOf names %v", o, got, want)
			}
		}
	})
}
