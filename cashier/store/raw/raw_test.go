package raw_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestQuery: one query text with ? placeholders reads the same rows on both
// databases, outside a transaction and inside one (where it sees the
// transaction's own writes), and times come back as GORM reads them.
func TestQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 12, 30, 0, 123456000, time.UTC)
		for i, email := range []string{"a@example.com", "b@example.com"} {
			p := models.Player{EndUserID: email, Email: email, Country: "SE", Currency: "SEK", CreatedAt: at.Add(time.Duration(i) * time.Hour)}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
		}
		read := func(db *gorm.DB) (emails []string, times []time.Time) {
			t.Helper()
			rows, err := raw.Query(ctx, db, "SELECT email, created_at FROM players WHERE country = ? AND created_at >= ? ORDER BY id", "SE", at)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var e string
				var c time.Time
				if err := rows.Scan(&e, &c); err != nil {
					t.Fatal(err)
				}
				emails, times = append(emails, e), append(times, c)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return emails, times
		}
		emails, times := read(db)
		var want []models.Player
		if err := db.Order("id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		if len(emails) != 2 || emails[1] != "b@example.com" || !times[0].Equal(want[0].CreatedAt) || !times[1].Equal(at.Add(time.Hour)) {
			t.Fatalf("read %q %v; want both players, created at %s and an hour later", emails, times, at)
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&models.Player{EndUserID: "c", Email: "c@example.com", Country: "SE", Currency: "SEK", CreatedAt: at}).Error; err != nil {
				return err
			}
			if emails, _ := read(tx); len(emails) != 3 {
				t.Errorf("inside the transaction: %q; want its own player too", emails)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestWrites: Exec and QueryRow run in a transaction on both databases, a
// duplicate key comes back as gorm.ErrDuplicatedKey, an INSERT … ON CONFLICT DO
// NOTHING RETURNING that inserts nothing is sql.ErrNoRows, and an Observer sees
// each statement as the database reads it.
func TestWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		var seen []string
		if err := db.Use(&raw.Observer{Observe: func(q string, _ []any) { seen = append(seen, q) }}); err != nil {
			t.Fatal(err)
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			var id int64
			const insert = "INSERT INTO transfers (reference, currency, memo, created_at) VALUES (?, ?, ?, ?) RETURNING id"
			if err := raw.QueryRow(ctx, tx, insert, []any{"t:1", "SEK", "", time.Now().UTC()}, &id); err != nil || id == 0 {
				t.Fatalf("insert: id %d, %v", id, err)
			}
			err := raw.QueryRow(ctx, tx, insert, []any{"t:1", "SEK", "", time.Now().UTC()}, &id)
			if !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Fatalf("duplicate reference: %v, want gorm.ErrDuplicatedKey", err)
			}
			return nil
		})
		if db.Dialector.Name() == "postgres" {
			// The failed statement aborted PostgreSQL's transaction: nothing committed.
			if err == nil {
				t.Fatal("commit after a failed statement succeeded on PostgreSQL")
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(ctx, db, "INSERT INTO balances (account, currency, minor) VALUES (?, ?, ?)", "a", "SEK", int64(5)); err != nil {
			t.Fatal(err)
		}
		n, err := raw.Exec(ctx, db, "UPDATE balances SET minor = minor + ? WHERE account = ? AND minor + ? >= 0", int64(-7), "a", int64(-7))
		if err != nil || n != 0 {
			t.Fatalf("guarded update below zero: %d rows, %v; want 0", n, err)
		}
		var x int64
		err = raw.QueryRow(ctx, db, "INSERT INTO balances (account, currency, minor) VALUES (?, ?, ?) ON CONFLICT (account, currency) DO NOTHING RETURNING minor",
			[]any{"a", "SEK", int64(1)}, &x)
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("insert of nothing: %v, want sql.ErrNoRows", err)
		}
		want := "UPDATE balances SET minor = minor + ? WHERE account = ? AND minor + ? >= 0"
		if db.Dialector.Name() == "postgres" {
			want = "UPDATE balances SET minor = minor + $1 WHERE account = $2 AND minor + $3 >= 0"
		}
		if !slices.Contains(seen, want) {
			t.Fatalf("observer saw %q, not %q", seen, want)
		}
	})
}
