package store_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
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
