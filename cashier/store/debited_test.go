package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestOpenKeepsDebitedAmounts: a deposit whose debit an older version booked has
// debited_at set and debited_minor 0, the column's default when it was added, so
// the deposit limits went on counting its credit whole, as the older version did,
// though the money never stayed. At the start such a deposit takes what its debit
// booked out of the wallet, from the ledger (a whole debit, a smaller one, one
// that came before the credit), and counts the credit less it; a debit the newer
// version kept, a deposit never debited and a debited one without its ledger
// transfer are left as they are.
func TestOpenKeepsDebitedAmounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		p := models.Player{EndUserID: "debited-migrate", Currency: "SEK", Country: "SE", CreatedAt: time.Now()}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Hour)
		sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
		// deposit is a deposit of 100 kr the older version left: credit and debit
		// booked in the ledger as notify books them, debited_minor as given.
		deposit := func(mid string, credited, debited, kept int64) models.Order {
			o := models.Order{MessageID: mid, Kind: models.OrderDeposit, PlayerID: p.ID, Amount: sek(10000),
				Status: models.OrderCredited, StartedAt: &at, CreatedAt: at, UpdatedAt: at, DebitedMinor: kept}
			if credited > 0 {
				o.CreditedAt, o.CreditedMinor = &at, credited
			}
			if debited >= 0 {
				o.DebitedAt, o.Status = &at, models.OrderDebited
			}
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			if credited > 0 {
				tr := models.Move(o.Reference("credit"), "Deposit", models.TrustlyClearing, models.PlayerWallet(p.ID), sek(credited))
				if _, err := ledger.New(db).Post(ctx, tr); err != nil {
					t.Fatal(err)
				}
			}
			if debited > 0 {
				tr := models.Move(o.Reference("debit"), "Deposit returned by the bank", models.PlayerWallet(p.ID), models.TrustlyClearing, sek(debited))
				tr.AllowOverdraft = true
				if _, err := ledger.New(db).Post(ctx, tr); err != nil {
					t.Fatal(err)
				}
			}
			return o
		}
		for _, tt := range []struct {
			o          models.Order
			want       int64 // debited_minor after the start
			wantCounts int64 // limits.Counts
		}{
			{deposit("dep-debited-whole", 10000, 10000, 0), 10000, 0},
			{deposit("dep-debited-part", 10000, 4000, 0), 4000, 6000},
			{deposit("dep-debit-first", 0, 10000, 0), 10000, 0},
			{deposit("dep-debit-kept", 10000, 3000, 3000), 3000, 7000},
			{deposit("dep-credited", 10000, -1, 0), 0, 10000},
			{deposit("dep-debit-not-booked", 10000, 0, 0), 0, 10000},
		} {
			for range 2 { // idempotent
				if err := store.Migrate(db); err != nil {
					t.Fatal(err)
				}
			}
			var got models.Order
			if err := db.Where("id = ?", tt.o.ID).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got.DebitedMinor != tt.want || limits.Counts(got) != tt.wantCounts {
				t.Errorf("%s after the start: debited_minor %d, counts %d against the limits; want %d and %d",
					tt.o.MessageID, got.DebitedMinor, limits.Counts(got), tt.want, tt.wantCounts)
			}
		}
	})
}
