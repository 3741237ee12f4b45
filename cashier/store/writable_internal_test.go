package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckWritableFullDisk: taking and giving back SQLite's write lock writes
// nothing, so it cannot see a full disk; the room left on the database's file
// system is asked too. Here the file system says 1 MiB is left, and the database
// is not writable; with room it is.
func TestCheckWritableFullDisk(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "cashier.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	if err := CheckWritable(context.Background(), db); err != nil {
		t.Fatalf("a fresh database: %v", err)
	}
	if free, ok := statfsFree(t.TempDir()); ok && free == 0 {
		t.Errorf("statfs says the temp dir has no room")
	}
	defer func(f func(string) (uint64, bool)) { diskFree = f }(diskFree)
	diskFree = func(string) (uint64, bool) { return 1 << 20, true }
	if err := CheckWritable(context.Background(), db); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("1 MiB left: %v; want an error saying the disk is full", err)
	}
	diskFree = func(string) (uint64, bool) { return 1 << 30, true }
	if err := CheckWritable(context.Background(), db); err != nil {
		t.Errorf("1 GiB left: %v", err)
	}
}
