package sandbox_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
)

// TestSandboxFilesOwnerOnly: the sandbox's database, which holds the persons,
// accounts and orders it made up and the notifications it sends, is created
// readable by its owner only (0600), with its -wal and -shm, in a 0700 directory,
// whatever the umask leaves; as the cashier's own database.
func TestSandboxFilesOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "sandbox")
	sb, err := sandbox.New(sandbox.Config{DataDir: dir, MerchantKey: &sandboxtest.MerchantKey(t).PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	wantModes(t, dir)
}

// TestSandboxFilesTightened: a sandbox database (and its -wal, -shm) that others
// may read, and a data directory others may enter, from before or put in place by
// hand, are made the owner's only at start, each with a warning naming it and the
// mode it had.
func TestSandboxFilesTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sandbox")
	mk := &sandboxtest.MerchantKey(t).PublicKey
	sb, err := sandbox.New(sandbox.Config{DataDir: dir, MerchantKey: mk})
	if err != nil {
		t.Fatal(err)
	}
	sb.Close()
	path := filepath.Join(dir, "sandbox.db")
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.WriteFile(name, nil, 0o644); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chmod(name, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sb, err = sandbox.New(sandbox.Config{DataDir: dir, MerchantKey: mk, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	wantModes(t, dir)
	for _, name := range []string{dir, path} {
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), name+" ") {
			t.Errorf("log:\n%s\nwant a warning naming %s", logs.String(), name)
		}
	}
	for _, mode := range []string{"drwxr-xr-x", "-rw-r--r--"} {
		if !strings.Contains(logs.String(), mode) {
			t.Errorf("log:\n%s\nwant the mode it had, %s", logs.String(), mode)
		}
	}
}

// wantModes checks the sandbox's data directory is 0700 and its database files
// 0600 while the sandbox has them open.
func wantModes(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("%s: mode %v; want %v", dir, got, fs.FileMode(0o700))
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		name := filepath.Join(dir, "sandbox.db"+suffix)
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v; want %v", filepath.Base(name), got, fs.FileMode(0o600))
		}
	}
}
