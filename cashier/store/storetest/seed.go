package storetest

import (
	"testing"
	"time"

	"gorm.io/gorm"
)

// SeedStart is the creation time of the first order SeedOrders inserts; order n
// (counting from 1) is created n seconds later.
var SeedStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// SeedOrders bulk-inserts n orders for benchmarks and list tests, in one INSERT …
// SELECT over a recursive sequence, on SQLite and PostgreSQL alike. Order n of the
// call (1…n) has MessageID "<prefix><n>", Trustly orderid "<prefix>t<n>", kind
// deposit, payout or selectaccount in turn (n mod 3), status credited, confirmed or
// failed alike, currency SEK for odd n and EUR for even, amount (n mod 1000 + 1)
// whole units, player n mod players + 1 (players need not exist), a flag on every
// 1000th, and CreatedAt SeedStart + n seconds (+ offset).
func SeedOrders(t testing.TB, db *gorm.DB, prefix string, n, players int, offset time.Duration) {
	t.Helper()
	created := "datetime(?, '+' || n || ' seconds') || '+00:00'" // as mattn/go-sqlite3 writes times
	if db.Dialector.Name() == "postgres" {
		created = "CAST(? AS TIMESTAMPTZ) + n * INTERVAL '1 second'"
	}
	sql := `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
INSERT INTO orders (message_id, kind, player_id, amount_minor, amount_currency, status, trustly_order_id, flag,
	created_at, updated_at)
SELECT ? || CAST(n AS TEXT),
	CASE n % 3 WHEN 0 THEN 'deposit' WHEN 1 THEN 'payout' ELSE 'selectaccount' END,
	n % ? + 1,
	CASE n % 3 WHEN 2 THEN 0 ELSE (n % 1000 + 1) * 100 END,
	CASE n % 2 WHEN 1 THEN 'SEK' ELSE 'EUR' END,
	CASE n % 3 WHEN 0 THEN 'credited' WHEN 1 THEN 'confirmed' ELSE 'failed' END,
	? || 't' || CAST(n AS TEXT),
	CASE WHEN n % 1000 = 0 THEN 'seeded flag' ELSE '' END,
	` + created + `, ` + created + `
FROM seq`
	start := SeedStart.Add(offset).UTC()
	at := any(start)
	if db.Dialector.Name() != "postgres" {
		at = start.Format("2006-01-02 15:04:05")
	}
	if err := db.Exec(sql, n, prefix, players, prefix, at, at).Error; err != nil {
		t.Fatalf("seed %d orders: %v", n, err)
	}
}
