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
	"github.com/trustly-cashier/cashier/models"
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
			dsn, old := olderRelease(t, kind)
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

// olderRelease loads the older release's database (testdata/upgrade) of kind
// ("sqlite", "postgres") and opens it as that release would, without migrating.
func olderRelease(t *testing.T, kind string) (dsn string, old *gorm.DB) {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "upgrade", "2cc3aec."+kind+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	var dialector gorm.Dialector
	if kind == "sqlite" {
		dsn = filepath.Join(t.TempDir(), "cashier.db")
		dialector = sqlite.Open(dsn)
	} else {
		dsn = storetest.PostgresDSN(t)
		dialector = postgres.Open(dsn)
	}
	old, err = gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Exec(string(dump)).Error; err != nil {
		t.Fatalf("load the older release's database: %v", err)
	}
	return dsn, old
}

// TestOpenReadsOlderReleaseHolders: the older release (testdata/upgrade) kept no
// person_id with a bank account (its bank_accounts has no such column), though
// it stored the account notifications that named the holder. Its first
// FI player's account 2000000001, whose newest stored account notification names
// the holder, has that person after the start on both databases; their other
// account, whose notification names none, and the other player's have none, and
// every account is marked read, so the next start reads none.
func TestOpenReadsOlderReleaseHolders(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn, old := olderRelease(t, kind)
			raw := accountRaw(t, "3000000099", "2000000001", "1", "FI131052-309U")
			if err := old.Exec("INSERT INTO notifications (notification_id, method, uuid, trustly_order_id, order_id, raw, answer, status, deliveries, flag, received_at, last_delivery_at)"+
				" VALUES ('3000000099', 'account', 'u', '1400000001', 1, ?, '', 'OK', 1, '', '2026-11-01 17:46:30+00:00', '2026-11-01 17:46:30+00:00')", raw).Error; err != nil {
				t.Fatal(err)
			}
			store.Close(old)
			db, err := store.Open(dsn, slog.Default())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close(db)
			var accounts []models.BankAccount
			if err := db.Order("id").Find(&accounts).Error; err != nil {
				t.Fatal(err)
			}
			if len(accounts) != 4 {
				t.Fatalf("%d bank accounts; want the older release's 4", len(accounts))
			}
			for _, a := range accounts {
				want := ""
				if a.PlayerID == 1 && a.AccountID == "2000000001" {
					want = "FI131052-309U"
				}
				if a.PersonID != want || !a.PersonRead {
					t.Errorf("bank account %s of player %d: person_id %q, read %t; want %q, read", a.AccountID, a.PlayerID, a.PersonID, a.PersonRead, want)
				}
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
