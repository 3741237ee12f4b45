package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupPostgres means Backup was asked to copy a PostgreSQL database, whose
// own tools (pg_dump, or the server's continuous archiving) do that.
var ErrBackupPostgres = errors.New("a PostgreSQL database is backed up with pg_dump or the server's own archiving, not by the cashier")

// Backup writes a consistent copy of the SQLite database dsn names (a file path or
// a SQLite DSN) to a new file at path, while the cashier may be running: VACUUM
// INTO reads one snapshot of the database, committed transactions only, including
// those still in the write-ahead log, which a copy of the database file alone would
// miss. The database is opened as it is, never migrated (Open would migrate it): a
// backup taken with a newer binary before an upgrade, while the older cashier
// still runs, is the database as it was, and leaves it so. The file is created
// only readable by its owner (it holds players' identities and staff password
// hashes) and must not exist yet. The copy is checked (PRAGMA integrity_check)
// before Backup returns; a failed or unchecked copy is removed.
func Backup(ctx context.Context, dsn, path string) error {
	if IsPostgres(dsn) {
		return ErrBackupPostgres
	}
	if path == "" {
		return errors.New("backup: no file named")
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	sqliteDSN, err := SQLiteDSN(dsn)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open(sqliteDriver, sqliteDSN)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	// Created here, empty, so that its mode is ours: VACUUM INTO fills an empty file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(path)
		}
	}()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkCopy(ctx, path); err != nil {
		return fmt.Errorf("backup: the copy at %s: %w", path, err)
	}
	done = true
	return nil
}

// checkCopy opens the SQLite file at path read-only and runs its integrity check.
func checkCopy(ctx context.Context, path string) error {
	copyDB, err := sql.Open(sqliteDriver, "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer copyDB.Close()
	var result string
	if err := copyDB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	return nil
}

// SQLitePath is the file a SQLite DSN names: "data/cashier.db" for
// "file:data/cashier.db?_journal_mode=WAL…" as for "data/cashier.db".
func SQLitePath(dsn string) string {
	return strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
}
