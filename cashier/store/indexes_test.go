package store_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRedundantIndexesDropped: the indexes an older version made that no query
// needs are gone after migrating, and the ones that replace them or serve the
// readers are there. The single-column order indexes were each the prefix of a
// back-office (x, id) index; the notifications' on method, trustly_order_id and
// received_at served no lookup at all.
func TestRedundantIndexesDropped(t *testing.T) {
	for _, tt := range []struct {
		table string
		model any
		old   map[string]string // index → column
		kept  []string
	}{
		{"orders", &models.Order{}, map[string]string{"idx_orders_status": "status", "idx_orders_kind": "kind",
			"idx_orders_player_id": "player_id"}, []string{"idx_orders_status_id", "idx_orders_kind_id", "idx_orders_player_id_id"}},
		{"notifications", &models.Notification{}, map[string]string{"idx_notifications_method": "method",
			"idx_notifications_trustly_order_id": "trustly_order_id", "idx_notifications_received_at": "received_at"},
			[]string{"idx_notifications_notification_id", "idx_notifications_order_id", "idx_notifications_unmatched"}},
	} {
		t.Run(tt.table, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				for name, col := range tt.old {
					if err := db.Exec("CREATE INDEX IF NOT EXISTS " + name + " ON " + tt.table + " (" + col + ")").Error; err != nil {
						t.Fatal(err)
					}
				}
				if err := store.Migrate(db); err != nil {
					t.Fatal(err)
				}
				m := db.Migrator()
				for name := range tt.old {
					if m.HasIndex(tt.model, name) {
						t.Errorf("%s still there after migrating", name)
					}
				}
				for _, name := range tt.kept {
					if !m.HasIndex(tt.model, name) {
						t.Errorf("%s missing", name)
					}
				}
			})
		})
	}
}
