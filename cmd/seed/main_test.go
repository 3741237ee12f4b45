package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun seeds a small SQLite database from the command line and audits it.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "seeded.db")
	err := run(context.Background(), []string{"-db", path, "-players", "20", "-orders", "200", "-transfers", "1000",
		"-seed", "3", "-until", "2026-02-01"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	for _, want := range []string{"20 players", "200 orders", "1000 transfers (2000 entries", "deposit credited", "ledger audit clean"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if err := run(context.Background(), []string{"-db", path, "-players", "20"}, &out); err == nil {
		t.Error("seeding a seeded database again succeeded")
	}
	if err := run(context.Background(), nil, &out); err == nil {
		t.Error("no -db: no error")
	}
}
