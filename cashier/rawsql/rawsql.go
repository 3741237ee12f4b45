// Package rawsql runs hand-written SQL on a GORM session's connection or
// transaction without GORM's statement building, callbacks and reflection: the
// notification's write path, where those cost more than the database's work. The
// statements still go through the session's pool, so they are prepared once per
// connection (GORM's statement cache on SQLite, pgx's own on PostgreSQL), and run
// inside the session's transaction.
//
// One text serves both databases: placeholders are $1, $2 … numbered in order of
// first use (PostgreSQL's syntax, which SQLite reads as parameters bound in that
// order), identifiers unquoted, and only SQL both speak (INSERT … RETURNING,
// ON CONFLICT … DO UPDATE / DO NOTHING).
package rawsql

import (
	"database/sql"
	"errors"

	"gorm.io/gorm"
)

// Exec runs a statement on db's connection or transaction and returns the number
// of rows it changed. Errors are translated as GORM translates them
// (gorm.ErrDuplicatedKey), when db's config asks for it.
func Exec(db *gorm.DB, query string, args ...any) (int64, error) {
	observe(db, query, args)
	res, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, query, args...)
	if err != nil {
		return 0, translate(db, err)
	}
	return res.RowsAffected()
}

// QueryRow runs a statement returning at most one row and scans it into dest;
// no row is sql.ErrNoRows.
func QueryRow(db *gorm.DB, query string, args []any, dest ...any) error {
	observe(db, query, args)
	return translate(db, db.Statement.ConnPool.QueryRowContext(db.Statement.Context, query, args...).Scan(dest...))
}

// Query runs a statement and calls each for every row, with a scan function for it.
func Query(db *gorm.DB, query string, args []any, each func(scan func(dest ...any) error) error) error {
	observe(db, query, args)
	rows, err := db.Statement.ConnPool.QueryContext(db.Statement.Context, query, args...)
	if err != nil {
		return translate(db, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return translate(db, rows.Err())
}

func translate(db *gorm.DB, err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) || !db.Config.TranslateError {
		return err
	}
	if t, ok := db.Dialector.(gorm.ErrorTranslator); ok {
		return t.Translate(err)
	}
	return err
}

// Observer sees every statement rawsql runs on a database it was registered with
// (db.Use), as GORM's callbacks see GORM's own: for tests that check the plans of
// the hot paths' statements.
type Observer struct {
	Observe func(query string, args []any)
}

const observerName = "rawsql:observer"

// Name registers the Observer under one name: a second one replaces the first.
func (*Observer) Name() string { return observerName }

// Initialize does nothing; the Observer is looked up by name.
func (*Observer) Initialize(*gorm.DB) error { return nil }

func observe(db *gorm.DB, query string, args []any) {
	if o, ok := db.Config.Plugins[observerName].(*Observer); ok && o.Observe != nil {
		o.Observe(query, args)
	}
}
