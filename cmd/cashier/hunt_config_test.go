package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigWarnsOnTheGivenLogger: the warnings the configuration gives while it
// loads (CASHIER_DATA found readable by others, made its owner's only) go to the
// logger the command was given, with its format and level, not to slog's default
// logger, which only main sets to the same one: `cashier staff …` and run in a
// process that has not set it (a test, an embedding) lost them to the default
// text handler on stderr. Both run and the staff command are checked, with a start
// that stops at a bad setting after the warning.
func TestConfigWarnsOnTheGivenLogger(t *testing.T) {
	var elsewhere bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&elsewhere, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	wide := func() string {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o775); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, cmd := range []string{"run", "staff"} {
		dir := wide()
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		vars := env(map[string]string{"CASHIER_DATA": dir, "CASHIER_LIMITS": "{"})
		var err error
		if cmd == "run" {
			err = run(context.Background(), vars, io.Discard, log)
		} else {
			err = runStaff(context.Background(), []string{"reset-2fa", "--email", "a@example.com"}, vars, strings.NewReader(""), io.Discard, log)
		}
		if err == nil || !strings.Contains(err.Error(), "CASHIER_LIMITS") {
			t.Fatalf("%s: %v; want the start stopped at CASHIER_LIMITS", cmd, err)
		}
		if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), dir) {
			t.Errorf("%s: the given logger has\n%s\nwant the warning about %s", cmd, logs.String(), dir)
		}
		if strings.Contains(elsewhere.String(), dir) {
			t.Errorf("%s: the warning went to slog's default logger:\n%s", cmd, elsewhere.String())
		}
	}
}
