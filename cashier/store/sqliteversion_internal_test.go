package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLiteHasWALResetFix: the SQLite the cashier is built with is one with the
// WAL-reset bug fixed (3.51.3 or newer; mattn/go-sqlite3 v1.14.22 bundled 3.45.1),
// and Open refuses an older one (walResetFixed).
func TestSQLiteHasWALResetFix(t *testing.T) {
	pool, err := sql.Open(sqliteDriver, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := walResetFixed(pool); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{
		"3.51.3": true, "3.51.10": true, "3.52.0": true, "3.54.1": true, "4.0": true, "4.0.0": true,
		"3.51.2": false, "3.45.1": false, "3.40.1": false, "3.9.99": false, "2.99.99": false,
		"": false, "3": false, "3.x.1": false, "3.51.3.1": false, "-3.60.0": false,
	} {
		if got := atLeast(v, minSQLite); got != want {
			t.Errorf("atLeast(%q, %q) = %v; want %v", v, minSQLite, got, want)
		}
	}
}
