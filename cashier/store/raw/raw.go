// Package raw runs the few reads every page makes as prepared statements on
// GORM's connection, without GORM's statement building and scanning. It imports
// nothing of the cashier's, so the packages that keep tables (limits, breaks) can
// use it as well as the cashier.
package raw

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Query runs a SELECT written with ? placeholders on db's connection (in a
// transaction, in it) as a prepared statement: GORM's statement cache on SQLite,
// pgx's on PostgreSQL. It skips GORM's statement building, logging and scanning
// by reflection, which cost more than the database for the few small reads every
// page makes (the signed-in player, the limits, the break); the caller scans the
// rows and closes them. The same query text runs on both databases.
func Query(ctx context.Context, db *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	if db.Dialector.Name() == "postgres" {
		query = dollars(query)
	}
	return db.Statement.ConnPool.QueryContext(ctx, query, args...)
}

// numbered holds each query's PostgreSQL form.
var numbered sync.Map // string → string

// dollars is query with its ? placeholders numbered as PostgreSQL's $1, $2, …;
// the queries Query runs hold no ? in their literals.
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
