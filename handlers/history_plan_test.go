package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/seed"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// sqlRecorder keeps the statements GORM runs on one database, by the name of the
// operation under way.
type sqlRecorder struct {
	mu    sync.Mutex
	op    string // "" records nothing
	stmts map[string][]recordedSQL
}

type recordedSQL struct {
	sql  string
	vars []any
}

// recordSQL registers callbacks on db that record every statement run after
// each of GORM's own (query, create, update, delete, row, raw) while an
// operation is named (start).
func recordSQL(t *testing.T, db *gorm.DB) *sqlRecorder {
	t.Helper()
	r := &sqlRecorder{stmts: map[string][]recordedSQL{}}
	record := func(tx *gorm.DB) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.op == "" || tx.Statement.SQL.Len() == 0 {
			return
		}
		r.stmts[r.op] = append(r.stmts[r.op], recordedSQL{tx.Statement.SQL.String(), slices.Clone(tx.Statement.Vars)})
	}
	// The pages' read transactions run on store.Reads(db), on SQLite a pool of
	// its own with callbacks and plugins of its own: without them there, none of
	// a page's statements would be recorded on SQLite.
	pools := []*gorm.DB{db}
	if reads := store.Reads(db); reads != db {
		pools = append(pools, reads)
	}
	for _, pool := range pools {
		// The statements the hot paths run in SQL of their own (cashier/store/raw).
		if err := pool.Use(&raw.Observer{Observe: func(query string, args []any) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.op != "" {
				r.stmts[r.op] = append(r.stmts[r.op], recordedSQL{query, slices.Clone(args)})
			}
		}}); err != nil {
			t.Fatal(err)
		}
		cb := pool.Callback()
		for _, err := range []error{
			cb.Query().After("gorm:query").Register("plans:record", record),
			cb.Create().After("gorm:create").Register("plans:record", record),
			cb.Update().After("gorm:update").Register("plans:record", record),
			cb.Delete().After("gorm:delete").Register("plans:record", record),
			cb.Row().After("gorm:row").Register("plans:record", record),
			cb.Raw().After("gorm:raw").Register("plans:record", record),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return r
}

// start names the operation the next statements belong to; "" stops recording.
func (r *sqlRecorder) start(op string) {
	r.mu.Lock()
	r.op = op
	r.mu.Unlock()
}

var (
	sqliteStep = regexp.MustCompile(`^(SCAN|SEARCH) (\w+)(?: USING .*?)?(?: \((.*)\))?$`)
	pgScan     = regexp.MustCompile(`(?:Seq Scan|Index(?: Only)? Scan(?: Backward)? using \w+|Bitmap Heap Scan) on (\w+)`)
	pgEqual    = regexp.MustCompile(`\(*(\w+)\)*(?:::[a-z ]+)?\)?\s=\s`)
	hasLimit   = regexp.MustCompile(`(?i)\bLIMIT\b`)
)

// entityColumns name one thing each: a row, a player, an order, an account, a
// reference. An index read with an equality on one of them reads that thing's
// rows, however long the history around it; one without reads a range of the
// whole history (a currency's orders since a date, say).
var entityColumns = map[string]bool{"id": true, "rowid": true, "player_id": true, "order_id": true, "transfer_id": true,
	"account": true, "reference": true, "message_id": true, "trustly_order_id": true, "notification_id": true,
	"email": true, "end_user_id": true, "person_id": true, "parent_id": true, "bank_account_id": true,
	"kyc_entity_id": true, "account_id": true, "staff_id": true}

// growing lists the steps of plan (for statement sql) whose work grows with the
// history in tables: a scan of a table or of a whole index, an index read
// without an equality on an entity column (entityColumns), and a sort of the
// rows for a page (a LIMIT) that no index returns in order. PostgreSQL's plan
// must have been made with sequential scans and sorts priced out, so that these
// show only where no index can do the work.
func growing(sql string, plan []string, tables map[string]bool) []string {
	var out []string
	limited := hasLimit.MatchString(sql)
	if len(plan) > 0 && !strings.Contains(strings.Join(plan, "\n"), "cost=") { // SQLite
		for _, line := range plan {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "USE TEMP B-TREE FOR ORDER BY") && limited {
				out = append(out, line)
			}
			m := sqliteStep.FindStringSubmatch(line)
			if m == nil || !tables[m[2]] {
				continue
			}
			if m[1] == "SCAN" || !anyEqual(strings.Split(m[3], " AND "), func(c string) (string, bool) {
				col, _, ok := strings.Cut(c, "=?")
				return col, ok && !strings.ContainsAny(col, "<>")
			}) {
				out = append(out, line)
			}
		}
		return out
	}
	table, scan := "", ""
	end := func() { // the scan node ended without an index condition
		if table != "" {
			out = append(out, scan)
		}
		table = ""
	}
	for _, line := range plan {
		step := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "->"))
		switch {
		case strings.HasPrefix(step, "Sort  (") || strings.HasPrefix(step, "Incremental Sort  ("):
			end()
			if limited {
				out = append(out, step)
			}
		case strings.Contains(line, "->") || !strings.HasPrefix(line, " "):
			end()
			if m := pgScan.FindStringSubmatch(step); m != nil && tables[m[1]] {
				table, scan = m[1], step
				if strings.HasPrefix(step, "Seq Scan") {
					out = append(out, step)
					table = ""
				}
			}
		case table != "" && (strings.HasPrefix(step, "Index Cond:") || strings.HasPrefix(step, "Recheck Cond:")):
			if !anyEqual(pgEqual.FindAllStringSubmatch(step, -1), func(m []string) (string, bool) { return m[1], true }) {
				out = append(out, scan+" "+step)
			}
			table = ""
		}
	}
	end()
	return out
}

// anyEqual reports whether any of conds is an equality on an entity column.
func anyEqual[T any](conds []T, column func(T) (string, bool)) bool {
	for _, c := range conds {
		if col, eq := column(c); eq && entityColumns[strings.TrimSpace(col)] {
			return true
		}
	}
	return false
}

// TestHotPathPlans: the statements of the operations that must take as long at a
// million ledger transfers as on an empty database (the signed-in cashier page,
// the history page, notifications applied, a payout requested) do work that
// does not grow with history (growing): no scan of a table or of a whole index,
// every index read bounded by one player, order, account or reference, and no
// page sorted after reading. It records the statements as the operations run on
// a small seeded database, on both databases, then asks the database for each
// one's plan. It sees what runs through GORM; a statement run on database/sql
// directly is not recorded.
func TestHotPathPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db, seed.Config{Players: 20, Orders: 200, Transfers: 1000, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		tableList, err := db.Migrator().GetTables()
		if err != nil {
			t.Fatal(err)
		}
		tables := map[string]bool{}
		for _, name := range tableList {
			tables[name] = true
		}
		stub := newTrustlyStub(t)
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db }, withTrustly(t, stub.URL))
		rec := recordSQL(t, db)
		cl, p := ta.signedIn("plans@example.com")
		deposit := startedDeposits(t, db, p, 1, models.Money{Minor: 500000, Currency: "SEK"})[0]

		rec.start("notification: account, pending, credit, a redelivery")
		for _, m := range []string{trustly.MethodAccount, trustly.MethodPending, trustly.MethodCredit} {
			raw := note(t, m, deposit, p)
			ta.apply(raw)
			if m == trustly.MethodCredit {
				ta.apply(raw)
			}
		}
		rec.start("cashier page")
		cl.get("/cashier").wantStatus(http.StatusOK)
		rec.start("history page")
		cl.get("/history").wantStatus(http.StatusOK)
		var acc models.BankAccount
		if err := db.Where("player_id = ?", p.ID).Take(&acc).Error; err != nil {
			t.Fatal(err)
		}
		rec.start("payout request")
		cl.submit("/payout", url.Values{"amount": {"100"}, "account": {strconv.FormatInt(acc.ID, 10)}}).wantStatus(http.StatusSeeOther)
		rec.start("")
		var payout models.Order
		if err := db.Where("player_id = ? AND kind = ?", p.ID, models.OrderPayout).Take(&payout).Error; err != nil || payout.Status != models.OrderSent {
			t.Fatalf("payout %+v, %v; want one sent", payout, err)
		}
		rec.start("notification: payoutconfirmation")
		ta.apply(note(t, trustly.MethodPayoutConfirmation, payout, p))
		rec.start("")

		// The payout's approval sums the player's payouts of the last 24 hours
		// (cashier.PayoutWindow) under their lock: a range of one player's payouts
		// by time, whatever the player's history before.
		window := false
		for _, s := range rec.stmts["payout request"] {
			if !strings.Contains(s.sql, "COALESCE(SUM(") || !strings.Contains(s.sql, "kind = 'payout'") {
				continue
			}
			window = true
			plan, err := storetest.Explain(db, s.sql, s.vars...)
			p := strings.Join(plan, "\n")
			ranged := strings.Contains(p, "USING INDEX idx_orders_player_payouts (player_id=? AND created_at>?)")
			if db.Dialector.Name() == "postgres" {
				// On a database this small PostgreSQL may as well read the player's
				// payouts from idx_orders_player_payouts_sent: one player's either way.
				ranged = strings.Contains(p, "using idx_orders_player_payouts") &&
					(strings.Contains(p, "Index Cond: (player_id = ") || strings.Contains(p, "Index Cond: ((player_id = "))
			}
			if err != nil || !ranged {
				t.Errorf("payout request: %s\nplan (%v):\n\t%s\nwant a range of idx_orders_player_payouts on the player and the time",
					s.sql, err, strings.Join(plan, "\n\t"))
			}
		}
		if !window {
			t.Errorf("payout request: no sum of the player's payouts recorded: %v", rec.stmts["payout request"])
		}

		// The cashier page's money underway (cashier.Home's Underway) is the
		// player's rows of idx_orders_player_underway, a partial index the query
		// must name its predicate for; any other plan reads the player's whole
		// history, or everyone's orders in those statuses.
		underway := false
		for _, s := range rec.stmts["cashier page"] {
			if !strings.Contains(s.sql, store.UnderwayWhere) {
				continue
			}
			underway = true
			plan, err := storetest.Explain(db, s.sql, s.vars...)
			p := strings.Join(plan, "\n")
			ranged := strings.Contains(p, "USING INDEX idx_orders_player_underway (player_id=?)")
			if db.Dialector.Name() == "postgres" {
				ranged = strings.Contains(p, "using idx_orders_player_underway") && strings.Contains(p, "Index Cond: (player_id = ")
			}
			if err != nil || !ranged {
				t.Errorf("cashier page: %s\nplan (%v):\n\t%s\nwant the player's rows of idx_orders_player_underway",
					s.sql, err, strings.Join(plan, "\n\t"))
			}
		}
		if !underway {
			t.Errorf("cashier page: no read of the orders underway recorded: %v", rec.stmts["cashier page"])
		}

		explained := 0
		for _, op := range []string{"notification: account, pending, credit, a redelivery", "cashier page", "history page",
			"payout request", "notification: payoutconfirmation"} {
			stmts := rec.stmts[op]
			seen := map[string]bool{}
			if len(stmts) == 0 {
				t.Errorf("%s: no statements recorded", op)
			}
			for _, s := range stmts {
				verb := strings.ToUpper(strings.Fields(s.sql)[0])
				if seen[s.sql] || !slices.Contains([]string{"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}, verb) {
					continue
				}
				seen[s.sql] = true
				explained++
				plan, err := storetest.Explain(db, s.sql, s.vars...)
				if err != nil {
					t.Errorf("%s: explain %s: %v", op, s.sql, err)
					continue
				}
				if bad := growing(s.sql, plan, tables); len(bad) > 0 {
					t.Errorf("%s: %s\ngrows with history: %s\nplan:\n\t%s", op, s.sql, strings.Join(bad, "; "), strings.Join(plan, "\n\t"))
				}
				if testing.Verbose() {
					t.Logf("%s: %s\n\t%s", op, s.sql, strings.Join(plan, "\n\t"))
				}
			}
		}
		if explained < 20 {
			t.Errorf("only %d statements explained: %v", explained, fmt.Sprint(rec.stmts))
		}
	})
}

// TestGrowing: what the plan check takes for work that grows with history, on
// plans as SQLite and PostgreSQL write them.
func TestGrowing(t *testing.T) {
	tables := map[string]bool{"orders": true, "entries": true, "transfers": true}
	for _, tt := range []struct {
		name, sql string
		plan      []string
		grows     bool
	}{
		{"sqlite scan", "SELECT 1", []string{"SCAN orders"}, true},
		{"sqlite scan of an index", "SELECT 1", []string{"SCAN orders USING COVERING INDEX idx_orders_kind_id"}, true},
		{"sqlite range of every player's orders", "SELECT 1",
			[]string{"SEARCH orders USING INDEX idx_orders_currency_created (amount_currency=? AND created_at>?)"}, true},
		{"sqlite one player's range", "SELECT 1",
			[]string{"SEARCH orders USING INDEX idx_orders_player_deposits (player_id=? AND kind=? AND amount_currency=? AND created_at>?)"}, false},
		{"sqlite primary key", "SELECT 1", []string{"SEARCH orders USING INTEGER PRIMARY KEY (rowid=?)"}, false},
		{"sqlite id range", "SELECT 1", []string{"SEARCH orders USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"}, true},
		{"sqlite constant rows", "INSERT", []string{"SCAN 2 CONSTANT ROWS"}, false},
		{"sqlite sort for a page", "SELECT 1 LIMIT 100",
			[]string{"SEARCH orders USING INDEX idx_orders_player_id (player_id=?)", "USE TEMP B-TREE FOR ORDER BY"}, true},
		{"sqlite sort of all of them", "SELECT 1",
			[]string{"SEARCH orders USING INDEX idx_orders_player_id (player_id=?)", "USE TEMP B-TREE FOR ORDER BY"}, false},
		{"postgres seq scan", "SELECT 1", []string{"Seq Scan on orders  (cost=10000000000.00..10000000001.01 rows=1 width=8)"}, true},
		{"postgres player", "SELECT 1 LIMIT 1", []string{
			"Limit  (cost=0.14..8.15 rows=1 width=84)",
			"  ->  Index Scan using idx_bank_accounts_player_account on orders  (cost=0.14..8.15 rows=1 width=84)",
			"        Index Cond: (player_id = '21'::bigint)"}, false},
		{"postgres kind and id", "SELECT 1 LIMIT 1", []string{
			"Limit  (cost=0.14..8.17 rows=1 width=420)",
			"  ->  LockRows  (cost=0.14..8.17 rows=1 width=420)",
			"        ->  Index Scan using idx_orders_kind_id on orders  (cost=0.14..8.16 rows=1 width=420)",
			"              Index Cond: (((kind)::text = 'payout'::text) AND (id = '202'::bigint))"}, false},
		{"postgres walk of the primary key", "SELECT 1 LIMIT 100", []string{
			"Limit  (cost=0.55..96.59 rows=1 width=76)",
			"  ->  Nested Loop  (cost=0.55..96.59 rows=1 width=76)",
			"        ->  Index Scan Backward using entries_pkey on entries  (cost=0.28..88.28 rows=1 width=40)",
			"              Filter: ((account)::text = 'player:21:wallet'::text)",
			"        ->  Index Scan using transfers_pkey on transfers  (cost=0.28..8.29 rows=1 width=44)",
			"              Index Cond: (id = entries.transfer_id)"}, true},
		{"postgres range of a currency", "SELECT 1", []string{
			"Bitmap Heap Scan on orders  (cost=4.2..12.3 rows=3 width=8)",
			"  Recheck Cond: (((amount_currency)::text = 'SEK'::text) AND (created_at >= '2026-01-01'::timestamp with time zone))",
			"  ->  Bitmap Index Scan on idx_orders_currency_created  (cost=0.00..4.2 rows=3 width=0)",
			"        Index Cond: (((amount_currency)::text = 'SEK'::text) AND (created_at >= '2026-01-01'::timestamp with time zone))"}, true},
		{"postgres sort for a page", "SELECT 1 LIMIT 100", []string{
			"Limit  (cost=6.39..6.40 rows=1 width=414)",
			"  ->  Sort  (cost=6.39..6.40 rows=1 width=414)",
			"        Sort Key: created_at DESC, id DESC",
			"        ->  Index Scan using idx_orders_player_id on orders  (cost=0.14..6.38 rows=1 width=414)",
			"              Index Cond: (player_id = '21'::bigint)"}, true},
		{"postgres insert", "INSERT", []string{
			"Insert on entries  (cost=0.00..0.03 rows=2 width=242)",
			"  ->  Values Scan on \"*VALUES*\"  (cost=0.00..0.03 rows=2 width=242)"}, false},
	} {
		if got := growing(tt.sql, tt.plan, tables); (len(got) > 0) != tt.grows {
			t.Errorf("%s: growing %q; want growing %t", tt.name, got, tt.grows)
		}
	}
}
