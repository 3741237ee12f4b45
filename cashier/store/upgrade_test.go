package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestOpenUpgradesOlderRelease opens a database an older release made (commit
// 2cc3aec, testdata/upgrade: its schema and a few rows, see the README there) with
// this version, as an operator upgrading does, on both databases: the start
// migrates it, every row keeps every value it had in the older schema's columns
// (a second start too), the ledger's balances still agree with its entries, and the
// deposit whose debit the older release booked counts what the debit took back.
func TestOpenUpgradesOlderRelease(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dump, err := os.ReadFile(filepath.Join("testdata", "upgrade", "2cc3aec."+kind+".sql"))
			if err != nil {
				t.Fatal(err)
			}
			var dsn string
			var dialector gorm.Dialector
			if kind == "sqlite" {
				dsn = filepath.Join(t.TempDir(), "cashier.db")
				dialector = sqlite.Open(dsn)
			} else {
				dsn = storetest.PostgresDSN(t)
				dialector = postgres.Open(dsn)
			}
			old, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if err := old.Exec(string(dump)).Error; err != nil {
				t.Fatalf("load the older release's database: %v", err)
			}
			tables, err := old.Migrator().GetTables()
			if err != nil {
				t.Fatal(err)
			}
			columns := map[string][]string{}
			before := map[string][]string{}
			for _, table := range tables {
				cts, err := old.Migrator().ColumnTypes(table)
				if err != nil {
					t.Fatal(err)
				}
				for _, ct := range cts {
					columns[table] = append(columns[table], ct.Name())
				}
				before[table] = tableRows(t, old, table, columns[table])
			}
			store.Close(old)
			if len(before["orders"]) == 0 || len(before["transfers"]) == 0 || len(before["staff"]) == 0 {
				t.Fatalf("the fixture holds %d orders, %d transfers and %d staff; want some of each",
					len(before["orders"]), len(before["transfers"]), len(before["staff"]))
			}

			for start := range 2 {
				db, err := store.Open(dsn, slog.Default())
				if err != nil {
					t.Fatalf("start %d on the older release's database: %v", start+1, err)
				}
				for _, table := range tables {
					got := tableRows(t, db, table, columns[table])
					if strings.Join(got, "\n") != strings.Join(before[table], "\n") {
						t.Errorf("start %d: %s has %d rows, changed from the older release's %d:\ngot  %v\nwant %v",
							start+1, table, len(got), len(before[table]), got, before[table])
					}
				}
				if err := ledger.New(db).Audit(context.Background()); err != nil {
					t.Errorf("start %d: ledger audit: %v", start+1, err)
				}
				var debited []struct{ ID, DebitedMinor, Booked int64 }
				err = db.Raw(`SELECT orders.id, orders.debited_minor, -entries.minor AS booked FROM orders
JOIN transfers ON transfers.reference = 'deposit:' || orders.id || ':debit'
JOIN entries ON entries.transfer_id = transfers.id AND entries.account = 'player:' || orders.player_id || ':wallet'
WHERE orders.debited_at IS NOT NULL`).Scan(&debited).Error
				if err != nil {
					t.Fatal(err)
				}
				if len(debited) == 0 {
					t.Fatal("the fixture has no debited deposit")
				}
				for _, d := range debited {
					if d.DebitedMinor != d.Booked {
						t.Errorf("start %d: deposit %d debited_minor %d; want %d, what its debit booked", start+1, d.ID, d.DebitedMinor, d.Booked)
					}
				}
				store.Close(db)
			}
		})
	}
}

// tableRows is every row of table, its columns as text, in order.
func tableRows(t *testing.T, db *gorm.DB, table string, columns []string) []string {
	t.Helper()
	cast := make([]string, len(columns))
	for i, c := range columns {
		cast[i] = fmt.Sprintf("COALESCE(CAST(%q AS TEXT), 'NULL')", c)
	}
	rows, err := db.Raw(fmt.Sprintf("SELECT %s FROM %q ORDER BY 1", strings.Join(cast, " || '|' || "), table)).Rows()
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
