package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
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
	if free, ok := diskFree(filepath.Dir(file)); ok && free < minFreeSpace {
		return fmt.Errorf("the file system of %s has %d bytes left (fewer than %d): the disk is full or nearly", filepath.Dir(file), free, minFreeSpace)
	}
	return nil
}
