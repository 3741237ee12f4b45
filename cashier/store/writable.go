package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gorm.io/gorm"
)

// writableBusy is how long CheckWritable waits for SQLite's write lock. The
// cashier's own writers hold it for milliseconds at a time (a commit batch); a
// lock held longer than this is another process's (a backup tool, a second
// cashier on the same file, a stuck migration), and the database takes no
// deposit while it lasts. It stays well within a probe's time (/readyz: 2 s).
const writableBusy = time.Second

// minFreeSpace is the room CheckWritable wants left on SQLite's file system: a
// commit writes its pages to the write-ahead log and a checkpoint may grow the
// file, so with less than this the next writes soon fail for a full disk.
const minFreeSpace = 16 << 20

// diskFree is the space left to unprivileged writers on the file system holding
// path (statfs); ok is false where it cannot be asked. A variable for tests.
var diskFree = statfsFree

// CheckWritable reports whether db can take a write now, leaving nothing behind.
//
// On SQLite it waits for this process's writer (WriteLock, as long as ctx
// allows), then takes the write lock (BEGIN IMMEDIATE, waiting at most
// writableBusy behind other processes' writers) and gives both back at once
// (ROLLBACK), so a
// database opened read-only, locked by another process or failing its I/O is
// found; and, since that writes nothing, it asks the file system how much room is
// left (a full disk). The lock is held for the two statements only, on one of the
// write pool's connections, whose busy timeout is set back afterwards.
//
// On PostgreSQL, where writers take no global lock, it asks whether the
// connection's transactions are read-only (a standby after a failover, or
// default_transaction_read_only): one query, no lock. A full disk on the server
// shows only when a write fails.
func CheckWritable(ctx context.Context, db *gorm.DB) error {
	if db.Dialector.Name() == "postgres" {
		var ro string
		if err := db.WithContext(ctx).Raw("SELECT current_setting('transaction_read_only')").Scan(&ro).Error; err != nil {
			return err
		}
		if ro != "off" {
			return errors.New("the database is read-only (transaction_read_only is on: a standby, or default_transaction_read_only)")
		}
		return nil
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	// This process's writers first, before a connection is taken: waiting for
	// them in SQLite's busy handler lost to a stream of them for writableBusy.
	unlock, err := writeLockContext(ctx, db)
	if err != nil {
		return fmt.Errorf("wait for this process's writer: %w", err)
	}
	defer unlock()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var busy int64
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return err
	}
	var file string
	if err := conn.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return err
	}
	// Whatever happens below, the connection goes back as it came: its own busy
	// timeout and no transaction open. One that cannot be set back is discarded,
	// which also ends a transaction a failed ROLLBACK left open.
	keep := context.WithoutCancel(ctx)
	restored := false
	defer func() {
		if !restored {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if _, err := conn.ExecContext(keep, fmt.Sprintf("PRAGMA busy_timeout = %d", writableBusy.Milliseconds())); err != nil {
		return err
	}
	_, lockErr := conn.ExecContext(keep, "BEGIN IMMEDIATE")
	if lockErr == nil {
		if _, err := conn.ExecContext(keep, "ROLLBACK"); err != nil {
			return fmt.Errorf("roll back the write check: %w", err)
		}
	}
	if _, err := conn.ExecContext(keep, fmt.Sprintf("PRAGMA busy_timeout = %d", busy)); err != nil {
		return err
	}
	restored = true
	if lockErr != nil {
		return fmt.Errorf("cannot take the write lock: %w", lockErr)
	}
	if file == "" { // in memory
		return nil
	}
	if err := sameFile(db, file); err != nil {
		return err
	}
	if free, ok := diskFree(filepath.Dir(file)); ok && free < minFreeSpace {
		return fmt.Errorf("the file system of %s has %d bytes left (fewer than %d): the disk is full or nearly", filepath.Dir(file), free, minFreeSpace)
	}
	return nil
}

// openedFile is the identity of a SQLite database's file as Open found it, kept
// with PoolValue under openedFileKey.
type openedFile struct {
	mu   sync.Mutex
	info os.FileInfo // nil until known
}

const openedFileKey = "store.openedFile"

// rememberFile keeps the identity of db's file at path, as Open found it, for
// sameFile.
func rememberFile(db *gorm.DB, path string) {
	if info, err := os.Stat(path); err == nil {
		openedOf(db).know(info)
	}
}

// openedOf is db's openedFile.
func openedOf(db *gorm.DB) *openedFile {
	return PoolValue(db, openedFileKey, func() *openedFile { return &openedFile{} })
}

// know keeps info as the file's identity unless one is known already, and
// returns the one known.
func (f *openedFile) know(info os.FileInfo) os.FileInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.info == nil {
		f.info = info
	}
	return f.info
}

// sameFile reports an error when the file at db's path is no longer the one the
// process opened: deleted or moved (a cleaner of /tmp, a restore done without
// stopping the cashier) or replaced by another. SQLite keeps writing to the file
// it has open, so the writes succeed and are lost when the process stops: the
// database takes no write that lasts. A database opened where Open did not see
// it is compared with the file as first checked.
func sameFile(db *gorm.DB, file string) error {
	now, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the database file %s is gone (deleted or moved while the cashier runs): what is written now is lost when it stops", file)
	}
	if err != nil {
		return fmt.Errorf("the database file: %w", err)
	}
	if !os.SameFile(openedOf(db).know(now), now) {
		return fmt.Errorf("the database file %s was replaced while the cashier runs: it still writes to the one it opened, which is lost when it stops", file)
	}
	return nil
}
