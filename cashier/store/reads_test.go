package store

import "testing"

// TestReadDSN: the read pool's DSN keeps the file and its settings and asks for
// deferred transactions on query-only connections, whatever the DSN said.
func TestReadDSN(t *testing.T) {
	got, err := readDSN("file:/tmp/x.db?_journal_mode=WAL&_txlock=immediate&_busy_timeout=10000")
	want := "file:/tmp/x.db?_busy_timeout=10000&_journal_mode=WAL&_query_only=true&_txlock=deferred"
	if err != nil || got != want {
		t.Errorf("readDSN = %q, %v; want %q", got, err, want)
	}
	if !inMemory("file::memory:?cache=shared") || !inMemory("file:x?mode=memory") || inMemory(SQLiteDSN("/tmp/x.db")) {
		t.Error("inMemory misjudges a DSN")
	}
}
