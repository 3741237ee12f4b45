package store

import (
	"context"
	"errors"
	"fmt"
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

// writers counts the writers sqliteWriters holds.
func writers() int {
	n := 0
	sqliteWriters.Range(func(any, any) bool { n++; return true })
	return n
}

// TestWritersForgottenOnClose: Close forgets the database's writer, so a process
// that opens and closes many databases (tests, tools) does not keep one per
// database it ever opened; a database still open keeps its writer, shared by
// every session of it.
func TestWritersForgottenOnClose(t *testing.T) {
	before, beforeValues := writers(), pools()
	dir := t.TempDir()
	kept, err := Open("file:"+dir+"/kept.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(kept)
	for i := range 5 {
		db, err := Open(fmt.Sprintf("file:%s/%d.db", dir, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)").Error; err != nil {
			t.Fatal(err)
		}
		WriteLock(db)()
		PoolValue(db, "test", func() *int { return new(int) })
		if err := Close(db); err != nil {
			t.Fatal(err)
		}
	}
	if got := writers(); got != before+1 {
		t.Errorf("%d writers after opening 6 databases and closing 5; want %d", got, before+1)
	}
	// The database still open: its sessions share one writer, the one its
	// transactions take, and its values.
	if PoolValue(kept, "test", func() *int { return new(int) }) != PoolValue(kept.Session(&gorm.Session{}), "test", func() *int { return new(int) }) {
		t.Error("two values of one name for one open database")
	}
	unlock := WriteLock(kept.WithContext(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := writeLockContext(ctx, kept.Session(&gorm.Session{})); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second session of the open database took the writer beside the first: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- kept.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)").Error }()
	select {
	case err := <-done:
		t.Fatalf("a write went through while the writer was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := Close(kept); err != nil {
		t.Fatal(err)
	}
	if got := writers(); got != before {
		t.Errorf("%d writers after closing every database; want %d", got, before)
	}
	if got := pools(); got != beforeValues {
		t.Errorf("values kept for %d pools after closing every database; want %d", got, beforeValues)
	}
}

// pools counts the pools PoolValue keeps values for.
func pools() int {
	n := 0
	RangePools(func(any) { n++ })
	return n
}
