package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm/logger"
)

// TestSQLLogRendersOnlyWhatItLogs: the SQL of a statement that succeeded in time
// is never rendered; that of a failed or slow one is.
func TestSQLLogRendersOnlyWhatItLogs(t *testing.T) {
	l := sqlLog{slow: time.Second, Interface: logger.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)),
		logger.Config{SlowThreshold: time.Second, LogLevel: logger.Warn})}
	for _, tt := range []struct {
		name   string
		begin  time.Time
		err    error
		render bool
	}{
		{"fast", time.Now(), nil, false},
		{"not found", time.Now(), logger.ErrRecordNotFound, false},
		{"failed", time.Now(), errors.New("boom"), true},
		{"slow", time.Now().Add(-2 * time.Second), nil, true},
	} {
		rendered := false
		l.Trace(context.Background(), tt.begin, func() (string, int64) { rendered = true; return "SELECT 1", 1 }, tt.err)
		if rendered != tt.render {
			t.Errorf("%s: rendered %v, want %v", tt.name, rendered, tt.render)
		}
	}
}
