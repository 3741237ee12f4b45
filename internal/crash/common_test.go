package crash

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// This file holds what TestCrash and TestTwoInstances share: the binaries, the
// sandbox process, the players' browsers and the books' checks.

// buildBinaries builds cmd/cashier and cmd/sandbox into dir/bin and returns that
// directory.
func buildBinaries(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/cashier", "./cmd/sandbox")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if old := os.Getenv(upgradeFrom); old != "" {
		// The older release runs first; upgrade puts this tree's build in its place.
		cmd := "mv \"$1/cashier\" \"$1/cashier.upgrade\" && cp \"$0\" \"$1/cashier\""
		if out, err := exec.Command("sh", "-c", cmd, old, bin).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", upgradeFrom, err, out)
		}
	}
	return bin
}

// upgradeFrom names the variable holding an older release's cashier binary: with
// it, TestCrash and TestTwoInstances start that release on a new database and
// replace it with this tree's build half-way (upgrade), as an operator upgrading
// does, and the books must still agree with Trustly's.
const upgradeFrom = "CRASH_UPGRADE_FROM"

// upgrading reports whether CRASH_UPGRADE_FROM is set.
func upgrading() bool { return os.Getenv(upgradeFrom) != "" }

// upgrade puts this tree's cashier in place of the older release's in bin, by a
// rename, so that an instance still running keeps the file it runs.
func upgrade(t *testing.T, bin string) {
	t.Helper()
	if err := os.Rename(filepath.Join(bin, "cashier.upgrade"), filepath.Join(bin, "cashier")); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	t.Logf("upgraded the cashier from %s to this tree's build", os.Getenv(upgradeFrom))
}

// startSandbox writes a merchant key pair into dir, runs the sandbox binary as its
// own process (its data in dir/sandbox, its log in dir/sandbox.log) until the test
// ends, and returns its URL and the merchant's private key file.
func startSandbox(t *testing.T, dir, bin string) (sbURL, merchantKey string) {
	t.Helper()
	key, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "merchant.pem"), filepath.Join(dir, "merchant-public.pem")
	os.WriteFile(priv, trustly.PrivateKeyPEM(key), 0o600)
	os.WriteFile(pub, trustly.PublicKeyPEM(&key.PublicKey), 0o600)

	sbAddr := freeaddr.Addr(t)
	sbURL = "http://" + sbAddr
	sb := exec.Command(filepath.Join(bin, "sandbox"), "--addr", sbAddr, "--data", filepath.Join(dir, "sandbox"),
		"--merchant-key", pub, "--notify-delay", "50ms", "--step-delay", "20ms", "--retry", "100ms,200ms,300msx3000")
	sb.Stdout, sb.Stderr = logFile(t, dir, "sandbox.log"), logFile(t, dir, "sandbox.log")
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Process.Signal(syscall.SIGTERM); sb.Wait() })
	waitHTTP(t, sbURL+"/sandbox/public-key.pem")
	return sbURL, priv
}

// cashierEnv is the environment both harnesses give the cashier, apart from where
// it listens, its public URL and its database: the sandbox as Trustly with
// checkouts completing by themselves, fixed secrets, a fast janitor and rate limits
// no test reaches.
func cashierEnv(dir, sbURL, merchantKey string) []string {
	return append(os.Environ(),
		"TRUSTLY_API_URL="+sbURL+"/api/1", "TRUSTLY_USERNAME=merchant", "TRUSTLY_PASSWORD=sandbox",
		"TRUSTLY_PRIVATE_KEY="+merchantKey, "TRUSTLY_PUBLIC_KEY="+filepath.Join(dir, "sandbox", "sandbox-public.pem"),
		"TRUSTLY_SANDBOX_ATTRIBUTES=SandboxAutoComplete=1", "TRUSTLY_NOTIFY_TOKEN=crash-notify-token-0123456789",
		"CASHIER_SESSION_KEY=crash-session-key-0123456789abcdef0123456789", "CASHIER_TOTP_KEY=crash-totp-key-0123456789abcdef0123456789",
		"CASHIER_ADMIN_EMAIL="+adminEmail, "CASHIER_ADMIN_PASSWORD="+adminPassword,
		"CASHIER_EXCLUSIONS_NONE=SE", "CASHIER_JANITOR_EVERY=1s", "CASHIER_CHECKOUT_EXPIRY=2s", "CASHIER_PAYOUT_RESUME_AFTER=1s",
		"CASHIER_LOGIN_LIMIT=10000", "CASHIER_ORDER_LIMIT=10000", "CASHIER_ORDER_LIMIT_PER_IP=100000")
}

type player struct {
	*client
	email string
}

func (p *player) deposit(rng *rand.Rand) {
	p.try("/cashier", "/deposit", url.Values{"amount": {strconv.Itoa(50 + rng.IntN(200))}})
}

var addTokenRE = regexp.MustCompile(`name="token" value="((?:sel|reg)-[0-9a-f]+)"`)

// addAccount adds a bank account with Trustly ("Add account with Trustly", which
// SandboxAutoComplete completes) or by typing its details, now and then sending
// the same form (its token) twice: one selection or registration either way.
func (p *player) addAccount(rng *rand.Rand) {
	page, action, values := "/bank-accounts", "/bank-accounts/select", url.Values{}
	if rng.IntN(2) == 0 {
		page, action = "/bank-accounts/new", "/bank-accounts/new"
		values = url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {strconv.Itoa(10000000 + rng.IntN(89999999))}}
	}
	body, err := p.get(page)
	m := addTokenRE.FindStringSubmatch(body)
	if err != nil || m == nil {
		return
	}
	values.Set("token", m[1])
	for range 1 + rng.IntN(2) {
		p.try(page, action, values)
	}
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
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Location"))
	}
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
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return res.StatusCode, fmt.Errorf("answer: %s", problemRE.FindAllString(string(b), 3))
	}
	return res.StatusCode, nil
}

// problemRE finds the sentences a page shows for a refused form.
var problemRE = regexp.MustCompile(`(?s)<[^>]*(?:role="alert"|class="[^"]*(?:error|problem)[^"]*")[^>]*>[^<]*`)

// form is try where failing is a test failure: the setup, before any kill.
func (c *client) form(page, action string, values url.Values) {
	c.t.Helper()
	status, err := c.try(page, action, values)
	if err != nil || status != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d, %v; want 303", action, status, err)
	}
}

// register signs a new player up and in on base; failing is a test failure.
func register(t *testing.T, base, email string) *player {
	t.Helper()
	p := &player{client: newClient(t, base), email: email}
	p.form("/register", "/register", registration(p.email))
	p.form("/login", "/login", url.Values{"email": {p.email}, "password": {"crash-password-1"}})
	p.form("/limits", "/limits", url.Values{"month": {"100000"}}) // Sweden asks for a deposit limit first
	return p
}

var people atomic.Int64

// registration is the sign-up form of a Swedish player with a personnummer of
// their own (the register is not configured: CASHIER_EXCLUSIONS_NONE=SE).
func registration(email string) url.Values {
	n := people.Add(1) % 1000
	check := paynplay.SECheckDigit(fmt.Sprintf("850202%03d", n))
	return url.Values{"email": {email}, "password": {"crash-password-1"}, "first_name": {"Anna"}, "last_name": {"Svensson"},
		"country": {"SE"}, "person_id": {fmt.Sprintf("19850202-%03d%c", n, check)}}
}

// checkBooks compares the cashier's books (db) with the sandbox's (sb): every
// check the issue names, or the first that fails. It also requires the sandbox to
// have nothing left to deliver.
func checkBooks(db, sb *gorm.DB) error {
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
	err := sb.Table("ledger_entries").Select("message_id, count(*) AS n").Where("amount_minor < 0 AND message_id LIKE 'pay-%'").
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
		case models.OrderCredited, models.OrderDebited, models.OrderFailed, models.OrderAbandoned, models.OrderConfirmed, models.OrderCancelled,
			models.OrderAccountAdded, models.OrderSignedIn, models.OrderRefusedHeld, models.OrderRefusedReturned:
		case models.OrderSending, models.OrderChecking:
			if o.OutcomeUnknownAt == nil && o.CheckingAt == nil {
				return fmt.Errorf("%s %d is %s with no reason recorded", o.Kind, o.ID, o.Status)
			}
			reserved[o.PlayerID] += o.Amount.Minor
		case models.OrderAwaitingApproval:
			// A player's payouts of 24 hours count together for approval
			// (cashier.PayoutWindow): a long run's small payouts cross it, and the
			// payout waits, reserved, for staff.
			if !o.NeedsApproval || o.ApprovedAt != nil {
				return fmt.Errorf("%s %d is %s without needing approval", o.Kind, o.ID, o.Status)
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
	return nil
}

func openRead(path string) (*gorm.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	dsn, err := store.SQLiteDSN(path)
	if err != nil {
		return nil, err
	}
	return gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
}

func closeDB(db *gorm.DB) {
	if s, err := db.DB(); err == nil {
		s.Close()
	}
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
