package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"
)

// sqliteWriters holds one writer per SQLite connection pool (*sql.DB) of a database
// open in this process; Close forgets it.
var sqliteWriters sync.Map

// PoolKey names db's connection pool (*sql.DB): one database of this process,
// whatever session of it db is.
func PoolKey(db *gorm.DB) any {
	if sqlDB, err := db.DB(); err == nil {
		return sqlDB
	}
	return db.Dialector
}

// writer is the write lock of one SQLite database of this process: a channel of
// one, so that a wait can end with its context.
type writer chan struct{}

// writerOf is the writer of the pool named key.
func writerOf(key any) writer {
	w, _ := sqliteWriters.LoadOrStore(key, make(writer, 1))
	return w.(writer)
}

// forgetWriter drops the writer of the pool named key, and the values other
// packages keep for it (PoolValue), once that pool is closed (closePool).
func forgetWriter(key any) {
	sqliteWriters.Delete(key)
	poolValues.Delete(key)
}

// poolValues holds, per connection pool (PoolKey) of a database open in this
// process, the values PoolValue keeps by name (a *sync.Map of name to value).
var poolValues sync.Map

// PoolValue is the value named name kept for db's database, one per database open
// in this process whatever session of it db is, made by make the first time it
// is asked for. Close forgets it, with the database's writer, so a process that
// opens and closes many databases keeps nothing of the closed ones: for state
// such as the cashier's commit queue, which must be one per open database.
func PoolValue[T any](db *gorm.DB, name string, make func() T) T {
	key := PoolKey(db)
	m, ok := poolValues.Load(key)
	if !ok {
		m, _ = poolValues.LoadOrStore(key, &sync.Map{})
	}
	values := m.(*sync.Map)
	if v, ok := values.Load(name); ok {
		return v.(T)
	}
	v, _ := values.LoadOrStore(name, make())
	return v.(T)
}

// RangePools calls fn with the key of each pool PoolValue keeps values for.
func RangePools(fn func(key any)) {
	poolValues.Range(func(k, _ any) bool { fn(k); return true })
}

func (w writer) lock() func() { w <- struct{}{}; return w.unlock }

func (w writer) unlock() { <-w }

// writerWait bounds a wait for the writer in lockContext. A queue of writers
// hands it on in milliseconds; what waits longer is a holder writing through the
// pool instead of its own transaction, which waits for itself: it fails after
// this, as it failed after SQLite's busy timeout before every write waited here,
// instead of holding the writer, and every write of the process, for ever. A
// variable for tests.
var writerWait = time.Minute

// errWriterWait is a wait for the writer that lasted writerWait.
var errWriterWait = errors.New("database is locked: waited too long for this process's writer")

// lockContext takes w, or gives up when ctx ends or writerWait has passed first.
func (w writer) lockContext(ctx context.Context) (func(), error) {
	select {
	case w <- struct{}{}:
		return w.unlock, nil
	default:
	}
	t := time.NewTimer(writerWait)
	defer t.Stop()
	select {
	case w <- struct{}{}:
		return w.unlock, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errWriterWait
	}
}

// WriteLock serializes this process's writes to a SQLite database and returns the
// unlock function; on PostgreSQL it does nothing. SQLite allows one writer at a
// time anyway, and a writer that finds the database busy waits in SQLite's busy
// handler, which sleeps in growing steps of up to 100 ms and gives up after the
// busy timeout, holding a connection meanwhile: under a burst of notifications
// that polling, not the work, set the pace, and a write that lost it too often
// failed with "database is locked"; and writers waiting there on every
// connection of the pool kept the one holding the lock from the connection it
// prepares a new statement on, until they gave up. Waiting here, before taking a
// connection, hands the lock over at once.
//
// Every write through GORM on a database Open opened takes it by itself
// (lockWrites): each transaction, from its BEGIN IMMEDIATE to its end (so every
// Create, Save, Update, Delete outside a transaction too, which GORM runs in one),
// and each Exec outside a transaction. WriteLock is for what GORM does not see
// whole: a write that returns rows (INSERT … RETURNING, read after GORM's
// callbacks have run) and a transaction begun on a connection of its own. A
// holder must not write through GORM, nor take it again: that waits for itself.
func WriteLock(db *gorm.DB) func() {
	if db.Dialector.Name() != "sqlite" {
		return func() {}
	}
	return writerOf(PoolKey(db)).lock()
}

// writeLockContext is WriteLock, giving up when ctx ends first.
func writeLockContext(ctx context.Context, db *gorm.DB) (func(), error) {
	if db.Dialector.Name() != "sqlite" {
		return func() {}, nil
	}
	return writerOf(PoolKey(db)).lockContext(ctx)
}

// lockWrites makes every write through GORM on db, SQLite's write pool, take its
// writer (WriteLock): the pool's transactions take it in BeginTx (sqlitePool),
// and an Exec outside a transaction takes it around the statement (GORM's raw
// callbacks). A statement inside a transaction runs on the transaction, which
// holds it already. The read pool's transactions, deferred and query-only, take
// nothing. PostgreSQL has no such lock: Open calls this for SQLite only.
func lockWrites(db *gorm.DB, pool *sql.DB) error {
	w := writerOf(pool)
	const unlockKey = "cashier:write_unlock"
	err := db.Callback().Raw().Before("gorm:raw").Register("cashier:write_lock", func(tx *gorm.DB) {
		if _, inTx := tx.Statement.ConnPool.(gorm.TxCommitter); inTx || tx.Error != nil {
			return
		}
		unlock, err := w.lockContext(tx.Statement.Context)
		if err != nil {
			tx.AddError(err)
			return
		}
		tx.Statement.Settings.Store(unlockKey, unlock)
	})
	if err != nil {
		return err
	}
	return db.Callback().Raw().After("gorm:raw").Register(unlockKey, func(tx *gorm.DB) {
		if unlock, ok := tx.Statement.Settings.LoadAndDelete(unlockKey); ok {
			unlock.(func())()
		}
	})
}
