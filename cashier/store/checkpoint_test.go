package store

import (
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpoints: the background checkpoints copy the log back into the
// database file while the database is written, well before SQLite's own
// checkpoint at 1 000 pages would, and stop when the pool is closed.
func TestCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	dsn, err := SQLiteDSN(path)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := sql.Open(sqliteDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec("CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	done := checkpoints(pool, 5*time.Millisecond, slog.Default())
	for range 50 { // about 50 pages in the log
		if _, err := pool.Exec("INSERT INTO t VALUES (?)", string(make([]byte, 3000))); err != nil {
			t.Fatal(err)
		}
	}
	// Until a checkpoint, the pages are only in the log (c.db-wal); the database
	// file grows as they are copied back.
	deadline := time.Now().Add(5 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 40*4096 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes 5 s after 50 pages were written: not checkpointed", fi.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
	pool.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the checkpoints go on after the pool was closed")
	}
}
