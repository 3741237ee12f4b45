package cashier

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestReadTx: a read transaction sees the database as at its first query, while
// a writer commits alongside it, and leaves its connection clean for the next.
func TestReadTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		count := func(tx *gorm.DB) int64 {
			t.Helper()
			var n int64
			if err := tx.Model(&models.Player{}).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		add := func(email string) {
			t.Helper()
			p := models.Player{EndUserID: email, Email: email, FirstName: "Anna", LastName: "Svensson",
				Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
		}
		for i, tt := range []struct {
			email      string
			want, then int64 // inside the transaction, and after it
		}{{"a@example.com", 0, 1}, {"b@example.com", 1, 2}, {"c@example.com", 2, 3}} {
			var first, second int64
			err := readTx(ctx, db, func(tx *gorm.DB) error {
				first = count(tx)
				add(tt.email)
				second = count(tx)
				return nil
			})
			if got := count(db); err != nil || first != tt.want || second != tt.want || got != tt.then {
				t.Errorf("round %d: got %d then %d inside, %d after, %v; want %d, %d, %d", i, first, second, got, err, tt.want, tt.want, tt.then)
			}
		}
	})
}

// TestReadTxReadOnly: a read transaction refuses to write, on SQLite as on
// PostgreSQL, and the refusal leaves the database and the next read unharmed.
func TestReadTxReadOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		err := readTx(ctx, db, func(tx *gorm.DB) error {
			return tx.Exec(`INSERT INTO players (end_user_id, email, first_name, last_name, country, currency, created_at)
VALUES ('w@example.com', 'w@example.com', 'Anna', 'Svensson', 'SE', 'SEK', ?)`, time.Now()).Error
		})
		if err == nil {
			t.Fatal("a write inside readTx succeeded; want it refused")
		}
		var n int64
		if err := readTx(ctx, db, func(tx *gorm.DB) error { return tx.Model(&models.Player{}).Count(&n).Error }); err != nil || n != 0 {
			t.Fatalf("after the refused write: %d players, %v; want 0, nil", n, err)
		}
	})
}

// TestReadTxPrepared: on SQLite the statements of read transactions stay
// prepared from one transaction to the next (GORM's statement cache on the read
// pool): compiling them again for every page was an eighth of the cashier page.
func TestReadTxPrepared(t *testing.T) {
	db := storetest.SQLite(t)
	reads := store.Reads(db)
	cache, ok := reads.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		t.Fatalf("read pool is %T; want GORM's prepared statements", reads.ConnPool)
	}
	for range 3 {
		err := readTx(context.Background(), db, func(tx *gorm.DB) error {
			var n int64
			return tx.Model(&models.Player{}).Where("country = ?", "SE").Count(&n).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	found := 0
	for _, q := range cache.Stmts.Keys() {
		if strings.Contains(q, "country =") {
			found++
		}
	}
	if found != 1 {
		t.Errorf("read pool holds %d prepared statements of the query; want 1 (keys %q)", found, cache.Stmts.Keys())
	}
}
