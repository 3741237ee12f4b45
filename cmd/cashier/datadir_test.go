package main

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirOwnerOnly: CASHIER_DATA, which holds the keys, the tokens and the
// SQLite file, is created 0700; one that exists with wider permissions (made by
// hand, or by a umask of 002 before) is made 0700 at start, with a warning naming
// it and the mode it had, on the command's logger.
func TestDataDirOwnerOnly(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "data")
	wide := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(wide, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(wide, 0o775); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	for _, dir := range []string{fresh, wide} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), log); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o700 {
			t.Errorf("%s: mode %v; want %v", dir, got, fs.FileMode(0o700))
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), wide+" ") || !strings.Contains(logs.String(), "drwxrwxr-x") {
		t.Errorf("log:\n%s\nwant a warning naming %s and the mode it had", logs.String(), wide)
	}
	if strings.Contains(logs.String(), fresh) {
		t.Errorf("log:\n%s\nwant no warning for the directory it created", logs.String())
	}
}
