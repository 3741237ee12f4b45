package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/handlers"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/driver/sqlite"
)

func TestLogLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want slog.Level
		ok   bool
	}{{"", slog.LevelInfo, true}, {"debug", slog.LevelDebug, true}, {"WARN", slog.LevelWarn, true},
		{"error", slog.LevelError, true}, {"loud", slog.LevelInfo, false},
		// slog reads a level with an offset ("INFO-4" is debug); the setting names one
		// of the four levels only.
		{"debug+2", slog.LevelInfo, false}, {"INFO-4", slog.LevelInfo, false}, {"warn+0", slog.LevelInfo, false},
		{"-4", slog.LevelInfo, false}} {
		got, err := logLevel(env(map[string]string{"CASHIER_LOG_LEVEL": tt.in}))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("logLevel(%q) = %v, %v; want %v, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestLogFormat: LOG_FORMAT is json, text or empty (text), in any case as
// CASHIER_LOG_LEVEL is; anything else, such as a typo ("jsno"), stops the start
// with an error naming the variable, instead of silently giving text lines to a
// collector that parses JSON.
func TestLogFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		json bool
		ok   bool
	}{{"", false, true}, {"text", false, true}, {"json", true, true}, {" json ", true, true},
		{"JSON", true, true}, {" Json", true, true}, {"Text", false, true}, {"TEXT", false, true},
		{"jsno", false, false}, {"logfmt", false, false}, {"JSONL", false, false}} {
		var out bytes.Buffer
		log, err := newLogger(env(map[string]string{"LOG_FORMAT": tt.in}), &out)
		if (err == nil) != tt.ok {
			t.Errorf("LOG_FORMAT %q: err %v; want ok %t", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "LOG_FORMAT") || !strings.Contains(err.Error(), "json") || !strings.Contains(err.Error(), "text") {
				t.Errorf("LOG_FORMAT %q: error %q does not name the variable and what it takes", tt.in, err)
			}
			continue
		}
		log.Info("hello")
		if got := strings.HasPrefix(out.String(), "{"); got != tt.json {
			t.Errorf("LOG_FORMAT %q: wrote %q; want JSON %t", tt.in, out.String(), tt.json)
		}
	}
	// The level is read with it, and its error still names its own variable.
	if _, err := newLogger(env(map[string]string{"CASHIER_LOG_LEVEL": "loud", "LOG_FORMAT": "json"}), io.Discard); err == nil ||
		!strings.Contains(err.Error(), "CASHIER_LOG_LEVEL") {
		t.Errorf("a bad CASHIER_LOG_LEVEL: err %v", err)
	}
	var out bytes.Buffer
	log, err := newLogger(env(map[string]string{"CASHIER_LOG_LEVEL": "warn"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	if out.Len() != 0 {
		t.Errorf("at warn an info line was written: %q", out.String())
	}
}

// TestLogSettingsRefused: a LOG_FORMAT (or CASHIER_LOG_LEVEL) the cashier cannot
// read stops it as every other bad setting does (a bad CASHIER_ADDR here): one
// error line "cashier stopped" whose err names the setting after
// "configuration: ", in the format the log would have had (text, LOG_FORMAT's
// default, when LOG_FORMAT itself is refused; JSON when it says json), and exit
// code 1. `cashier backup` and `cashier staff` say it as they say a bad setting
// of their own, "configuration: " and the setting's error, plain or as a JSON
// line, and exit 2. The cashier wrote a bare line of text without
// "configuration: ", "LOG_FORMAT \"jsno\": want json or text", and exited 2.
func TestLogSettingsRefused(t *testing.T) {
	// What the start says of another bad setting.
	var other bytes.Buffer
	log, code := startLog(nil, env(map[string]string{}), &other)
	if log == nil || code != 0 || other.Len() != 0 {
		t.Fatalf("no log settings: logger %v, code %d, wrote %q; want a logger, 0, nothing", log, code, other.String())
	}
	runErr := run(context.Background(), env(map[string]string{"CASHIER_ADDR": "nowhere", "CASHIER_DATA": t.TempDir()}), io.Discard, log)
	if runErr == nil || !strings.HasPrefix(runErr.Error(), "configuration: CASHIER_ADDR") {
		t.Fatalf("a bad CASHIER_ADDR: %v; want a configuration error", runErr)
	}
	for _, tt := range []struct {
		args    []string
		vars    map[string]string
		json    bool
		code    int
		setting string
		plain   bool // a command's words, not a log line
	}{
		{nil, map[string]string{"LOG_FORMAT": "jsno"}, false, 1, `LOG_FORMAT "jsno": want json or text (or unset, for text)`, false},
		{nil, map[string]string{"LOG_FORMAT": "JSONL"}, false, 1, `LOG_FORMAT "JSONL": want json or text (or unset, for text)`, false},
		{nil, map[string]string{"CASHIER_LOG_LEVEL": "loud"}, false, 1, `CASHIER_LOG_LEVEL "loud": want debug, info, warn or error`, false},
		{nil, map[string]string{"CASHIER_LOG_LEVEL": "loud", "LOG_FORMAT": " JSON"}, true, 1, `CASHIER_LOG_LEVEL "loud": want debug, info, warn or error`, false},
		{[]string{"backup", "--to", "x.db"}, map[string]string{"LOG_FORMAT": "jsno"}, false, 2, `LOG_FORMAT "jsno": want json or text (or unset, for text)`, true},
		{[]string{"staff", "add"}, map[string]string{"CASHIER_LOG_LEVEL": "loud"}, false, 2, `CASHIER_LOG_LEVEL "loud": want debug, info, warn or error`, true},
		{[]string{"staff", "add"}, map[string]string{"CASHIER_LOG_LEVEL": "loud", "LOG_FORMAT": "json"}, true, 2, `CASHIER_LOG_LEVEL "loud": want debug, info, warn or error`, false},
	} {
		var out bytes.Buffer
		log, code := startLog(tt.args, env(tt.vars), &out)
		if log != nil || code != tt.code {
			t.Errorf("%v %v: logger %v, code %d; want none, %d", tt.args, tt.vars, log, code, tt.code)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != 1 {
			t.Errorf("%v %v: wrote %q; want one line", tt.args, tt.vars, out.String())
			continue
		}
		if tt.json {
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Errorf("%v %v: wrote %q; want a JSON line: %v", tt.args, tt.vars, lines[0], err)
				continue
			}
			if level, msg, errText := fmt.Sprint(rec["level"]), fmt.Sprint(rec["msg"]), fmt.Sprint(rec["err"]); level != "ERROR" ||
				msg != "cashier stopped" || errText != "configuration: "+tt.setting {
				t.Errorf("%v %v: level %q, msg %q, err %q; want ERROR, cashier stopped, configuration: %s", tt.args, tt.vars, level, msg, errText, tt.setting)
			}
			continue
		}
		if tt.plain {
			if lines[0] != "configuration: "+tt.setting {
				t.Errorf("%v %v: wrote %q; want %q", tt.args, tt.vars, lines[0], "configuration: "+tt.setting)
			}
			continue
		}
		// The line as slog's text handler writes it, its time aside.
		var rec bytes.Buffer
		slog.New(slog.NewTextHandler(&rec, nil)).Error("cashier stopped", "err", "configuration: "+tt.setting)
		_, want, _ := strings.Cut(strings.TrimSuffix(rec.String(), "\n"), " ")
		if _, got, _ := strings.Cut(lines[0], " "); !strings.HasPrefix(lines[0], "time=") || got != want {
			t.Errorf("%v %v: wrote %q; want a text line ending %q", tt.args, tt.vars, lines[0], want)
		}
	}
}

// TestMetricsBeyondLoopbackWarns: /metrics is for the operator's own network, so
// on an address other machines can reach (every interface, as in a container) it
// is served with one WARN line saying it must be firewalled; on loopback, with
// none.
func TestMetricsBeyondLoopbackWarns(t *testing.T) {
	for _, tt := range []struct {
		addr string
		warn int
	}{{"127.0.0.1:0", 0}, {"localhost:0", 0}, {":0", 1}, {"0.0.0.0:0", 1}} {
		logs := &syncBuffer{}
		stop, err := serveMetrics(tt.addr, metrics.New(), handlers.Server{}, slog.New(slog.NewTextHandler(logs, nil)))
		if err != nil {
			t.Fatalf("%s: %v", tt.addr, err)
		}
		stop()
		text := logs.String()
		if got := strings.Count(text, "level=WARN"); got != tt.warn || (tt.warn > 0 && !strings.Contains(text, "firewall")) {
			t.Errorf("/metrics on %s: %d warnings; want %d, saying to firewall it\n%s", tt.addr, got, tt.warn, text)
		}
	}
}

// TestMetricsServerTimeouts: the /metrics server closes a connection whose
// request body trickles in, or that stays idle after an answer, within the read
// and idle timeouts the cashier's own server has (CASHIER_READ_TIMEOUT,
// CASHIER_IDLE_TIMEOUT), instead of holding it for good. The idle timeout is the
// shorter, so that one left unset (net/http then uses the read timeout) shows.
func TestMetricsServerTimeouts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		send   func(c net.Conn) // what the client does on the connection
		within time.Duration    // when the server must have closed it
	}{
		{"slow body", func(c net.Conn) {
			io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
			for range 10 {
				time.Sleep(500 * time.Millisecond)
				if _, err := io.WriteString(c, "a"); err != nil {
					return
				}
			}
		}, 4500 * time.Millisecond},
		{"idle after an answer", func(c net.Conn) {
			io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
		}, 2 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := freeaddr.Addr(t)
			stop, err := serveMetrics(addr, metrics.New(), handlers.Server{ReadTimeout: 3 * time.Second, IdleTimeout: time.Second},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			tt.send(c)
			c.SetReadDeadline(start.Add(10 * time.Second))
			_, err = io.Copy(io.Discard, c) // until the server closes the connection
			if took := time.Since(start); err != nil || took > tt.within {
				t.Errorf("connection held %v (read: %v); want it closed within %v", took.Round(time.Millisecond), err, tt.within)
			}
		})
	}
}

// waitLog waits up to 20 s for msg in the log.
func waitLog(t *testing.T, logs *syncBuffer, msg string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), msg); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the log after 20 s:\n%s", msg, logs.String())
		}
	}
}

// waitListening waits for the cashier that run started to log "cashier
// listening", and fails at once with run's error if run returned first (a
// configuration refused, an address taken). The error goes back into done for the
// test's own wait on it.
func waitListening(t *testing.T, logs *syncBuffer, done chan error) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "cashier listening"); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the cashier stopped before it listened: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cashier listening in the log after 20 s:\n%s", logs.String())
		}
	}
}

// TestShutdownFinishesNotification: a notification in flight when the cashier is
// told to stop is still applied, committed and answered; the cashier stops taking
// connections meanwhile, and closes the database only after. The test holds
// SQLite's write lock so the notification waits inside its transaction until the
// shutdown has begun. CASHIER_METRICS_ADDR serves /metrics until then.
func TestShutdownFinishesNotification(t *testing.T) {
	addr, data, metricsAddr := freeaddr.Addr(t), t.TempDir(), freeaddr.Addr(t)
	vars := map[string]string{"CASHIER_DATA": data, "CASHIER_ADDR": addr, "CASHIER_BASE_URL": "http://" + addr,
		"SANDBOX_ADDR": freeaddr.Addr(t), "CASHIER_METRICS_ADDR": metricsAddr,
		"TRUSTLY_NOTIFY_TOKEN": "shutdown-test-notify-token"}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, env(vars), io.Discard, log) }()
	waitListening(t, logs, done)

	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://" + addr + "/readyz"); code != 200 {
		t.Fatalf("/readyz: HTTP %d %s", code, body)
	}
	code, body := get("http://" + metricsAddr + "/metrics")
	if code != 200 || !strings.Contains(body, `cashier_http_requests_total{method="GET",route="/readyz",status="200"} 1`) {
		t.Errorf("/metrics on CASHIER_METRICS_ADDR: HTTP %d without the /readyz request\n%s", code, body)
	}

	// A cancel for an order the cashier does not know: stored and answered OK.
	key, err := trustly.LoadPrivateKey(filepath.Join(data, "sandbox", "sandbox-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	u := uuid.NewString()
	raw, err := trustly.EncodeNotification(key, trustly.MethodCancel, u, map[string]any{"notificationid": "7100000001",
		"orderid": "7100000002", "messageid": "dep-unknown", "enduserid": "player-1", "attributes": map[string]any{},
		"timestamp": trustly.FormatTimestamp(time.Now())})
	if err != nil {
		t.Fatal(err)
	}

	// Hold the write lock, so the notification waits inside its transaction.
	lockDB, err := sql.Open(sqlite.DriverName, "file:"+filepath.Join(data, "cashier.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer lockDB.Close()
	conn, err := lockDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/trustly/notify/"+vars["TRUSTLY_NOTIFY_TOKEN"], "application/json", bytes.NewReader(raw))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{resp.StatusCode, b, err}
	}()
	waitLog(t, logs, `msg="notification received"`)

	cancel()
	waitLog(t, logs, `msg="shutting down"`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // no longer accepting
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the cashier still accepts connections 10 s into its shutdown")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("run returned (%v) with a notification in flight", err)
	default:
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	a := <-answered
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("notification in flight: HTTP %d, %v\n%s", a.status, a.err, a.body)
	}
	merchant, err := trustly.LoadPrivateKey(filepath.Join(data, "merchant-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := trustly.ParseAnswer(a.body, &merchant.PublicKey, trustly.MethodCancel, u); err != nil || got.Status != trustly.StatusOK {
		t.Fatalf("answer %+v, %v; want OK signed by the cashier\n%s", got, err, a.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after the notification was answered")
	}
	text := logs.String()
	if i, j := strings.Index(text, `msg="requests and background jobs finished"`), strings.Index(text, `msg="database closed"`); i < 0 || j < i {
		t.Errorf("the database was not closed after requests and background jobs finished:\n%s", text)
	}
	var n int
	if err := lockDB.QueryRow("SELECT COUNT(*) FROM notifications WHERE notification_id = ?", "7100000001").Scan(&n); err != nil || n != 1 {
		t.Errorf("the notification answered during shutdown is stored %d times (%v); want once", n, err)
	}
}
