package store_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRedundantIndexesDropped: the single-column order indexes an older version
// made, each the prefix of a back-office (x, id) index, are gone after migrating,
// and the ones that replace them are there.
func TestRedundantIndexesDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		old := map[string]string{"idx_orders_status": "status", "idx_orders_kind": "kind", "idx_orders_player_id": "player_id"}
		for name, col := range old {
			if err := db.Exec("CREATE INDEX IF NOT EXISTS " + name + " ON orders (" + col + ")").Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		m := db.Migrator()
		for name := range old {
			if m.HasIndex(&models.Order{}, name) {
				t.Errorf("%s still there after migrating", name)
			}
		}
		for _, name := range []string{"idx_orders_status_id", "idx_orders_kind_id", "idx_orders_player_id_id"} {
			if !m.HasIndex(&models.Order{}, name) {
				t.Errorf("%s missing", name)
			}
		}
	})
}

// TestUnusedNotificationIndexesDropped: the notification indexes an older version
// made for lookups nobody makes are gone after migrating, and the ones the
// readers use are there.
func TestUnusedNotificationIndexesDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		old := map[string]string{"idx_notifications_method": "method", "idx_notifications_trustly_order_id": "trustly_order_id",
			"idx_notifications_received_at": "received_at"}
		for name, col := range old {
			if err := db.Exec("CREATE INDEX IF NOT EXISTS " + name + " ON notifications (" + col + ")").Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		m := db.Migrator()
		for name := range old {
			if m.HasIndex(&models.Notification{}, name) {
				t.Errorf("%s still there after migrating", name)
			}
		}
		for _, name := range []string{"idx_notifications_notification_id", "idx_notifications_order_id", "idx_notifications_unmatched"} {
			if !m.HasIndex(&models.Notification{}, name) {
				t.Errorf("%s missing", name)
			}
		}
	})
}
