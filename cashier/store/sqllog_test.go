package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
)

// TestSQLLog: a failed statement is logged with its SQL but without its values,
// and a statement that succeeds in time is not logged at all.
func TestSQLLog(t *testing.T) {
	var out bytes.Buffer
	db, err := store.Open(filepath.Join(t.TempDir(), "log.db"), slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB, _ := db.DB(); sqlDB.Close() })
	out.Reset()
	p := models.Player{EndUserID: "secret-enduser", Email: "secret@example.com", Country: "SE", Currency: "SEK"}
	if err := db.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("a statement that succeeded was logged: %s", out.String())
	}
	dup := models.Player{EndUserID: "secret-enduser", Email: "secret@example.com", Country: "SE", Currency: "SEK"}
	if err := db.Create(&dup).Error; err == nil {
		t.Fatal("duplicate player created")
	}
	logged := out.String()
	if !strings.Contains(logged, "INSERT INTO") {
		t.Fatalf("the failed statement was not logged: %q", logged)
	}
	if strings.Contains(logged, "secret") {
		t.Fatalf("the log carries a statement's values: %s", logged)
	}
}

// TestSQLLogMessagesFormatted: GORM's own messages (its Info, Warn and Error, such
// as "failed to initialize database, got error %v") are logged with their values
// in the message, not as a format string beside a data array.
func TestSQLLogMessagesFormatted(t *testing.T) {
	var out bytes.Buffer
	if _, err := store.Open("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", slog.New(slog.NewTextHandler(&out, nil))); err == nil {
		t.Fatal("opened a database on port 1")
	}
	if logged := out.String(); !strings.Contains(logged, "failed to initialize database") || strings.Contains(logged, "%v") {
		t.Errorf("logged %q; want GORM's message with its error in it", logged)
	}
}

// TestSQLLogCancelledQuiet: a statement whose context its caller ended (the
// janitor's next step as the cashier shuts down) is not an error of the database:
// the caller stops on purpose and says what it left, and an "SQL executed" line
// at ERROR on every such shutdown would page someone for nothing. It is not
// logged; a statement that fails for its own reason still is.
func TestSQLLogCancelledQuiet(t *testing.T) {
	var out syncBuf
	db, err := store.Open(filepath.Join(t.TempDir(), "log.db"), slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var players []models.Player
	if err := db.WithContext(ctx).Where("country = ?", "SE").Find(&players).Error; err == nil {
		t.Fatal("a query on a cancelled context succeeded")
	}
	if logged := out.String(); logged != "" {
		t.Errorf("a query whose context was cancelled is logged:\n%s", logged)
	}
	if err := db.Exec("SELECT * FROM no_such_table").Error; err == nil {
		t.Fatal("a query on no table succeeded")
	}
	if !strings.Contains(out.String(), "no_such_table") {
		t.Errorf("a failed query is not logged: %q", out.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
