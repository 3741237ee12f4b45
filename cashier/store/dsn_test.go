package store_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"gorm.io/gorm"
)

// sqlitePragmas are the settings of a connection of db that the money database
// needs, as SQLite reports them.
type sqlitePragmas struct {
	JournalMode string
	Synchronous int
	ForeignKeys int
	BusyTimeout int
}

func readPragmas(t *testing.T, db *gorm.DB) sqlitePragmas {
	t.Helper()
	var p sqlitePragmas
	for _, q := range []struct {
		sql string
		to  any
	}{{"PRAGMA journal_mode", &p.JournalMode}, {"PRAGMA synchronous", &p.Synchronous},
		{"PRAGMA foreign_keys", &p.ForeignKeys}, {"PRAGMA busy_timeout", &p.BusyTimeout}} {
		if err := db.Raw(q.sql).Row().Scan(q.to); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	p.JournalMode = strings.ToLower(p.JournalMode)
	return p
}

// TestSQLiteURLKeepsSafetySettings: a DATABASE_URL that is a SQLite file: URI or
// a path with a query opens the database with the settings the cashier needs
// all the same, on the write pool and on the read pool: WAL, synchronous=FULL (a
// committed transfer survives a power cut), foreign keys, and a busy timeout (the
// cashier's 10 s, or the URL's own when it gives one). Such a URL was passed to
// SQLite as given and silently lost them all: rollback journal, no foreign keys,
// the driver's 5 s.
func TestSQLiteURLKeepsSafetySettings(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		url  string
		busy int
	}{
		{filepath.Join(dir, "plain.db"), 10000},
		{"file:" + filepath.Join(dir, "uri.db"), 10000},
		{"file:" + filepath.Join(dir, "query.db") + "?cache=private", 10000},
		{filepath.Join(dir, "pathquery.db") + "?_busy_timeout=20000", 20000},
		{"file:" + filepath.Join(dir, "same.db") + "?_journal_mode=wal&_synchronous=FULL&_foreign_keys=1&_txlock=immediate", 10000},
	} {
		db, err := store.Open(tt.url, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Errorf("DATABASE_URL %q: %v", tt.url, err)
			continue
		}
		want := sqlitePragmas{JournalMode: "wal", Synchronous: 2, ForeignKeys: 1, BusyTimeout: tt.busy}
		if got := readPragmas(t, db); got != want {
			t.Errorf("DATABASE_URL %q: %+v; want %+v", tt.url, got, want)
		}
		if got := readPragmas(t, store.Reads(db)); got != want {
			t.Errorf("DATABASE_URL %q, read pool: %+v; want %+v", tt.url, got, want)
		}
		store.Close(db)
	}
}

// TestSQLiteURLContradictingSafetyRefused: a SQLite URL that asks for less than
// the money database needs is refused with an error naming the setting, and no
// file is created.
func TestSQLiteURLContradictingSafetyRefused(t *testing.T) {
	dir := t.TempDir()
	for _, q := range []string{"_journal_mode=DELETE", "_journal=MEMORY", "_synchronous=NORMAL", "_sync=OFF",
		"_foreign_keys=0", "_fk=false", "_txlock=deferred", "_busy_timeout=0", "_timeout=soon", "_locking_mode=EXCLUSIVE", "_query_only=1",
		"mode=ro", "immutable=1"} {
		path := filepath.Join(dir, "refused.db")
		_, err := store.Open("file:"+path+"?"+q, slog.New(slog.DiscardHandler))
		key, _, _ := strings.Cut(q, "=")
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v; want an error naming %s", q, err, key)
		}
		if _, err := store.SQLiteDSN("file:" + path + "?" + q); err == nil {
			t.Errorf("SQLiteDSN with %s: no error", q)
		}
		if matches, _ := filepath.Glob(path + "*"); len(matches) > 0 {
			t.Errorf("%s: %v created", q, matches)
		}
	}
}

// TestPostgresDSNUnreadableHidesPassword: a PostgreSQL DATABASE_URL that cannot be
// read is not shown in the error, which goes to the log: pgx's own error shows it
// with the password it recognises hidden, but a quoted password left unterminated
// ("password='two words") loses only its first word there.
func TestPostgresDSNUnreadableHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"host=127.0.0.1 user=u password='S3cret Tailword dbname=x",
		"postgres://u:S3cretTailword@127.0.0.1:notaport/x",
		"postgres://u:S3cretTailword@127.0.0.1:5432/x?sslmode=bogus",
	} {
		_, err := store.Open(dsn, slog.New(slog.DiscardHandler))
		if err == nil || strings.Contains(err.Error(), "Tailword") || strings.Contains(err.Error(), "S3cret") {
			t.Errorf("Open(%q): got %v; want an error without the password", dsn, err)
		}
	}
}
