package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/internal/freeaddr"
)

// jsonLines checks that every line of out (stdout or stderr of the cashier with
// LOG_FORMAT=json) is a JSON object with a level and a message, as a log shipper
// parses it, and returns the messages with their err attribute.
func jsonLines(t *testing.T, name string, out []byte) []string {
	t.Helper()
	var msgs []string
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" && len(out) == 0 {
			break
		}
		var rec struct {
			Level, Msg, Err string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Msg == "" {
			t.Errorf("%s line %d is not a JSON log line (%v): %q", name, i+1, err, line)
			continue
		}
		msgs = append(msgs, rec.Msg+" "+rec.Err)
	}
	return msgs
}

// anyHas reports whether one of msgs holds s.
func anyHas(msgs []string, s string) bool {
	for _, m := range msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// TestJSONLogsEveryLine runs the real binary with LOG_FORMAT=json: every line it
// writes to stdout and to stderr must be JSON a log shipper can parse, the start
// banner included (it was plain text on stdout), through a deposit, its
// notifications and a shutdown, and so must the errors a start, `cashier backup`
// and `cashier staff` stop with, a bad CASHIER_LOG_LEVEL's included.
func TestJSONLogsEveryLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	bin := buildBinaries(t, dir)
	sbURL, merchantKey := startSandbox(t, dir, bin)
	data := filepath.Join(dir, "cashier")
	base := append(cashierEnv(dir, sbURL, merchantKey), "CASHIER_DATA="+data, "LOG_FORMAT=json")

	// A run: start, a player's deposit with its notifications, SIGTERM.
	addr := freeaddr.Addr(t)
	cmd := exec.Command(filepath.Join(bin, "cashier"))
	cmd.Env = append(base, "CASHIER_ADDR="+addr, "CASHIER_BASE_URL=http://"+addr, "CASHIER_LOG_LEVEL=debug")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-exited })
	waitHTTP(t, "http://"+addr+"/healthz")
	waitHTTP(t, "http://"+addr+"/readyz")
	p := register(t, "http://"+addr, "json@example.com")
	p.form("/cashier", "/deposit", url.Values{"amount": {"200"}})
	for deadline := time.Now().Add(30 * time.Second); !bytes.Contains(stderr.Bytes(), []byte(`"msg":"notification applied"`)); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no notification applied within 30 s\n%s", stderr.Bytes())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the cashier still runs 20 s after SIGTERM")
	}
	out, errs := jsonLines(t, "stdout", stdout.Bytes()), jsonLines(t, "stderr", stderr.Bytes())
	if !anyHas(out, "Cashier ready") || !anyHas(out, "Notification URL") {
		t.Errorf("stdout has no banner: %q", out)
	}
	if !anyHas(errs, "cashier listening") || !anyHas(errs, "database closed") {
		t.Errorf("stderr has not the run's lines: %q", errs)
	}

	// Commands that stop with an error, or end with a word for the operator.
	backup := filepath.Join(dir, "backup.db")
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		code int
		want string // in a message of stdout or stderr
	}{
		{"bad address", nil, []string{"CASHIER_ADDR=nowhere"}, 1, "CASHIER_ADDR"},
		{"bad level", nil, []string{"CASHIER_LOG_LEVEL=loud"}, 1, "configuration: CASHIER_LOG_LEVEL"},
		{"staff with a bad level", []string{"staff", "add", "--email", "x@example.com"}, []string{"CASHIER_LOG_LEVEL=loud"}, 2,
			"configuration: CASHIER_LOG_LEVEL"},
		{"backup without --to", []string{"backup"}, nil, 2, "usage: cashier backup"},
		{"backup", []string{"backup", "--to", backup}, nil, 0, "Backed up"},
		{"staff without a command", []string{"staff"}, nil, 2, "usage: cashier staff"},
		{"staff add of a bad role", []string{"staff", "add", "--email", "x@example.com", "--role", "boss"}, nil, 2, "Choose a role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, "cashier"), tt.args...)
			cmd.Env = append(append(base, "CASHIER_ADDR="+freeaddr.Addr(t)), tt.env...)
			cmd.Stdin = strings.NewReader("a staff password long enough\n")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if got := cmd.ProcessState.ExitCode(); got != tt.code {
				t.Errorf("exit code %d; want %d\nstdout: %s\nstderr: %s", got, tt.code, stdout.Bytes(), stderr.Bytes())
			}
			msgs := append(jsonLines(t, "stdout", stdout.Bytes()), jsonLines(t, "stderr", stderr.Bytes())...)
			if !anyHas(msgs, tt.want) {
				t.Errorf("no line says %q: %q", tt.want, msgs)
			}
		})
	}
	os.Remove(backup)
}

// syncBuffer is a bytes.Buffer a process writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes is a copy of what was written so far.
func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestLogFormatRefused runs the real binary with a LOG_FORMAT it cannot read: it
// stops as it does on another bad setting (CASHIER_ADDR here), with one text line
// (LOG_FORMAT's default) at level ERROR, "cashier stopped", whose err names the
// setting after "configuration: ", and exit code 1. It wrote a bare
// "LOG_FORMAT \"jsno\": want json or text" and exited 2.
func TestLogFormatRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	bin := buildBinaries(t, dir)
	for _, tt := range []struct{ env, setting string }{
		{"CASHIER_ADDR=nowhere", `CASHIER_ADDR \"nowhere\"`},
		{"LOG_FORMAT=jsno", `LOG_FORMAT \"jsno\": want json or text (or unset, for text)`},
		{"LOG_FORMAT=JSONL", `LOG_FORMAT \"JSONL\": want json or text (or unset, for text)`},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "cashier"))
		cmd.Env = append(os.Environ(), "CASHIER_DATA="+filepath.Join(dir, "cashier"), "LOG_FORMAT=", tt.env)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		cancel()
		if got := cmd.ProcessState.ExitCode(); got != 1 {
			t.Errorf("%s: exit code %d; want 1\nstderr: %s", tt.env, got, stderr.Bytes())
		}
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		want := `level=ERROR msg="cashier stopped" err="configuration: ` + tt.setting
		if _, rest, _ := strings.Cut(lines[0], " "); len(lines) != 1 || !strings.HasPrefix(lines[0], "time=") || !strings.HasPrefix(rest, want) || stdout.Len() != 0 {
			t.Errorf("%s: stderr %q, stdout %q; want one text line, after its time, starting %q", tt.env, stderr.String(), stdout.String(), want)
		}
	}
}
