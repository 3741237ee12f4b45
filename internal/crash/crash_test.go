package crash

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

const adminEmail, adminPassword = "owner@example.com", "crash-owner-password"

// TestCrash kills the cashier again and again in the middle of money movements and
// checks, once it has been left to recover, that the books agree with Trustly's.
// CRASH=1 runs 120 cycles, otherwise 10; CRASH_CYCLES sets the number and
// CRASH_SEED replays a run.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: builds and runs the binaries")
	}
	cycles := 10
	if os.Getenv("CRASH") == "1" {
		cycles = 120
	}
	if v, err := strconv.Atoi(os.Getenv("CRASH_CYCLES")); err == nil && v > 0 {
		cycles = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: CRASH_SEED=%d CRASH_CYCLES=%d go test -count=1 -run TestCrash ./internal/crash", seed, cycles)
		}
	})
	h := newHarness(t, seed)
	h.run(cycles)
}

// harness is one sandbox process, alive throughout, and the cashier process that
// the harness kills and restarts, each on its own loopback port.
type harness struct {
	t       *testing.T
	rng     *rand.Rand
	dir     string
	bin     string
	sbURL   string
	addr    string // the cashier's
	env     []string
	cashier *exec.Cmd
	exited  chan struct{}
	players []*player
	admin   *client
	fired   map[string]int // failpoints that killed the cashier
}

func newHarness(t *testing.T, seed uint64) *harness {
	dir, err := os.MkdirTemp("", "crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	h := &harness{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), dir: dir, fired: map[string]int{}}
	h.bin = filepath.Join(h.dir, "bin")
	build := exec.Command("go", "build", "-o", h.bin+"/", "./cmd/cashier", "./cmd/sandbox")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	key, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(h.dir, "merchant.pem"), filepath.Join(h.dir, "merchant-public.pem")
	os.WriteFile(priv, trustly.PrivateKeyPEM(key), 0o600)
	os.WriteFile(pub, trustly.PublicKeyPEM(&key.PublicKey), 0o600)

	sbAddr := freeAddr(t)
	h.sbURL = "http://" + sbAddr
	sb := exec.Command(filepath.Join(h.bin, "sandbox"), "--addr", sbAddr, "--data", filepath.Join(h.dir, "sandbox"),
		"--merchant-key", pub, "--notify-delay", "50ms", "--step-delay", "20ms", "--retry", "100ms,200ms,300msx3000")
	sb.Stdout, sb.Stderr = logFile(t, h.dir, "sandbox.log"), logFile(t, h.dir, "sandbox.log")
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Process.Signal(syscall.SIGTERM); sb.Wait() })
	waitHTTP(t, h.sbURL+"/sandbox/public-key.pem")

	h.addr = freeAddr(t)
	dsn := filepath.Join(h.dir, "cashier.db")
	h.env = append(os.Environ(),
		"CASHIER_ADDR="+h.addr, "CASHIER_BASE_URL=http://"+h.addr, "CASHIER_DATA="+filepath.Join(h.dir, "cashier"),
		"DATABASE_URL="+dsn, "TRUSTLY_API_URL="+h.sbURL+"/api/1", "TRUSTLY_USERNAME=merchant", "TRUSTLY_PASSWORD=sandbox",
		"TRUSTLY_PRIVATE_KEY="+priv, "TRUSTLY_PUBLIC_KEY="+filepath.Join(h.dir, "sandbox", "sandbox-public.pem"),
		"TRUSTLY_SANDBOX_ATTRIBUTES=SandboxAutoComplete=1", "TRUSTLY_NOTIFY_TOKEN=crash-notify-token-0123456789",
		"CASHIER_SESSION_KEY=crash-session-key-0123456789abcdef0123456789",
		"CASHIER_ADMIN_EMAIL="+adminEmail, "CASHIER_ADMIN_PASSWORD="+adminPassword,
		"CASHIER_JANITOR_EVERY=1s", "CASHIER_CHECKOUT_EXPIRY=2s", "CASHIER_PAYOUT_RESUME_AFTER=1s",
		"CASHIER_LOGIN_LIMIT=10000", "CASHIER_ORDER_LIMIT=10000", "CASHIER_ORDER_LIMIT_PER_IP=100000")
	return h
}

// start runs the cashier with the failpoints fp (comma-separated, "" for none) and
// waits until it serves; false when a failpoint killed it first (a redelivery
// arrives as soon as it listens).
func (h *harness) start(fp string) bool {
	h.t.Helper()
	cmd := exec.Command(filepath.Join(h.bin, "cashier"))
	cmd.Env = append(h.env, failpoint.EnvVar+"="+fp)
	log := logFile(h.t, h.dir, "cashier.log")
	fmt.Fprintf(log, "\n=== start, failpoint %q ===\n", fp)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.cashier, h.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(h.exited)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + h.addr + "/login")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-h.exited:
			if fp != "" && h.died() {
				return false
			}
			h.t.Fatalf("cashier exited at start (failpoint %q); see %s", fp, filepath.Join(h.dir, "cashier.log"))
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatal("cashier did not start within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL, as kill -9 does, and waits for the process to end.
func (h *harness) kill() {
	h.cashier.Process.Signal(syscall.SIGKILL)
	<-h.exited
}

// died reports whether the cashier ended by SIGKILL on its own: a failpoint.
func (h *harness) died() bool {
	select {
	case <-h.exited:
		ws, ok := h.cashier.ProcessState.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	default:
		return false
	}
}

func (h *harness) run(cycles int) {
	t := h.t
	h.start("")
	h.admin = newClient(t, "http://"+h.addr)
	h.admin.form("/admin/login", "/admin/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	for i := range 3 {
		p := &player{client: newClient(t, "http://"+h.addr), email: fmt.Sprintf("crash%d@example.com", i)}
		p.form("/register", "/register", url.Values{"email": {p.email}, "password": {"crash-password-1"},
			"first_name": {"Anna"}, "last_name": {"Svensson"}, "country": {"SE"}})
		p.form("/login", "/login", url.Values{"email": {p.email}, "password": {"crash-password-1"}})
		h.players = append(h.players, p)
	}
	h.kill()

	points := failpoint.Names
	for c := range cycles {
		fp := ""
		if c%2 == 0 {
			fp = points[(c/2)%len(points)]
		}
		if !h.start(fp) {
			h.fired[fp]++
			continue
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, p := range h.players {
			wg.Go(func() { h.drive(p, stop, rand.New(rand.NewPCG(h.rng.Uint64(), 1))) })
		}
		wg.Go(func() { h.refunds(stop, rand.New(rand.NewPCG(h.rng.Uint64(), 2))) })
		limit := time.Duration(50+h.rng.IntN(700)) * time.Millisecond // a random moment
		if fp != "" {
			limit = 8 * time.Second // until the failpoint fires
		}
		select {
		case <-h.exited:
		case <-time.After(limit):
		}
		if h.died() {
			h.fired[fp]++
		} else {
			h.kill()
		}
		close(stop)
		wg.Wait()
	}
	t.Logf("%d kill cycles; failpoints fired: %v", cycles, h.fired)

	// Recovery: no failpoints, no new orders; retries, the janitor and Trustly's
	// redeliveries finish what the crashes left.
	h.start("")
	var last error
	deadline := time.Now().Add(90 * time.Second)
	for {
		if last = h.check(false); last == nil {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	h.cashier.Process.Signal(syscall.SIGTERM)
	<-h.exited
	if err := h.check(true); err != nil {
		t.Fatalf("after recovery: %v (before the last stop: %v); logs in %s", err, last, h.dir)
	}
	if db, err := openRead(filepath.Join(h.dir, "cashier.db")); err == nil {
		var rows []struct {
			Kind, Status string
			N            int
		}
		db.Model(&models.Order{}).Select("kind, status, count(*) AS n").Group("kind, status").Scan(&rows)
		closeDB(db)
		t.Logf("orders by kind and status: %v", rows)
	}
	if os.Getenv("CRASH") == "1" {
		for _, fp := range points {
			if h.fired[fp] == 0 {
				t.Errorf("failpoint %s never fired", fp)
			}
		}
	}
}

// drive makes p deposit and withdraw until stop, ignoring failures: the cashier
// may die under any request.
func (h *harness) drive(p *player, stop chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if rng.IntN(3) > 0 || !p.withdraw(rng) {
			p.deposit(rng)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
	}
}

// refunds has the owner refund part of a credited deposit now and then.
func (h *harness) refunds(stop chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(100+rng.IntN(300)) * time.Millisecond):
		}
		db, err := openRead(filepath.Join(h.dir, "cashier.db"))
		if err != nil {
			continue
		}
		var deps []models.Order
		db.Where("kind = ? AND status = ?", models.OrderDeposit, models.OrderCredited).Order("id DESC").Limit(5).Find(&deps)
		closeDB(db)
		if len(deps) == 0 {
			continue
		}
		d := deps[rng.IntN(len(deps))]
		path := fmt.Sprintf("/admin/orders/%d/refund", d.ID)
		h.admin.try("/admin/reauth?next="+url.QueryEscape(path), "/admin/reauth", url.Values{"password": {adminPassword}, "next": {path}})
		h.admin.try(path, path, url.Values{"amount": {strconv.Itoa(10 + rng.IntN(20))}, "reason": {"crash test"}})
	}
}

type player struct {
	*client
	email string
}

func (p *player) deposit(rng *rand.Rand) {
	p.try("/cashier", "/deposit", url.Values{"amount": {strconv.Itoa(50 + rng.IntN(200))}})
}

var accountRE = regexp.MustCompile(`name="account" value="(\d+)"`)

// withdraw asks for a payout to the player's first account; false when the page
// offers none yet.
func (p *player) withdraw(rng *rand.Rand) bool {
	page, err := p.get("/payout")
	m := accountRE.FindStringSubmatch(page)
	if err != nil || m == nil {
		return false
	}
	p.try("/payout", "/payout", url.Values{"amount": {strconv.Itoa(10 + rng.IntN(40))}, "account": {m[1]}})
	return true
}

// client is a browser: cookies, and the CSRF token of the page a form is on.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 40 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (string, error) {
	res, err := c.http.Get(c.base + path)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// try posts values to action with the CSRF token of page, and reports the status.
func (c *client) try(page, action string, values url.Values) (int, error) {
	body, err := c.get(page)
	if err != nil {
		return 0, err
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("no CSRF token on %s", page)
	}
	values.Set("csrf", m[1])
	res, err := c.http.PostForm(c.base+action, values)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// form is try where failing is a test failure: the setup, before any kill.
func (c *client) form(page, action string, values url.Values) {
	c.t.Helper()
	status, err := c.try(page, action, values)
	if err != nil || status != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d, %v; want 303", action, status, err)
	}
}

// check compares the cashier's books with the sandbox's: every check the issue
// names, or the first that fails. final also requires the sandbox to have
// nothing left to deliver.
func (h *harness) check(final bool) error {
	db, err := openRead(filepath.Join(h.dir, "cashier.db"))
	if err != nil {
		return err
	}
	defer closeDB(db)
	sb, err := openRead(filepath.Join(h.dir, "sandbox", "sandbox.db"))
	if err != nil {
		return err
	}
	defer closeDB(sb)
	ctx := context.Background()

	var outbox int64
	if err := sb.Table("outboxes").Where("status = ?", "pending").Count(&outbox).Error; err != nil {
		return fmt.Errorf("sandbox outbox: %w", err)
	}
	if outbox > 0 {
		return fmt.Errorf("the sandbox still has %d notifications to deliver", outbox)
	}
	// The ledger balances per currency, and no balance disagrees with its entries.
	if err := ledger.New(db).Audit(ctx); err != nil {
		return fmt.Errorf("ledger audit: %w", err)
	}
	// No payout executed twice by Trustly (a refund carries its deposit's messageid).
	var twice []struct {
		MessageID string
		N         int
	}
	err = sb.Table("ledger_entries").Select("message_id, count(*) AS n").Where("amount_minor < 0 AND message_id LIKE 'pay-%'").
		Group("message_id").Having("count(*) > 1").Scan(&twice).Error
	if err != nil || len(twice) > 0 {
		return fmt.Errorf("payouts executed twice by the sandbox: %v, %v", twice, err)
	}
	var dup []struct {
		MessageID string
		N         int
	}
	err = sb.Table("orders").Select("message_id, count(*) AS n").Where("kind = ? AND status = ?", "payout", "accepted").
		Group("message_id").Having("count(*) > 1").Scan(&dup).Error
	if err != nil || len(dup) > 0 {
		return fmt.Errorf("payout MessageIDs accepted twice by the sandbox: %v, %v", dup, err)
	}
	// Every order is terminal, or explicitly pending with a reason.
	var orders []models.Order
	if err := db.Find(&orders).Error; err != nil {
		return err
	}
	reserved := map[int64]int64{}
	for _, o := range orders {
		switch o.Status {
		case models.OrderCredited, models.OrderDebited, models.OrderFailed, models.OrderAbandoned, models.OrderConfirmed, models.OrderCancelled:
		case models.OrderSending, models.OrderChecking:
			if o.OutcomeUnknownAt == nil && o.CheckingAt == nil {
				return fmt.Errorf("%s %d is %s with no reason recorded", o.Kind, o.ID, o.Status)
			}
			reserved[o.PlayerID] += o.Amount.Minor
		default:
			return fmt.Errorf("%s %d is %s: neither terminal nor pending with a reason", o.Kind, o.ID, o.Status)
		}
	}
	// Every wallet equals what the sandbox's own books say moved for that player:
	// deposits credited less payouts and refunds executed; what is still reserved
	// is the orders still pending.
	var players []models.Player
	if err := db.Where("role = ?", models.RolePlayer).Find(&players).Error; err != nil {
		return err
	}
	for _, p := range players {
		var model int64
		if err := sb.Table("ledger_entries").Where("end_user_id = ?", p.EndUserID).Select("COALESCE(SUM(amount_minor), 0)").Scan(&model).Error; err != nil {
			return err
		}
		wallet, _ := ledger.New(db).Balance(ctx, models.PlayerWallet(p.ID), p.Currency)
		held, _ := ledger.New(db).Balance(ctx, models.PlayerReserved(p.ID), p.Currency)
		if wallet.Minor+held.Minor != model || held.Minor != reserved[p.ID] {
			return fmt.Errorf("player %d: wallet %d + reserved %d; want %d in all as the sandbox's books say, %d reserved by pending orders",
				p.ID, wallet.Minor, held.Minor, model, reserved[p.ID])
		}
	}
	_ = final
	return nil
}

func openRead(path string) (*gorm.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return gorm.Open(sqlite.Open(store.SQLiteDSN(path)), &gorm.Config{Logger: logger.Discard})
}

func closeDB(db *gorm.DB) {
	if s, err := db.DB(); err == nil {
		s.Close()
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHTTP(t *testing.T, u string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(u)
		if err == nil {
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", u, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var logs sync.Map

func logFile(t *testing.T, dir, name string) *os.File {
	if f, ok := logs.Load(filepath.Join(dir, name)); ok {
		return f.(*os.File)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	logs.Store(filepath.Join(dir, name), f)
	t.Cleanup(func() { f.Close() })
	return f
}

var _ = errors.New
