package store

import (
	"fmt"

	"gorm.io/gorm"
)

// backOfficeIndexes serve the back office's lists at a million orders: each
// filter of the transactions page with its keyset order (newest id first), so a
// page reads its rows from one index instead of sorting, and the flagged and
// unmatched lists from partial indexes that hold only their rows. The same SQL
// runs on SQLite and PostgreSQL.
var backOfficeIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_orders_kind_id ON orders (kind, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_status_id ON orders (status, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_player_id_id ON orders (player_id, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_currency_id ON orders (amount_currency, id)`,
	`CREATE INDEX IF NOT EXISTS idx_orders_flagged ON orders (id) WHERE flag <> ''`,
	`CREATE INDEX IF NOT EXISTS idx_notifications_unmatched ON notifications (id) WHERE order_id IS NULL`,
}

// indexBackOffice creates backOfficeIndexes; it may run any number of times.
func indexBackOffice(db *gorm.DB) error {
	for _, stmt := range backOfficeIndexes {
		if err := db.Exec(stmt).Error; err != nil {
			return fmt.Errorf("back-office index: %w", err)
		}
	}
	return nil
}
