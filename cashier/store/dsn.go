package store

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// SQLiteDSN is the DSN the money database is opened with for dsn, a SQLite file
// path or a file: URI (DATABASE_URL), with or without a query: WAL, a busy
// timeout, BEGIN IMMEDIATE for every transaction (read-then-write transactions
// otherwise fail with "database is locked" under concurrency), foreign keys, and
// synchronous=FULL so a committed transfer survives a power cut.
//
// A query's other parameters are kept, and so is a setting it gives that meets
// the cashier's needs (a longer or shorter busy timeout, synchronous=EXTRA); one
// that asks for less (another journal mode, synchronous=NORMAL, foreign keys off,
// deferred transactions, an exclusive lock, read-only connections) is an error
// naming the parameter, as is a query that does not parse. Such a URL was once
// passed to SQLite as given and silently lost every one of these settings.
func SQLiteDSN(dsn string) (string, error) {
	path, query, _ := strings.Cut(dsn, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("SQLite URL: its query does not parse: %w", err) // not shown: it may hold _auth_pass
	}
	for _, s := range sqliteSettings {
		value := s.value
		for _, name := range s.names {
			for _, v := range params[name] {
				if !s.ok(v) {
					return "", fmt.Errorf("SQLite URL: %s=%s: the cashier needs %s", name, v, s.want)
				}
				if s.keep {
					value = v
				}
			}
			params.Del(name)
		}
		if value != "" {
			params.Set(s.names[0], value)
		}
	}
	return "file:" + strings.TrimPrefix(path, "file:") + "?" + params.Encode(), nil
}

// sqliteSetting is a connection setting of mattn/go-sqlite3 the money database
// depends on: the names the driver reads it under (the first is written), the
// value SQLiteDSN writes ("" for none: SQLite's default is what the cashier
// needs), which values a URL may give, and whether the URL's own value is kept.
type sqliteSetting struct {
	names []string
	value string
	ok    func(string) bool
	want  string // what the cashier needs, for the error
	keep  bool
}

var sqliteSettings = []sqliteSetting{
	{names: []string{"_journal_mode", "_journal"}, value: "WAL", ok: oneOf("WAL"), want: "WAL"},
	{names: []string{"_busy_timeout", "_timeout"}, value: "10000", ok: positive, want: "a busy timeout of a positive number of milliseconds", keep: true},
	{names: []string{"_txlock"}, value: "immediate", ok: oneOf("immediate"), want: "immediate"},
	{names: []string{"_foreign_keys", "_fk"}, value: "on", ok: oneOf("1", "on", "true", "yes"), want: "foreign keys on"},
	{names: []string{"_synchronous", "_sync"}, value: "FULL", ok: oneOf("FULL", "2", "EXTRA", "3"), want: "FULL (or EXTRA)", keep: true},
	{names: []string{"_locking_mode", "_locking"}, ok: oneOf("NORMAL"), want: "NORMAL: other connections (reads, backups) share the file", keep: true},
	{names: []string{"_query_only"}, ok: oneOf("0", "off", "false", "no"), want: "to write", keep: true},
	// SQLite's own URI parameters: a file opened read-only, or as one nothing
	// changes (no locks taken), takes no deposit, and a start on one failed only
	// at its first write, without naming the setting.
	{names: []string{"mode"}, ok: oneOf("rwc", "rw", "memory"), want: "to write (mode rwc, rw or memory)", keep: true},
	{names: []string{"immutable"}, ok: oneOf("0", "off", "false", "no"), want: "to write, sharing the file with other connections", keep: true},
}

// oneOf accepts the values listed, in any case.
func oneOf(values ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range values {
			if strings.EqualFold(v, w) {
				return true
			}
		}
		return false
	}
}

// positive accepts a whole number above 0.
func positive(v string) bool {
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && n > 0
}
