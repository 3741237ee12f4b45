package raw_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestTake: a whole order read by Take is the order GORM reads, every column,
// NULLs included, on both databases; no row is found false.
func TestTake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		o := models.Order{MessageID: "m-1", Kind: models.OrderDeposit, PlayerID: 7, Amount: models.Money{Minor: 1234, Currency: "SEK"},
			TrustlyOrderID: "1000000001", PayNPlay: true, KYCText: `{"id":"kyc.x"}`, StartedAt: &now, CreatedAt: now}
		o.Refresh()
		if err := db.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		// A column the model can leave NULL, as an older row may have it.
		if err := db.Exec("UPDATE orders SET amount_currency = NULL WHERE id = ?", o.ID).Error; err != nil {
			t.Fatal(err)
		}
		var want models.Order
		if err := db.Take(&want, o.ID).Error; err != nil {
			t.Fatal(err)
		}
		var got models.Order
		found, err := raw.Take(ctx, db, &got, "trustly_order_id = ? LIMIT 1", "1000000001")
		if err != nil || !found {
			t.Fatalf("found %v, %v", found, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("raw.Take read\n%+v\nGORM read\n%+v", got, want)
		}
		found, err = raw.Take(ctx, db, &got, "trustly_order_id = ? LIMIT 1", "nope")
		if err != nil || found {
			t.Fatalf("no row: found %v, %v", found, err)
		}
		// models.Player's email and person_id go through GORM's nullempty serializer.
		var p models.Player
		if found, err := raw.Take(ctx, db, &p, "id = ?", 1); err == nil || found {
			t.Fatalf("a model with a serializer: found %v, %v; want an error", found, err)
		}
	})
}
