package store

import (
	"sync"

	"gorm.io/gorm"
)

// sqliteWriters holds one mutex per SQLite connection pool (*sql.DB).
var sqliteWriters sync.Map

// PoolKey names db's connection pool (*sql.DB): one database of this process,
// whatever session of it db is.
func PoolKey(db *gorm.DB) any {
	if sqlDB, err := db.DB(); err == nil {
		return sqlDB
	}
	return db.Dialector
}

// WriteLock serializes this process's writes to a SQLite database and returns the
// unlock function; on PostgreSQL it does nothing. SQLite allows one writer at a
// time anyway, and a writer that finds the database busy waits in SQLite's busy
// handler, which sleeps in growing steps of up to 100 ms and gives up after the
// busy timeout: under a burst of notifications that polling, not the work, set
// the pace, and a write that lost it too often failed with "database is locked".
// Waiting on a mutex hands the lock over at once. Every write of the cashier's
// takes it, its money transactions (cashier's writeTx) and its counts
// (Counters) alike; a holder must not take it again.
func WriteLock(db *gorm.DB) func() {
	if db.Dialector.Name() != "sqlite" {
		return func() {}
	}
	m, _ := sqliteWriters.LoadOrStore(PoolKey(db), &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
