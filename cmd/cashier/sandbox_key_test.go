package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxMerchantKeyNotReplaced: with the embedded sandbox the cashier makes
// its merchant key in CASHIER_DATA the first time and loads it after; a file there
// that is no usable key (cut short, another file copied over it, unreadable) stops
// the start with one line naming the file, and is left as it was. Before, a new
// key was written over it without a word.
func TestSandboxMerchantKeyNotReplaced(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "merchant-private.pem")
	made, err := os.ReadFile(path)
	if err != nil || c.MerchantKey == nil {
		t.Fatalf("first start: key file %v, key %v; want one made", err, c.MerchantKey != nil)
	}
	again, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil || !again.MerchantKey.Equal(c.MerchantKey) {
		t.Fatalf("second start: %v; want the same key loaded", err)
	}

	for name, body := range map[string][]byte{
		"cut short": made[:len(made)/2],
		"not a PEM": []byte("hello\n"),
		"empty":     {},
	} {
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v; want the start stopped naming %s", name, err, path)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, body) {
			t.Errorf("%s: the file was rewritten; want it left as it was", name)
		}
	}
}
