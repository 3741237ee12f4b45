// Package storetest gives tests a fresh, migrated database: a SQLite file in a temp
// dir, and, when TEST_DATABASE_URL names a PostgreSQL server, a fresh schema on it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// SQLite opens a new SQLite database in t.TempDir().
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "cashier.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	return db
}

// Postgres opens a fresh schema on the server named by TEST_DATABASE_URL and drops
// it afterwards. Without TEST_DATABASE_URL the test is skipped, except under CI=true
// where a missing PostgreSQL is a failure.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := store.Open(PostgresDSN(t), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	return db
}

// PostgresDSN creates a fresh, empty schema on the server named by
// TEST_DATABASE_URL and returns a DSN whose search_path is that schema; the schema
// is dropped when the test ends, after the test's own cleanups. It skips or fails
// like Postgres.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
		}
		t.Skip("PostgreSQL not configured: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run these tests")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	// Not store.Open: that would migrate the server's default schema as well.
	admin, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf("DROP SCHEMA %s CASCADE", schema))
		store.Close(admin)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Each runs f once on SQLite and once on PostgreSQL, as subtests named after them.
func Each(t *testing.T, f func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}

// Explain is how db would run query with args, one line per step: SQLite's
// EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN with scans of whole tables, bitmaps
// and sorts priced out, so that even on tables of a few rows it picks what it
// would at a million: an index read in order when there is one. query is written
// with ? placeholders (store/raw numbers them for PostgreSQL) or already
// numbered, as GORM writes PostgreSQL's.
func Explain(db *gorm.DB, query string, args ...any) ([]string, error) {
	var lines []string
	err := db.Transaction(func(tx *gorm.DB) error {
		ctx := context.Background()
		prefix := "EXPLAIN QUERY PLAN "
		if db.Dialector.Name() == "postgres" {
			prefix = "EXPLAIN "
			for _, set := range []string{"enable_seqscan", "enable_bitmapscan", "enable_sort"} {
				if _, err := raw.Exec(ctx, tx, "SET LOCAL "+set+" = off"); err != nil {
					return err
				}
			}
		}
		rows, err := raw.Query(ctx, tx, prefix+query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		for rows.Next() {
			cells := make([]any, len(cols))
			for i := range cells {
				cells[i] = new(sql.RawBytes)
			}
			if err := rows.Scan(cells...); err != nil {
				return err
			}
			// SQLite's detail, PostgreSQL's only column.
			lines = append(lines, string(*cells[len(cells)-1].(*sql.RawBytes)))
		}
		return rows.Err()
	})
	return lines, err
}

// HoldWriter takes db's writer (store.WriteLock) and the database's write lock
// (BEGIN IMMEDIATE on a connection of its own) with one row written, as the
// cashier's commit batch holds them, and returns once it holds both; release
// commits and gives them back.
func HoldWriter(t *testing.T, db *gorm.DB) (release func()) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	unlock := store.WriteLock(db)
	conn, err := sqlDB.Conn(context.Background())
	if err != nil {
		unlock()
		t.Fatal(err)
	}
	for _, s := range []string{"BEGIN IMMEDIATE",
		"INSERT INTO rate_counters (name, value, expires_at, hits) VALUES ('held', x'31', '2099-01-01 00:00:00', 0)"} {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			conn.Close()
			unlock()
			t.Fatalf("hold the writer: %s: %v", s, err)
		}
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
			t.Errorf("release the writer: %v", err)
		}
		conn.Close()
		unlock()
	}
}

// RefuseInserts makes every insert into table through db (GORM's Create) fail,
// on SQLite and PostgreSQL alike, until allow is called or the test ends: a
// database that refuses one write, such as an audit row.
func RefuseInserts(t testing.TB, db *gorm.DB, table string) (allow func()) {
	t.Helper()
	var refuse atomic.Bool
	refuse.Store(true)
	name := fmt.Sprintf("storetest:refuse_inserts_%s_%p", table, &refuse)
	err := db.Callback().Create().Before("gorm:create").Register(name, func(tx *gorm.DB) {
		if refuse.Load() && tx.Statement.Table == table {
			_ = tx.AddError(fmt.Errorf("storetest: inserts into %s refused", table))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	allow = func() { refuse.Store(false) }
	t.Cleanup(allow)
	return allow
}
