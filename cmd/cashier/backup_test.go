package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// TestBackup: `cashier backup --to FILE` copies the SQLite database while another
// connection keeps committing players: the copy is a file only its owner reads,
// opens as a cashier database, holds every player committed before the backup
// began (those still in the write-ahead log too) and no half of a transaction
// (each player is written with its row in the same transaction as a second
// one, and the copy holds both or neither). An existing file is never
// overwritten; a PostgreSQL database, a missing database and missing arguments
// are refused with a sentence.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CASHIER_DATA": dir}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	if err := runBackup(ctx, []string{"--to", filepath.Join(dir, "none.db")}, env(vars), io.Discard, log); err == nil ||
		!strings.Contains(err.Error(), "no database to back up") {
		t.Errorf("no database yet: %v", err)
	}
	live, err := store.Open(filepath.Join(dir, "cashier.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(live)
	pair := func(i int) error { // two players in one transaction
		return live.Transaction(func(tx *gorm.DB) error {
			for _, side := range []string{"a", "b"} {
				p := models.Player{EndUserID: fmt.Sprintf("%s-%d", side, i), Email: fmt.Sprintf("%s%d@example.com", side, i),
					Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
				if err := tx.Create(&p).Error; err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := range 50 {
		if err := pair(i); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 50; !stop.Load(); i++ {
			if err := pair(i); err != nil {
				t.Error(err)
				return
			}
		}
	})
	copyPath := filepath.Join(dir, "copy.db")
	out := &bytes.Buffer{}
	err = runBackup(ctx, []string{"--to", copyPath}, env(vars), out, log)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Backed up") {
		t.Errorf("output %q", out.String())
	}
	info, err := os.Stat(copyPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v, mode %v; want 0600", err, info.Mode())
	}
	cp, err := store.Open(copyPath, log)
	if err != nil {
		t.Fatal(err)
	}
	var a, b int64
	cp.Model(&models.Player{}).Where("end_user_id LIKE 'a-%'").Count(&a)
	cp.Model(&models.Player{}).Where("end_user_id LIKE 'b-%'").Count(&b)
	if a < 50 || a != b {
		t.Errorf("the copy holds %d and %d players of the pairs; want the same number, at least the 50 committed before", a, b)
	}

	store.Close(cp)
	before, _ := os.Stat(copyPath)
	if err := runBackup(ctx, []string{"--to", copyPath}, env(vars), io.Discard, log); err == nil {
		t.Error("an existing file was overwritten")
	}
	if after, err := os.Stat(copyPath); err != nil || after.ModTime() != before.ModTime() || after.Size() != before.Size() {
		t.Errorf("the existing copy changed: %v", err)
	}
	pg := map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}
	if err := runBackup(ctx, []string{"--to", filepath.Join(dir, "pg.db")}, env(pg), io.Discard, log); err == nil ||
		!strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("PostgreSQL: %v; want pg_dump named", err)
	}
	if err := runBackup(ctx, nil, env(vars), io.Discard, log); err == nil || !strings.Contains(err.Error(), "usage: cashier backup") {
		t.Errorf("no --to: %v; want the usage", err)
	}
}

// TestBackupLeavesTheDatabaseAsItIs: `cashier backup` copies the database, it does
// not migrate it. An operator takes a backup with the new binary before upgrading,
// while the old cashier still runs: the backup used to open the database as the
// cashier does (store.Open), which migrated the live database under the running
// older cashier (columns added, indexes dropped) before copying it, so the copy was
// not the database as it was before the upgrade. Here the database is of an older
// schema (a newer column missing, an index since dropped still there): after the
// backup the live database's schema is unchanged, and so is the copy's.
func TestBackupLeavesTheDatabaseAsItIs(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(dir, "cashier.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	for _, older := range []string{"ALTER TABLE orders DROP COLUMN held_debit_id", "CREATE INDEX idx_orders_kind ON orders(kind)"} {
		if err := db.Exec(older).Error; err != nil {
			t.Fatalf("%s: %v", older, err)
		}
	}
	schema := func(db *gorm.DB) []string {
		t.Helper()
		var rows []string
		if err := db.Raw("SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		return rows
	}
	// changed lists what is in one schema and not in the other.
	changed := func(got, want []string) (diff []string) {
		for _, r := range got {
			if !slices.Contains(want, r) {
				diff = append(diff, "+ "+r)
			}
		}
		for _, r := range want {
			if !slices.Contains(got, r) {
				diff = append(diff, "- "+r)
			}
		}
		return diff
	}
	want := schema(db)
	copyPath := filepath.Join(dir, "copy.db")
	if err := runBackup(context.Background(), []string{"--to", copyPath}, env(map[string]string{"CASHIER_DATA": dir}), io.Discard, log); err != nil {
		t.Fatal(err)
	}
	if diff := changed(schema(db), want); diff != nil {
		t.Errorf("the backup changed the live database's schema:\n%s", strings.Join(diff, "\n"))
	}
	store.Close(db)
	cp, err := gorm.Open(sqlite.Open(copyPath), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sqlDB, _ := cp.DB(); sqlDB.Close() }()
	if diff := changed(schema(cp), want); diff != nil {
		t.Errorf("the copy's schema is not the database's:\n%s", strings.Join(diff, "\n"))
	}
}
