// Package sandbox is a local Trustly: the JSON-RPC API, a fake checkout with test
// persons and named scenarios, and a persistent notification outbox that delivers
// signed notifications to the merchant and retries until they are answered. It is the
// cashier's embedded default and the stand-in for Trustly in tests. See README.md.
package sandbox

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/internal/owneronly"
	"github.com/trustly-cashier/cashier/trustly"
)

// Config configures a Sandbox. Zero durations take the defaults named on each field.
type Config struct {
	DataDir     string          // required: the SQLite database and, without Key, the key pair live here
	Username    string          // the merchant's API user; default "merchant"
	Password    string          // default "sandbox"; never logged
	MerchantKey *rsa.PublicKey  // required: verifies requests and notification answers
	Key         *rsa.PrivateKey // the sandbox's "Trustly" key; default: DataDir/sandbox-private.pem, created when absent
	BaseURL     string          // public URL of the sandbox, used in checkout URLs, e.g. "http://127.0.0.1:8081"
	// AdminPassword, when set, is asked for (HTTP Basic, any user name) by the
	// sandbox's own pages under /sandbox/, which show every order's notification
	// URL, notifications and checkout links. The API, the checkout and
	// /sandbox/public-key.pem stay open, as Trustly's are. Never logged.
	AdminPassword string

	RetrySchedule   []time.Duration // wait before retry n; after the last, give up. Default API.md §13: 10s, 30s, 2m, 10m, 30m, 1h, 24×1h
	NotifyDelay     time.Duration   // from checkout completion to the first notification; default 2s
	StepDelay       time.Duration   // between notifications of one order; default 500ms
	LateDelay       time.Duration   // deposit-delayed: the credit comes this much later; default 2m
	KYCTimeout      time.Duration   // no kyc answer in this time after its first delivery attempt counts as FINISH; default 30s
	CheckoutExpiry  time.Duration   // a Deposit or SelectAccount still in its checkout this long after creation is cancelled; default 30m
	SlowAPIDelay    time.Duration   // slow-api holds the API response this long; default 35s
	PollInterval    time.Duration   // how often the deliverer looks for due notifications; default 250ms
	DeliveryTimeout time.Duration   // per notification POST; default 10s
	ReadTimeout     time.Duration   // Server: to read one whole request, its body included; default 30s
	// UnreachableAttempts is how many attempts per notification the
	// merchant-unreachable scenario fails on purpose; default 2.
	UnreachableAttempts int

	PayNPlay bool  // RequestKYC allowed; without it Deposit with RequestKYC gets 732
	Chaos    Chaos // applies to every order, on top of per-order chaos

	// PayoutScenario is the outcome of AccountPayouts that carry no SandboxScenario:
	// one of PayoutScenarios, or "" for payout-confirmed. The cashier sends no
	// sandbox attributes with payouts, so this, or the form on /sandbox/ that
	// changes it at run time (SetPayoutScenario), is how a developer or a test picks
	// what the next payouts do.
	PayoutScenario Scenario

	// LedgerGlitch makes AccountLedger answer wrongly, for reconciliation tests: of
	// the entries naming an order, it leaves out the first and lists the last
	// twice (at least two must be in the answer). The books are not changed. The
	// orders page's form and SetLedgerGlitch change it at run time.
	LedgerGlitch bool

	// OpeningBalances is the merchant's starting balance per currency in minor units,
	// booked once when the database is created. Default: 1 000 000.00 SEK, 100 000.00 EUR.
	OpeningBalances map[string]int64

	Logger *slog.Logger
	Now    func() time.Time
	// LimitNow is the clock Balance and GetWithdrawals calls are timed with
	// (PollEvery; default Now): a merchant's test that moves its own clock gives it
	// here, so that the sandbox measures the merchant's intervals.
	LimitNow func() time.Time
	HTTP     *http.Client // for notification deliveries; default has DeliveryTimeout
}

// Chaos makes deliveries misbehave the way Trustly's may (API.md §6.2).
type Chaos struct {
	Duplicate bool          // deliver every notification twice (same notificationid and uuid)
	Shuffle   bool          // spread an order's notifications randomly over NotifyDelay+StepDelay×n
	Delay     time.Duration // extra delay before each order's notifications
}

// Sandbox is one running local Trustly.
type Sandbox struct {
	cfg  Config
	db   *gorm.DB
	key  *rsa.PrivateKey
	log  *slog.Logger
	http *http.Client
	mux  *http.ServeMux

	// writer queues the sandbox's write transactions (writeTx).
	writer sync.Mutex

	payoutMu       sync.Mutex
	payoutScenario Scenario    // Config.PayoutScenario, then SetPayoutScenario
	ledgerGlitch   atomic.Bool // Config.LedgerGlitch, then SetLedgerGlitch

	// delivering is how many delivery attempts are under way, attempts how many
	// have ended: WaitIdle reads both around its queries.
	delivering atomic.Int64
	attempts   atomic.Int64

	wake     chan struct{}
	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// DefaultRetrySchedule is API.md §13's stand-in for Trustly's unknown schedule.
func DefaultRetrySchedule() []time.Duration {
	s := []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
	for range 24 {
		s = append(s, time.Hour)
	}
	return s
}

// New opens (or creates) the sandbox in cfg.DataDir. Call Start to deliver
// notifications and Close when done.
func New(cfg Config) (*Sandbox, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("sandbox: DataDir is required")
	}
	if cfg.MerchantKey == nil {
		return nil, errors.New("sandbox: MerchantKey is required")
	}
	if err := checkPayoutScenario(cfg.PayoutScenario); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	setDefaults(&cfg)
	if err := owneronly.Dir(cfg.DataDir, cfg.Logger); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	key := cfg.Key
	if key == nil {
		var err error
		if key, err = LoadOrCreateKey(filepath.Join(cfg.DataDir, "sandbox-private.pem")); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	db, err := openDB(cfg.DataDir, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{cfg: cfg, db: db, key: key, log: cfg.Logger, http: cfg.HTTP, wake: make(chan struct{}, 1),
		payoutScenario: cfg.PayoutScenario}
	s.ledgerGlitch.Store(cfg.LedgerGlitch)
	if s.http == nil {
		s.http = &http.Client{Timeout: cfg.DeliveryTimeout}
	}
	if err := s.openingBalances(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.routes()
	return s, nil
}

func setDefaults(cfg *Config) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.NotifyDelay, 2*time.Second)
	def(&cfg.StepDelay, 500*time.Millisecond)
	def(&cfg.LateDelay, 2*time.Minute)
	def(&cfg.KYCTimeout, 30*time.Second)
	def(&cfg.CheckoutExpiry, 30*time.Minute)
	def(&cfg.SlowAPIDelay, 35*time.Second)
	def(&cfg.PollInterval, 250*time.Millisecond)
	def(&cfg.DeliveryTimeout, 10*time.Second)
	def(&cfg.ReadTimeout, 30*time.Second)
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = DefaultRetrySchedule()
	}
	if cfg.UnreachableAttempts == 0 {
		cfg.UnreachableAttempts = 2
	}
	if cfg.Username == "" {
		cfg.Username = "merchant"
	}
	if cfg.Password == "" {
		cfg.Password = "sandbox"
	}
	if cfg.OpeningBalances == nil {
		cfg.OpeningBalances = map[string]int64{"SEK": 100_000_000, "EUR": 10_000_000}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LimitNow == nil {
		cfg.LimitNow = cfg.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
}

func (s *Sandbox) openingBalances() error {
	return s.writeTx(context.Background(), func(tx *gorm.DB) error {
		for cur, minor := range s.cfg.OpeningBalances {
			err := book(tx, LedgerEntry{Reference: "opening:" + cur, AccountName: "SANDBOX_OPENING_BALANCE",
				TransactionType: "OpeningBalance", Currency: cur, AmountMinor: minor, Datestamp: s.now()})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadOrCreateKey reads a PEM private key from path, or generates a 2048-bit key and
// writes it there (mode 0600) when the file does not exist.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	if _, err := os.Stat(path); err == nil {
		return trustly.LoadPrivateKey(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox key: %w", err)
	}
	key, err := trustly.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate sandbox key: %w", err)
	}
	if err := os.WriteFile(path, trustly.PrivateKeyPEM(key), 0o600); err != nil {
		return nil, fmt.Errorf("write sandbox key: %w", err)
	}
	return key, nil
}

// Handler serves the API (POST /api/1 and /1), the checkout (/checkout/…), the
// sandbox pages (/sandbox/, behind Config.AdminPassword when set) and the public
// key (/sandbox/public-key.pem).
func (s *Sandbox) Handler() http.Handler { return s.mux }

// Server is the HTTP server the commands serve Handler with. The API and the
// checkout are open to anyone (beyond loopback too, with SANDBOX_PUBLIC=1), so a
// request gets Config.ReadTimeout to arrive whole, its body included, and an
// idle connection is closed: a body sent a byte at a time would otherwise hold
// its connection and goroutine for as long as its sender liked. No write
// timeout: the slow-api scenario answers after SlowAPIDelay on purpose.
func (s *Sandbox) Server() *http.Server {
	return &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.cfg.ReadTimeout,
		IdleTimeout: 2 * time.Minute}
}

// Loopback reports whether addr, a listener's address, is reachable from this
// machine only. An unspecified address (0.0.0.0, ::) is every interface, and not
// loopback. The commands serve the sandbox elsewhere only when told to and given
// an admin password: its pages show every order's notifications.
func Loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// PublicKey is the sandbox's "Trustly" public key: the cashier verifies with it.
func (s *Sandbox) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// SetBaseURL sets the public URL used in checkout URLs, for when it is known only
// after the listener started (httptest).
func (s *Sandbox) SetBaseURL(u string) { s.cfg.BaseURL = strings.TrimRight(u, "/") }

// BaseURL is the public URL used in checkout URLs.
func (s *Sandbox) BaseURL() string { return s.cfg.BaseURL }

// Credentials are the API Username and Password the sandbox expects.
func (s *Sandbox) Credentials() (username, password string) { return s.cfg.Username, s.cfg.Password }

// PayoutCalls counts the verified AccountPayout requests that carried messageID,
// whether they were accepted, refused as a duplicate (637) or failed later checks.
func (s *Sandbox) PayoutCalls(messageID string) int {
	var pc PayoutCall
	if err := s.db.Where("message_id = ?", messageID).Take(&pc).Error; err != nil {
		return 0
	}
	return pc.Calls
}

// FireHeld sends the held notifications of order orderID (HoldNotifications), as
// the test environment's notification tool does: each is due at its planned time,
// so those planned before now go out at once, in their planned order. It returns
// how many it released.
func (s *Sandbox) FireHeld(ctx context.Context, orderID string) (int, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Outbox{}).Where("order_id = ? AND status = ?", orderID, OutboxHeld).Update("status", OutboxPending)
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("fire held notifications of %s: %w", orderID, err)
	}
	s.log.Info("held notifications fired", "order_id", orderID, "notifications", n)
	s.kick()
	return int(n), nil
}

// PollEvery is how often Trustly lets a merchant call Balance, and GetWithdrawals
// about one order (API.md §4.6, §4.8).
const PollEvery = 15 * time.Minute

// TooOftenCall is a Balance or GetWithdrawals request that came within PollEvery
// of the previous one with the same Key.
type TooOftenCall struct {
	Method   string
	Key      string // GetWithdrawals' OrderID; "" for Balance
	At       time.Time
	Previous time.Time
}

// TooOften lists the Balance and GetWithdrawals requests made more often than
// Trustly allows, oldest first. The sandbox answers them as any other and logs a
// warning: Trustly's answer to them is not known.
func (s *Sandbox) TooOften() []TooOftenCall {
	var calls []PolledCall
	if err := s.db.Where("too_often").Order("id").Find(&calls).Error; err != nil {
		s.log.Error("read polled calls", "err", err)
		return nil
	}
	out := make([]TooOftenCall, len(calls))
	for i, c := range calls {
		out[i] = TooOftenCall{Method: c.Method, Key: c.Key, At: c.At, Previous: *c.Previous}
	}
	return out
}

// PolledCalls counts the verified requests of method (Balance or GetWithdrawals)
// with key (GetWithdrawals' OrderID; "" for Balance).
func (s *Sandbox) PolledCalls(method, key string) int {
	var n int64
	if err := s.db.Model(&PolledCall{}).Where("method = ? AND call_key = ?", method, key).Count(&n).Error; err != nil {
		s.log.Error("count polled calls", "err", err)
	}
	return int(n)
}

// PayoutScenarios are the outcomes a payout without SandboxScenario may be given
// (Config.PayoutScenario, SetPayoutScenario), default first.
var PayoutScenarios = []Scenario{ScenarioPayoutConfirmed, ScenarioPayoutBounce, ScenarioPayoutFailed, ScenarioPayoutRejected}

func checkPayoutScenario(sc Scenario) error {
	if sc == "" {
		return nil
	}
	for _, p := range PayoutScenarios {
		if sc == p {
			return nil
		}
	}
	return fmt.Errorf("payout scenario %q is not one of %v", sc, PayoutScenarios)
}

// SetPayoutScenario sets the outcome of the payouts that arrive from now on
// without a SandboxScenario: one of PayoutScenarios, or "" for the default.
// Payouts already accepted keep theirs. It is kept in memory only: a restart goes
// back to Config.PayoutScenario.
func (s *Sandbox) SetPayoutScenario(sc Scenario) error {
	if err := checkPayoutScenario(sc); err != nil {
		return err
	}
	s.payoutMu.Lock()
	defer s.payoutMu.Unlock()
	s.payoutScenario = sc
	return nil
}

// PayoutScenario is the outcome of the next payouts without a SandboxScenario;
// "" means payout-confirmed.
func (s *Sandbox) PayoutScenario() Scenario {
	s.payoutMu.Lock()
	defer s.payoutMu.Unlock()
	return s.payoutScenario
}

// SetLedgerGlitch turns Config.LedgerGlitch on or off for the AccountLedger calls
// from now on, until the sandbox restarts.
func (s *Sandbox) SetLedgerGlitch(on bool) { s.ledgerGlitch.Store(on) }

// LedgerGlitch reports whether AccountLedger misses one entry and doubles another.
func (s *Sandbox) LedgerGlitch() bool { return s.ledgerGlitch.Load() }

// Start runs the notification deliverer until ctx ends or Close is called.
// Deliveries left pending by an earlier run resume.
func (s *Sandbox) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.deliverLoop(ctx)
	}()
}

// Close stops the deliverer and closes the database.
func (s *Sandbox) Close() error {
	var err error
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
			<-s.done
		}
		if sqlDB, e := s.db.DB(); e == nil {
			err = sqlDB.Close()
		}
	})
	return err
}

// WaitIdle waits until the sandbox has nothing left to do by itself: no
// notification waits to be delivered or retried (whenever it is due), none is
// being delivered, and no kyc waits for the merchant's answer or its timeout.
// Then every notification the scenarios planned so far has been answered or
// given up on, so a test can assert the complete list. A checkout waiting for
// its player is idle. It needs Start, and returns ctx's error if ctx ends first.
func (s *Sandbox) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		idle, err := s.idle(ctx)
		if err != nil {
			return fmt.Errorf("sandbox idle: %w", err)
		}
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox idle: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// idle is one look for WaitIdle. An attempt that starts or ends while it looks
// makes it answer false: an attempt may queue notifications (a kyc answer does)
// after its own row stops being pending.
func (s *Sandbox) idle(ctx context.Context) (bool, error) {
	ended := s.attempts.Load()
	if s.delivering.Load() > 0 {
		return false, nil
	}
	// The kyc orders first: a kyc's timeout (expireKYC) cancels its order and queues
	// the cancel in one transaction, which is no attempt. Read after the outbox, a
	// timeout committed between the two reads showed no kyc and no pending cancel.
	// Read before it, an order no longer waiting for its kyc has its cancel pending
	// or delivered (an attempt) by the time the outbox is read.
	var pending, kyc int64
	if err := s.db.WithContext(ctx).Model(&Order{}).Where("status = ?", StatusKYC).Count(&kyc).Error; err != nil {
		return false, err
	}
	if err := s.db.WithContext(ctx).Model(&Outbox{}).Where("status = ?", OutboxPending).Count(&pending).Error; err != nil {
		return false, err
	}
	return pending == 0 && kyc == 0 && s.delivering.Load() == 0 && s.attempts.Load() == ended, nil
}

// kick wakes the deliverer after new notifications were queued.
func (s *Sandbox) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
