package cashier

import (
	"context"
	"testing"
	"time"

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
