package store_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
)

// sqliteFiles are the database file and the files SQLite keeps beside it.
var sqliteFiles = []string{"", "-wal", "-shm"}

// TestSQLiteFilesOwnerOnly: the database file, which holds every player's
// identity and money, is created readable by its owner only (0600), and so are
// the -wal and -shm files SQLite creates beside it with the main file's mode,
// whatever the umask leaves.
func TestSQLiteFilesOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "cashier.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	for _, suffix := range sqliteFiles {
		st, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v; want %v", filepath.Base(path+suffix), got, fs.FileMode(0o600))
		}
	}
}

// TestSQLiteFilesTightened: a database file (and its -wal, -shm) that others may
// read, from before the cashier created it 0600 or put in place by hand, is made
// 0600 at start, with a warning naming the file and the mode it had.
func TestSQLiteFilesTightened(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cashier.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	store.Close(db)
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.WriteFile(path+suffix, nil, 0o644); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chmod(path+suffix, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	db, err = store.Open(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	for _, suffix := range append(sqliteFiles, "-journal") {
		st, err := os.Stat(path + suffix)
		if os.IsNotExist(err) {
			continue // SQLite removed it at the start (an empty -journal)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v; want %v", filepath.Base(path+suffix), got, fs.FileMode(0o600))
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), path) || !strings.Contains(logs.String(), "-rw-r--r--") {
		t.Errorf("log:\n%s\nwant a warning naming %s and the mode it had", logs.String(), path)
	}
}
