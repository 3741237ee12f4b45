package store

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestWriterWaitIsBounded: a transaction that writes through the pool instead of
// through itself waits for the writer it holds. The wait ends with an error after
// writerWait (SQLite's busy timeout did that before every write waited for the
// writer), so the transaction ends and gives the writer back, and the next write
// goes through, instead of every write of the process waiting for ever.
func TestWriterWaitIsBounded(t *testing.T) {
	db, err := Open("file:"+t.TempDir()+"/bounded.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	defer func(w time.Duration) { writerWait = w }(writerWait)
	writerWait = 200 * time.Millisecond

	done := make(chan error, 1)
	go func() {
		done <- db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO notes (text) VALUES ('inside')").Error; err != nil {
				return err
			}
			return db.Exec("INSERT INTO notes (text) VALUES ('beside')").Error // not tx: waits for itself
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errWriterWait) {
			t.Fatalf("the transaction writing beside itself ended with %v; want %v", err, errWriterWait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transaction writing beside itself still waits for the writer it holds after 10 s")
	}
	if err := db.Exec("INSERT INTO notes (text) VALUES ('after')").Error; err != nil {
		t.Fatalf("a write after it: %v", err)
	}
	var n int64
	if err := db.Table("notes").Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d notes (%v); want only the write after it (the transaction rolled back)", n, err)
	}
}
