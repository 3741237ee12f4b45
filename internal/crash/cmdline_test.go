package crash

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/internal/freeaddr"
)

// TestCommandLineRefusesUnknown runs the real binary with arguments it has no
// command for: a misspelt command ("bakup --to copy.db"), a flag ("--addr"), a
// word, an empty argument and one carrying a value after "=". Each stops at once
// with one line on stderr naming the argument (never what follows an "="), the
// commands there are, and exit code 2, having opened no database and served
// nothing. --help, -h and help print the usage on stdout and exit 0, also
// opening nothing. Before, any such argument was ignored and the cashier started:
// an operator's typo ran a second instance, janitor included, against the
// database, and --help started the server.
func TestCommandLineRefusesUnknown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	bin := buildBinaries(t, dir)
	for i, tt := range []struct {
		args []string
		help bool
		want string // what the error line shows of the argument
	}{
		{[]string{"bakup", "--to", "copy.db"}, false, `"bakup"`},
		{[]string{"--addr", ":3000"}, false, `"--addr"`},
		{[]string{"serve"}, false, `"serve"`},
		{[]string{""}, false, `""`},
		{[]string{"--password=hunter2-Secret-0123"}, false, `"--password=…"`},
		{[]string{"--help"}, true, ""},
		{[]string{"-h"}, true, ""},
		{[]string{"help"}, true, ""},
	} {
		data := filepath.Join(dir, fmt.Sprintf("data-%d", i))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "cashier"), tt.args...)
		cmd.Env = append(os.Environ(), "CASHIER_DATA="+data, "CASHIER_ADDR="+freeaddr.Addr(t), "SANDBOX_ADDR="+freeaddr.Addr(t), "LOG_FORMAT=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			t.Errorf("%q: still running after 10 s (it started the cashier); stdout %q", tt.args, stdout.String())
			continue
		}
		if _, err := os.Stat(filepath.Join(data, "cashier.db")); err == nil {
			t.Errorf("%q: the database was opened", tt.args)
		}
		code := cmd.ProcessState.ExitCode()
		if tt.help {
			if code != 0 || !strings.HasPrefix(stdout.String(), "usage: cashier") || !strings.Contains(stdout.String(), "cashier backup") ||
				!strings.Contains(stdout.String(), "cashier staff") || stderr.Len() != 0 {
				t.Errorf("%q: exit code %d, stdout %q, stderr %q; want 0 and the usage on stdout alone", tt.args, code, stdout.String(), stderr.String())
			}
			continue
		}
		line := strings.TrimSuffix(stderr.String(), "\n")
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "unknown command "+tt.want) ||
			!strings.Contains(line, "backup") || !strings.Contains(line, "staff") || strings.Contains(line, "hunter2") || stdout.Len() != 0 {
			t.Errorf("%q: exit code %d, stderr %q, stdout %q; want 2 and one line naming %s and the commands", tt.args, code,
				stderr.String(), stdout.String(), tt.want)
		}
	}
}
