package store

import (
	"context"
	"os"
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

// TestCheckWritableFileGone: a SQLite database whose file was deleted or moved
// while the cashier runs (a cleaner of /tmp, a restore done without stopping it)
// still takes writes on the file the process has open, which no one opens again:
// every deposit after it is lost when the process stops. The write check finds
// the file at the database's path gone, or another file there, and says so; a
// database whose file stays where it was stays writable.
func TestCheckWritableFileGone(t *testing.T) {
	for _, how := range []string{"deleted", "moved", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cashier.db")
			db, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer Close(db)
			if err := CheckWritable(context.Background(), db); err != nil {
				t.Fatalf("a fresh database: %v", err)
			}
			switch how {
			case "deleted":
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					os.Remove(f)
				}
			case "moved":
				if err := os.Rename(path, path+".old"); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				other, err := Open(filepath.Join(dir, "other.db"), nil)
				if err != nil {
					t.Fatal(err)
				}
				Close(other)
				if err := os.Rename(filepath.Join(dir, "other.db"), path); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]string{"deleted": "gone", "moved": "gone", "replaced": "replaced"}[how]
			if err := CheckWritable(context.Background(), db); err == nil || !strings.Contains(err.Error(), want) ||
				!strings.Contains(err.Error(), path) {
				t.Errorf("database file %s: %v; want an error naming the file and saying it is %s", how, err, want)
			}
		})
	}
}
