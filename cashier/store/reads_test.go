package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestReadDSN: the read pool's DSN keeps the file and its settings and asks for
// deferred transactions on query-only connections, whatever the DSN said.
func TestReadDSN(t *testing.T) {
	got, err := readDSN("file:/tmp/x.db?_journal_mode=WAL&_txlock=immediate&_busy_timeout=10000")
	want := "file:/tmp/x.db?_busy_timeout=10000&_journal_mode=WAL&_query_only=true&_txlock=deferred"
	if err != nil || got != want {
		t.Errorf("readDSN = %q, %v; want %q", got, err, want)
	}
	if dsn, err := SQLiteDSN("/tmp/x.db"); err != nil || !inMemory("file::memory:?cache=shared") || !inMemory("file:x?mode=memory") || inMemory(dsn) {
		t.Error("inMemory misjudges a DSN")
	}
}

// TestQuietTrace: the logger (sqlLog) writes a statement out only when it logs it: a
// failed or slow one at Warn, every one at Info; a fast, good one at Warn is
// never even written.
func TestQuietTrace(t *testing.T) {
	var buf bytes.Buffer
	q := config(slog.New(slog.NewTextHandler(&buf, nil)), false).Logger
	written := 0
	fc := func() (string, int64) { written++; return "SELECT 1", 1 }
	ctx := context.Background()
	q.Trace(ctx, time.Now(), fc, nil)
	q.Trace(ctx, time.Now(), fc, gorm.ErrRecordNotFound)
	if written != 0 || buf.Len() != 0 {
		t.Fatalf("a good statement at Warn: written %d times, logged %q; want neither", written, buf.String())
	}
	q.Trace(ctx, time.Now(), fc, errors.New("boom"))
	q.Trace(ctx, time.Now().Add(-time.Second), fc, nil)
	if written != 2 || strings.Count(buf.String(), "SELECT 1") != 2 {
		t.Fatalf("a failed and a slow statement: written %d times, logged %q; want both", written, buf.String())
	}
	buf.Reset()
	q.LogMode(logger.Info).Trace(ctx, time.Now(), fc, nil)
	if written != 3 || !strings.Contains(buf.String(), "SELECT 1") {
		t.Fatalf("at Info: written %d times, logged %q; want the statement", written, buf.String())
	}
}
