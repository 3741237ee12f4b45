// Package raw runs hand-written SQL on a GORM session's connection or
// transaction without GORM's statement building, callbacks and scanning by
// reflection: the few reads every page makes, and the notification's write path,
// where those cost more than the database's work. The statements still go
// through the session's pool, so they are prepared once per connection (GORM's
// statement cache on SQLite, pgx's own on PostgreSQL), and run inside the
// session's transaction. It imports nothing of the cashier's, so the packages
// that keep tables (ledger, limits, breaks) can use it as well as the cashier.
//
// One text serves both databases: ? placeholders, numbered $1, $2 … for
// PostgreSQL (the queries hold no ? in their literals), unquoted identifiers, and
// only SQL both speak (INSERT … RETURNING, ON CONFLICT … DO UPDATE / DO NOTHING).
package raw

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Query runs a SELECT on db's connection (in a transaction, in it); the caller
// scans the rows and closes them.
func Query(ctx context.Context, db *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	query = text(db, query, args)
	rows, err := db.Statement.ConnPool.QueryContext(ctx, query, args...)
	return rows, translate(db, err)
}

// Exec runs a statement and returns the number of rows it changed. Errors are
// translated as GORM translates them (gorm.ErrDuplicatedKey) when db's config
// asks for it.
func Exec(ctx context.Context, db *gorm.DB, query string, args ...any) (int64, error) {
	query = text(db, query, args)
	res, err := db.Statement.ConnPool.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, translate(db, err)
	}
	return res.RowsAffected()
}

// QueryRow runs a statement returning at most one row (a SELECT, or an INSERT …
// RETURNING) and scans it into dest; no row is sql.ErrNoRows.
func QueryRow(ctx context.Context, db *gorm.DB, query string, args []any, dest ...any) error {
	query = text(db, query, args)
	return translate(db, db.Statement.ConnPool.QueryRowContext(ctx, query, args...).Scan(dest...))
}

// Each runs a statement and calls each for every row it returns, with the row's
// scan function.
func Each(ctx context.Context, db *gorm.DB, query string, args []any, each func(scan func(dest ...any) error) error) error {
	rows, err := Query(ctx, db, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return translate(db, rows.Err())
}

// text is query as db's database reads it, shown to db's Observer first.
func text(db *gorm.DB, query string, args []any) string {
	if db.Dialector.Name() == "postgres" {
		query = dollars(query)
	}
	if o, ok := db.Config.Plugins[observerName].(*Observer); ok && o.Observe != nil {
		o.Observe(query, args)
	}
	return query
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

// numbered holds each query's PostgreSQL form.
var numbered sync.Map // string → string

// dollars is query with its ? placeholders numbered as PostgreSQL's $1, $2, ….
func dollars(query string) string {
	if q, ok := numbered.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	numbered.Store(query, b.String())
	return b.String()
}

// Observer sees every statement raw runs on a database it was registered with
// (db.Use), as GORM's callbacks see GORM's own: for tests that check the plans of
// the hot paths' statements.
type Observer struct {
	Observe func(query string, args []any)
}

const observerName = "raw:observer"

// Name registers the Observer under one name: a second one replaces the first.
func (*Observer) Name() string { return observerName }

// Initialize does nothing; the Observer is looked up by name.
func (*Observer) Initialize(*gorm.DB) error { return nil }
