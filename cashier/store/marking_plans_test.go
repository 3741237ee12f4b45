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
