package raw_test

import (
	"context"
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
