package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/internal/freeaddr"
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

// TestConfigEveryVariableRefusesGarbage: a value of each variable of README's
// table that the cashier cannot read stops the start with an error naming the
// variable; none is taken as unset or as its default. Words the README gives
// (off, required, optional) are taken in any case, as CASHIER_LOG_LEVEL's are;
// durations need their unit, amounts are positive with at most two decimals in
// a currency the cashier knows.
func TestConfigEveryVariableRefusesGarbage(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		real        bool   // with Trustly's test environment rather than the embedded sandbox
		also        string // another variable=value set with it
	}{
		{"CASHIER_ADDR", "3000", false, ""},
		{"CASHIER_ADDR", "127.0.0.1:0", false, ""},
		{"CASHIER_BASE_URL", "cashier.example", false, ""},
		{"DATABASE_URL", "mysql://db/cashier", false, ""},
		{"TRUSTLY_NOTIFY_TOKEN", "short", false, ""},
		{"CASHIER_SESSION_KEY", "short", false, ""},
		{"CASHIER_TOTP_KEY", "short", false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"deposit": ["-10", "100"]}}`, false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"deposit": ["10.005", "100"]}}`, false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"approval_above": "-5"}}`, false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"refund_operator_max": "1.001"}}`, false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"quick_picks": ["100.999"]}}`, false, ""},
		{"CASHIER_LIMITS", `{"XYZ": {"deposit": ["10", "100"]}}`, false, ""},
		{"CASHIER_LIMITS", `{"sek": {"deposit": ["10", "100"]}}`, false, ""},
		{"CASHIER_LIMITS", `{"SEK": {"deposit": ["100", "10"]}}`, false, ""},
		{"CASHIER_SHOPPER_STATEMENT", strings.Repeat("x", 25), false, ""},
		{"CASHIER_TRUSTED_PROXIES", "10.0.0.0/33", false, ""},
		{"CASHIER_LOGIN_LIMIT", "ten", false, ""},
		{"CASHIER_LOGIN_LIMIT", "-1", false, ""},
		{"CASHIER_LOGIN_LIMIT_PER_ACCOUNT", "1.5", false, ""},
		{"CASHIER_ORDER_LIMIT", "0", false, ""},
		{"CASHIER_ORDER_LIMIT_PER_IP", "many", false, ""},
		{"CASHIER_MAX_CONNECTIONS", "8k", false, ""},
		{"CASHIER_READ_TIMEOUT", "15", false, ""},
		{"CASHIER_READ_TIMEOUT", "-15s", false, ""},
		{"CASHIER_WRITE_TIMEOUT", "30", false, ""},
		{"CASHIER_IDLE_TIMEOUT", "60", false, ""},
		{"CASHIER_READ_BUFFER_SIZE", "8KiB", false, ""},
		{"CASHIER_SESSION_IDLE", "30", false, ""},
		{"CASHIER_JANITOR_EVERY", "60", false, ""},
		{"CASHIER_CHECKOUT_EXPIRY", "30", false, ""},
		{"CASHIER_PAYOUT_RESUME_AFTER", "2", false, ""},
		{"TRUSTLY_SANDBOX_ATTRIBUTES", "SandboxAutoComplete=yes", false, ""},
		{"TRUSTLY_SANDBOX_ATTRIBUTES", "SandboxAutoComplete=1,SandboxAutoComplete=0", false, ""},
		{"CASHIER_METRICS_ADDR", "9100", false, ""},
		{"CASHIER_ADMIN_PASSWORD", "short", false, ""},
		{"CASHIER_ADMIN_EMAIL", "not-an-email", false, "CASHIER_ADMIN_PASSWORD=a long enough password"},
		{"CASHIER_ADMIN_2FA", "yes", false, ""},
		{"CASHIER_ADMIN_2FA", "on", false, ""},
		{"CASHIER_ADMIN_IDLE", "15", false, ""},
		{"CASHIER_ADMIN_TZ", "Mars/Olympus", false, ""},
		{"CASHIER_ADMIN_TZ", "Local", false, ""},
		{"TRUSTLY_CHECKOUT_ORIGIN", "checkout", true, ""},
		{"SANDBOX_ADDR", "8081", false, ""},
		{"SANDBOX_BASE_URL", "sandbox", false, ""},
		{"SANDBOX_PUBLIC", "yes", false, ""},
		{"SANDBOX_PUBLIC", "TRUE", false, ""},
		{"CASHIER_PAYNPLAY", "on", false, ""},
		{"CASHIER_SPELPAUS_URL", "spelpaus.example", true, "CASHIER_PAYNPLAY=SE=hybrid"},
		{"CASHIER_SPELPAUS_TIMEOUT", "3", true, "CASHIER_SPELPAUS_URL=https://spelpaus.example"},
		{"CASHIER_SPELPAUS_TIMEOUT", "3", false, ""},
		{"CASHIER_CRUKS_TIMEOUT", "3s", true, ""},
		{"CASHIER_REALITY_CHECK", "60", false, ""},
		{"CASHIER_REALITY_CHECK", "never", false, ""},
		{"CASHIER_REALITY_CHECK", "SE=60", false, ""},
		{"CASHIER_LIMIT_POLICY", `{"SE": {"raise_delay": "72"}}`, false, ""},
		{"CASHIER_LIMIT_POLICY", `{"SE": {"defaults": {"month": "-5"}}}`, false, ""},
		{"CASHIER_LIMIT_POLICY", `{"SE": {"defaults": {"month": "5.001"}}}`, false, ""},
		{"CASHIER_EXCLUSIONS_NONE", "none", false, ""},
		{"CASHIER_EXCLUSIONS_NONE", "XX", false, ""},
	} {
		vars := map[string]string{"CASHIER_DATA": t.TempDir()}
		if tt.real {
			vars = reviewTrustlyEnv(t, nil)
		}
		if k, v, ok := strings.Cut(tt.also, "="); ok {
			vars[k] = v
		}
		vars[tt.name] = tt.value
		_, err := loadConfig(env(vars), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%s: %v; want the start stopped with an error naming %s", tt.name, tt.value, err, tt.name)
		}
	}
	// A market named twice in CASHIER_EXCLUSIONS_NONE is said to be, not to have
	// a register.
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"CASHIER_EXCLUSIONS_NONE": "FI,fi"})), quiet); err == nil ||
		!strings.Contains(err.Error(), "CASHIER_EXCLUSIONS_NONE") || !strings.Contains(err.Error(), "twice") {
		t.Errorf("CASHIER_EXCLUSIONS_NONE=FI,fi: %v; want an error saying FI is named twice", err)
	}
	// The words of the README in any case.
	for _, tt := range []struct{ name, value string }{
		{"CASHIER_REALITY_CHECK", "OFF"}, {"CASHIER_REALITY_CHECK", "Off"}, {"CASHIER_REALITY_CHECK", "SE=OFF,NL=30m"},
		{"CASHIER_ADMIN_2FA", "REQUIRED"}, {"CASHIER_ADMIN_2FA", "Optional"},
	} {
		c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), tt.name: tt.value}), quiet)
		switch {
		case err != nil:
			t.Errorf("%s=%s: %v", tt.name, tt.value, err)
		case tt.name == "CASHIER_ADMIN_2FA" && c.Staff.RequireTOTP != strings.EqualFold(tt.value, "required"):
			t.Errorf("%s=%s: RequireTOTP %v", tt.name, tt.value, c.Staff.RequireTOTP)
		case tt.name == "CASHIER_REALITY_CHECK" && c.RealityCheck["SE"] != 0:
			t.Errorf("%s=%s: SE's reality check every %v; want off", tt.name, tt.value, c.RealityCheck["SE"])
		}
	}
}

// TestRunLogsNoSecret: no secret of the configuration reaches a log line, the
// banner or the error the start stops with: not the session, TOTP and
// notification keys, the owner's and the sandbox's passwords, nor the password of
// a PostgreSQL DATABASE_URL whose server does not answer (a closed port), in URL
// or key=value form. A start that serves is checked at debug level, through a
// request to every probe.
func TestRunLogsNoSecret(t *testing.T) {
	const (
		token   = "notify-Secret-0123456789abcdef"
		session = "session-Secret-0123456789abcdef0123456789"
		totp    = "totp-Secret-0123456789abcdef0123456789abcd"
		owner   = "owner-Secret-password"
		sandbox = "sandbox-Secret-password"
		pg      = "pg-Secret-password"
	)
	secrets := []string{token, session, totp, owner, sandbox, pg}
	check := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %s:\n%s", what, s, text)
			}
		}
	}
	vars := func() map[string]string {
		return map[string]string{"CASHIER_DATA": t.TempDir(), "TRUSTLY_NOTIFY_TOKEN": token, "CASHIER_SESSION_KEY": session,
			"CASHIER_TOTP_KEY": totp, "CASHIER_ADMIN_PASSWORD": owner, "SANDBOX_ADMIN_PASSWORD": sandbox,
			"CASHIER_ADDR": freeaddr.Addr(t), "SANDBOX_ADDR": freeaddr.Addr(t), "CASHIER_LOG_LEVEL": "debug"}
	}
	closed := freeaddr.Addr(t)
	host, port, _ := strings.Cut(closed, ":")
	for _, dsn := range []string{
		"postgres://postgres:" + pg + "@" + closed + "/test?sslmode=disable&connect_timeout=2",
		"host=" + host + " port=" + port + " user=postgres password=" + pg + " dbname=test sslmode=disable connect_timeout=2",
	} {
		v := vars()
		v["DATABASE_URL"] = dsn
		var logs, out syncBuffer
		log, err := newLogger(env(v), &logs)
		if err != nil {
			t.Fatal(err)
		}
		err = run(context.Background(), env(v), &out, log)
		if err == nil {
			t.Fatalf("DATABASE_URL at a closed port: the cashier started")
		}
		if !strings.Contains(err.Error(), "connect") {
			t.Errorf("DATABASE_URL at a closed port: %v; want the start stopped at the connection", err)
		}
		check("the error of a start on a PostgreSQL server that does not answer", err.Error())
		check("the log of a start on a PostgreSQL server that does not answer", logs.String())
		check("the banner", out.String())
	}

	v := vars()
	var logs, out syncBuffer
	log, err := newLogger(env(v), &logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, env(v), &out, log) }()
	base := "http://" + v["CASHIER_ADDR"]
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cashier is not ready at %s", base)
		}
	}
	for _, path := range []string{"/healthz", "/login", "/trustly/notify/not-the-token"} {
		if resp, err := http.Get(base + path); err == nil {
			resp.Body.Close()
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("no debug lines logged:\n%s", logs.String())
	}
	check("the log of a start that serves", logs.String())
	check("the banner", out.String())
}
