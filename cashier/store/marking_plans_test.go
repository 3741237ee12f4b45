package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/seed"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestStartMarkingPlans: the markings every start runs on orders (markSignedInLogins,
// markRefusedPayNPlay, markRefusedHeld, keepDebitedAmounts) read only the orders an older version left
// unmarked, from a partial index of their own that holds nothing else, so a start
// on a database of a million orders reads none; they read neither the whole table
// nor a range of a status or a kind, which grows with history. markAddedSelections
// reads the account selections by their kind (a condition on another table, which
// a partial index cannot hold, picks those it marks): never the whole table. The
// statements are recorded as Migrate runs them, and the database asked for their
// plans (storetest.Explain), on both databases.
func TestStartMarkingPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		if _, err := seed.Run(context.Background(), db, seed.Config{Players: 5, Orders: 50, Transfers: 100, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		type stmt struct {
			sql  string
			vars []any
		}
		var updates []stmt
		err := db.Callback().Raw().After("gorm:raw").Register("plans:record", func(tx *gorm.DB) {
			if sql := tx.Statement.SQL.String(); strings.HasPrefix(sql, "UPDATE orders") {
				mu.Lock()
				updates = append(updates, stmt{sql, slices.Clone(tx.Statement.Vars)})
				mu.Unlock()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		if len(updates) != 5 {
			t.Fatalf("%d updates of orders at the start; want the 5 markings: %v", len(updates), updates)
		}
		for _, u := range updates {
			plan, err := storetest.Explain(db, u.sql, u.vars...)
			if err != nil {
				t.Fatalf("explain %s: %v", u.sql, err)
			}
			p := strings.Join(plan, "\n")
			if strings.Contains(u.sql, "account_added_at") { // markAddedSelections
				if !strings.Contains(p, "idx_orders_kind_") || strings.Contains(p, "SCAN orders") || strings.Contains(p, "Seq Scan on orders") {
					t.Errorf("%s\nplan:\n\t%s\nwant the selections read by the kind's index", u.sql, strings.Join(plan, "\n\t"))
				}
				continue
			}
			index, reads := "", 0
			for _, line := range plan {
				if strings.Contains(line, "SEARCH orders") || strings.Contains(line, "SCAN orders") ||
					(strings.Contains(line, "Scan") && strings.Contains(line, " on orders ")) {
					reads++
				}
				if i := strings.Index(line, "idx_orders_unmarked_"); i >= 0 {
					index = strings.Fields(line[i:])[0]
				}
			}
			if index == "" || reads != 1 || strings.Contains(p, "SCAN orders") || !partial(t, db, index) {
				t.Errorf("%s\nplan:\n\t%s\nwant orders read by a partial index of the marking's own alone", u.sql, strings.Join(plan, "\n\t"))
			}
		}
	})
}

// partial reports whether index has a WHERE: it holds only the rows that meet it.
func partial(t *testing.T, db *gorm.DB, index string) bool {
	t.Helper()
	var def string
	q := "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"
	if db.Dialector.Name() == "postgres" {
		q = "SELECT indexdef FROM pg_indexes WHERE indexname = ? AND schemaname = current_schema()"
	}
	if err := db.Raw(q, index).Scan(&def).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Contains(def, " WHERE ")
}

// TestStartKeyNamesPlan: the start's read of the players an older version left
// without a name key (keyNames) reads a partial index that holds only those, so a
// start on a database of many players reads none of the others; a player left
// without one is still keyed. The reads are recorded as Migrate runs them, and
// the database asked for their plans, on both databases.
func TestStartKeyNamesPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		if _, err := seed.Run(context.Background(), db, seed.Config{Players: 20, Orders: 20, Transfers: 20, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		var p models.Player
		if err := db.Order("id").Take(&p).Error; err != nil {
			t.Fatal(err)
		}
		// As an older version left it.
		if err := db.Exec("UPDATE players SET name_key = '' WHERE id = ?", p.ID).Error; err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		type stmt struct {
			sql  string
			vars []any
		}
		var reads []stmt
		err := db.Callback().Query().After("gorm:query").Register("plans:record", func(tx *gorm.DB) {
			if sql := tx.Statement.SQL.String(); strings.Contains(sql, "players") && strings.Contains(sql, "name_key = ''") {
				mu.Lock()
				reads = append(reads, stmt{sql, slices.Clone(tx.Statement.Vars)})
				mu.Unlock()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var got models.Player
		if err := db.Take(&got, p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if want := models.NameKey(p.FirstName, p.LastName); got.NameKey != want {
			t.Errorf("player %d after the start: name key %q; want %q", p.ID, got.NameKey, want)
		}
		if len(reads) == 0 {
			t.Fatal("no read of the players without a name key recorded")
		}
		for _, r := range reads {
			plan, err := storetest.Explain(db, r.sql, r.vars...)
			if err != nil {
				t.Fatalf("explain %s: %v", r.sql, err)
			}
			p := strings.Join(plan, "\n")
			if !strings.Contains(p, "idx_players_name_key_empty") || strings.Contains(p, "SCAN players") || strings.Contains(p, "Seq Scan") ||
				!partial(t, db, "idx_players_name_key_empty") {
				t.Errorf("%s\nplan:\n\t%s\nwant players read by the partial index idx_players_name_key_empty alone", r.sql, strings.Join(plan, "\n\t"))
			} else if testing.Verbose() {
				t.Logf("%s\n\t%s", r.sql, strings.Join(plan, "\n\t"))
			}
		}
	})
}
