package crash

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/driver/sqlite"
)

// hungTrustly is the sandbox's API behind a proxy that, once hang is set, takes
// every AccountPayout and GetWithdrawals call and never answers it (a Trustly
// peer that accepted the connection and went silent), until the caller gives up.
type hungTrustly struct {
	hang  atomic.Bool
	calls chan string // the methods held
	proxy *httputil.ReverseProxy
}

func (h *hungTrustly) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if h.hang.Load() {
		for _, m := range []string{"AccountPayout", "GetWithdrawals"} {
			if bytes.Contains(body, []byte(`"method":"`+m+`"`)) {
				select {
				case h.calls <- m:
				default:
				}
				<-r.Context().Done()
				return
			}
		}
	}
	h.proxy.ServeHTTP(w, r)
}

// TestSIGTERMWithHungTrustly runs the real binary against a Trustly that stops
// answering: a player's payout request is waiting on AccountPayout, the janitor on
// its own resend of that payout, and a notification is inside its transaction
// (the test holds SQLite's write lock) when SIGTERM comes. The notification must
// be applied and answered, the process must end with exit code 0 within the
// README's grace period (10 s for requests) and not wait out the Trustly client's
// 30 s timeout, and the payout left without an answer must be settled once the
// cashier is back and Trustly answers: the books agree with the sandbox's.
func TestSIGTERMWithHungTrustly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	bin := buildBinaries(t, dir)
	sbURL, merchantKey := startSandbox(t, dir, bin)
	target, _ := url.Parse(sbURL)
	hung := &hungTrustly{calls: make(chan string, 16), proxy: httputil.NewSingleHostReverseProxy(target)}
	trustlySrv := httptest.NewServer(hung)
	defer trustlySrv.Close()

	addr := freeaddr.Addr(t)
	data := filepath.Join(dir, "cashier")
	dbPath := filepath.Join(data, "cashier.db")
	env := append(cashierEnv(dir, trustlySrv.URL, merchantKey), "CASHIER_ADDR="+addr, "CASHIER_BASE_URL=http://"+addr,
		"CASHIER_DATA="+data, "CASHIER_LOG_LEVEL=debug")
	logPath := filepath.Join(dir, "cashier.log")
	start := func() (*exec.Cmd, chan struct{}) {
		cmd := exec.Command(filepath.Join(bin, "cashier"))
		cmd.Env = env
		log := logFile(t, dir, "cashier.log")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-exited })
		waitHTTP(t, "http://"+addr+"/healthz")
		return cmd, exited
	}
	logged := func(msg string) bool {
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte(msg))
	}
	cmd, exited := start()

	p := register(t, "http://"+addr, "sigterm@example.com")
	p.form("/cashier", "/deposit", url.Values{"amount": {"200"}})
	body, err := p.get("/bank-accounts/new")
	m := addTokenRE.FindStringSubmatch(body)
	if err != nil || m == nil {
		t.Fatalf("bank details form: %v", err)
	}
	p.form("/bank-accounts/new", "/bank-accounts/new", url.Values{"token": {m[1]}, "country": {"SE"}, "bank": {"6112"}, "account": {"12345678"}})
	db, err := openRead(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(db)
	var player models.Player
	if err := db.Where("email = ?", p.email).First(&player).Error; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		w, _ := ledger.New(db).Balance(t.Context(), models.PlayerWallet(player.ID), player.Currency)
		if w.Minor == 20000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deposit not credited within 30 s: wallet %d", w.Minor)
		}
	}
	page, err := p.get("/payout")
	acct := accountRE.FindStringSubmatch(page)
	if err != nil || acct == nil {
		t.Fatalf("payout page offers no account: %v", err)
	}

	// Trustly goes silent; the player asks for a payout, and the janitor resends it
	// (CASHIER_PAYOUT_RESUME_AFTER=1s) into the same silence.
	hung.hang.Store(true)
	payoutDone := make(chan error, 1)
	go func() {
		_, err := p.try("/payout", "/payout", url.Values{"amount": {"50"}, "account": {acct[1]}})
		payoutDone <- err
	}()
	for _, who := range []string{"the player's payout", "the janitor's resend"} {
		select {
		case <-hung.calls:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s never reached Trustly", who)
		}
	}

	// A notification waits inside its transaction: the test holds the write lock.
	key, err := trustly.LoadPrivateKey(filepath.Join(dir, "sandbox", "sandbox-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	u := uuid.NewString()
	raw, err := trustly.EncodeNotification(key, trustly.MethodCancel, u, map[string]any{"notificationid": "7200000001",
		"orderid": "7200000002", "messageid": "dep-unknown", "enduserid": "player-1", "attributes": map[string]any{},
		"timestamp": trustly.FormatTimestamp(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	dsn, _ := store.SQLiteDSN(dbPath)
	lockDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer lockDB.Close()
	conn, err := lockDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/trustly/notify/crash-notify-token-0123456789", "application/json", bytes.NewReader(raw))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{resp.StatusCode, b, err}
	}()
	for deadline := time.Now().Add(20 * time.Second); !logged(`msg="notification received" notification_id=7200000001`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the notification was not received within 20 s")
		}
	}

	termAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	a := <-answered
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("notification in flight at SIGTERM: HTTP %d, %v\n%s\n%s", a.status, a.err, a.body, tail(logPath))
	}
	merchant, err := trustly.LoadPrivateKey(merchantKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := trustly.ParseAnswer(a.body, &merchant.PublicKey, trustly.MethodCancel, u); err != nil || got.Status != trustly.StatusOK {
		t.Fatalf("answer %+v, %v; want OK signed by the cashier", got, err)
	}

	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("the cashier still runs %s after SIGTERM with Trustly silent\n%s", time.Since(termAt).Round(time.Second), tail(logPath))
	}
	took := time.Since(termAt)
	if !cmd.ProcessState.Success() {
		t.Errorf("exit after SIGTERM: %v; want 0 (a stop the operator asked for)\n%s", cmd.ProcessState, tail(logPath))
	}
	if took > 15*time.Second {
		t.Errorf("the cashier took %s to stop after SIGTERM; the README gives requests 10 s and the calls abandoned then 5 s more", took.Round(100*time.Millisecond))
	}
	if err := <-payoutDone; err != nil {
		t.Errorf("the payout request waiting on Trustly at SIGTERM: %v; want it answered once its call was abandoned", err)
	}
	t.Logf("stopped %s after SIGTERM", took.Round(100*time.Millisecond))
	var n int
	if err := lockDB.QueryRow("SELECT COUNT(*) FROM notifications WHERE notification_id = ?", "7200000001").Scan(&n); err != nil || n != 1 {
		t.Errorf("the notification answered during shutdown is stored %d times (%v); want once", n, err)
	}

	// Trustly answers again; the cashier comes back and settles the payout.
	hung.hang.Store(false)
	_, exited = start()
	sb, err := openRead(filepath.Join(dir, "sandbox", "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(sb)
	var last error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if last = checkBooks(db, sb); last == nil {
			var sent int64
			db.Model(&models.Order{}).Where("kind = ? AND status IN ?", models.OrderPayout,
				[]models.OrderStatus{models.OrderSending, models.OrderChecking}).Count(&sent)
			if sent == 0 {
				break
			}
			last = errors.New("the payout is still without an outcome")
		}
	}
	if last != nil {
		t.Fatalf("after restart: %v\n%s", last, tail(logPath))
	}
}

// tail is the last 60 lines of the file at path.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[max(0, len(lines)-60):], "\n")
}

// TestSecondSignalStopsAtOnce runs the real binary and stops it twice, as an
// operator pressing Ctrl-C again does: a notification waits inside its
// transaction (the test holds SQLite's write lock), so the graceful shutdown
// that SIGTERM starts waits for it; a SIGINT then ends the process at once, with
// a non-zero exit code (130, as a shell reports a process Ctrl-C ended) and an
// error line saying so. Before, the second signal was swallowed and the process
// went on waiting.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	bin := buildBinaries(t, dir)
	sbURL, merchantKey := startSandbox(t, dir, bin)
	addr, data := freeaddr.Addr(t), filepath.Join(dir, "cashier")
	logPath := filepath.Join(dir, "cashier.log")
	cmd := exec.Command(filepath.Join(bin, "cashier"))
	cmd.Env = append(cashierEnv(dir, sbURL, merchantKey), "CASHIER_ADDR="+addr, "CASHIER_BASE_URL=http://"+addr,
		"CASHIER_DATA="+data, "CASHIER_LOG_LEVEL=debug")
	log := logFile(t, dir, "cashier.log")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-exited })
	waitHTTP(t, "http://"+addr+"/healthz")
	waitLog := func(msg string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte(msg)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log within 20 s\n%s", msg, tail(logPath))
			}
		}
	}

	dsn, _ := store.SQLiteDSN(filepath.Join(data, "cashier.db"))
	lockDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer lockDB.Close()
	conn, err := lockDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	key, err := trustly.LoadPrivateKey(filepath.Join(dir, "sandbox", "sandbox-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := trustly.EncodeNotification(key, trustly.MethodCancel, uuid.NewString(), map[string]any{"notificationid": "7300000001",
		"orderid": "7300000002", "messageid": "dep-unknown", "enduserid": "player-1", "attributes": map[string]any{},
		"timestamp": trustly.FormatTimestamp(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if resp, err := http.Post("http://"+addr+"/trustly/notify/crash-notify-token-0123456789", "application/json", bytes.NewReader(raw)); err == nil {
			resp.Body.Close()
		}
	}()
	waitLog(`msg="notification received" notification_id=7300000001`)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog(`msg="shutting down"`)
	select {
	case <-exited:
		t.Fatalf("the cashier stopped with a notification in flight: the test needs a shutdown that waits\n%s", tail(logPath))
	case <-time.After(500 * time.Millisecond):
	}
	secondAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Fatalf("the cashier still runs 3 s after a second signal during its shutdown\n%s", tail(logPath))
	}
	t.Logf("stopped %s after the second signal", time.Since(secondAt).Round(time.Millisecond))
	if got := cmd.ProcessState.ExitCode(); got != 130 {
		t.Errorf("exit code after a second signal: %d (%v); want 130\n%s", got, cmd.ProcessState, tail(logPath))
	}
	waitLog(`level=ERROR msg="second signal during shutdown: stopping at once`)
}
