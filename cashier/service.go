// Package cashier holds the cashier's use cases: players, deposits, bank accounts,
// payouts and their approval, and Trustly's notifications. Handlers call
// one Service method per request; cashier decides which ledger transfer an event
// means, and ledger decides whether it is allowed.
package cashier

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Limits bound what a player may deposit or withdraw in one order, per currency.
type Limits struct {
	MinDeposit, MaxDeposit models.Money
	MinPayout, MaxPayout   models.Money
	// ApprovalAbove: payouts above this amount wait for a staff member's approval.
	ApprovalAbove models.Money
	// TwoPersonAbove: payouts above this amount need the approvals of two different
	// staff members, each after confirming their password again. Zero: never.
	TwoPersonAbove models.Money
	// RefundOperatorMax is the most an operator may refund of one deposit in all:
	// an operator's refund is made only while the deposit's refunds that count
	// (sent or in flight, neither refused nor returned, whoever made them) and it
	// stay within it. Finance refunds any amount (staff.ActionRefundAny).
	RefundOperatorMax models.Money
	QuickPicks        []models.Money // amounts offered as one-click buttons
}

// Config is the cashier's policy and the URLs it tells Trustly.
type Config struct {
	BaseURL           string // public URL of the cashier, e.g. "http://localhost:3000"
	NotifyToken       string // secret path segment of the notification URL
	ShopperStatement  string // brand on the player's bank statement
	IntegrationModule string // names our software to Trustly
	Limits            map[string]Limits
	// SandboxExtra is added to Deposit and SelectAccount attributes; it is set only
	// when the peer is a sandbox, the embedded one or another (its test-only
	// attributes).
	SandboxExtra map[string]string
	// PayNPlay is the Pay N Play model of each market (CASHIER_PAYNPLAY); a market
	// not listed is off. In a market with hybrid or pure, every deposit asks Trustly
	// for a kyc (RequestKYC), password players' too, and the kyc decision guards it.
	PayNPlay paynplay.Modes
	// RealityCheck is the reality check's interval per market
	// (CASHIER_REALITY_CHECK); 0 turns it off there, and a market not listed keeps
	// RealityCheckDefaults.
	RealityCheck map[string]time.Duration
	// LimitPolicy is each market's deposit-limit policy (CASHIER_LIMIT_POLICY over
	// limits.Builtin()). The zero value holds no market rules: optional limits that
	// change at once, which only tests want.
	LimitPolicy limits.Policies
	// CheckoutExpiry is how long after its Deposit call a deposit without any
	// notification is taken as abandoned (Janitor), and how long after its kyc
	// decision a Pay N Play order may still sign its browser in
	// (ClaimPayNPlaySignIn); 0 means 30 minutes, the longest a Trustly checkout URL
	// lives.
	CheckoutExpiry time.Duration
	// ResumeAfter is how long ResumePayouts leaves a payout alone after an
	// AccountPayout call started; 0 means 2 minutes, well past the client's timeout.
	ResumeAfter time.Duration
	// SignInFailures is how many failed sign-ins one account may have in
	// SignInWindow (CASHIER_LOGIN_LIMIT_PER_ACCOUNT): a player's or a staff member's
	// email, whether or not anyone has it, counted over every address and, on
	// PostgreSQL, every instance. Past it every sign-in to the account is refused
	// unchecked (SignInsLimited) until the window ends. 0 means
	// DefaultSignInFailures.
	SignInFailures int
}

func (c Config) checkoutExpiry() time.Duration {
	if c.CheckoutExpiry > 0 {
		return c.CheckoutExpiry
	}
	return CheckoutExpiry
}

func (c Config) resumeAfter() time.Duration {
	if c.ResumeAfter > 0 {
		return c.ResumeAfter
	}
	return payoutResumeAfter
}

// NotificationURL is the URL Trustly posts notifications to.
func (c Config) NotificationURL() string {
	return strings.TrimRight(c.BaseURL, "/") + "/trustly/notify/" + c.NotifyToken
}

// crowns are the currencies worth about a tenth of a euro.
var crowns = map[string]bool{"SEK": true, "NOK": true, "DKK": true}

// LimitsFor returns the limits for currency, or defaults of 10–10 000 per order,
// approval above 5 000, two approvals above 10 000, operators' refunds up to
// 1 000 of a deposit in all, and quick picks of 100/250/500/1 000 in crowns,
// 10/25/50/100 otherwise.
func (c Config) LimitsFor(currency string) Limits {
	if l, ok := c.Limits[currency]; ok {
		return l
	}
	m := func(major int64) models.Money { return models.Money{Minor: major * 100, Currency: currency} }
	// Quick picks a player of the currency would choose: crowns are worth about a
	// tenth of a euro, so SEK, NOK and DKK offer ten times the euro amounts.
	picks := []models.Money{m(10), m(25), m(50), m(100)}
	if crowns[currency] {
		picks = []models.Money{m(100), m(250), m(500), m(1000)}
	}
	return Limits{MinDeposit: m(10), MaxDeposit: m(10000), MinPayout: m(10), MaxPayout: m(10000),
		ApprovalAbove: m(5000), TwoPersonAbove: m(10000), RefundOperatorMax: m(1000), QuickPicks: picks}
}

// Deps is what a Service is built from.
type Deps struct {
	DB          *gorm.DB
	Trustly     *trustly.Client
	MerchantKey *rsa.PrivateKey // signs our answers to notifications
	TrustlyKey  *rsa.PublicKey  // verifies notifications
	Config      Config
	Now         func() time.Time // defaults to time.Now
	Log         *slog.Logger
	// Exclusions is the self-exclusion register checker of the kyc decision:
	// exclusions.Sandbox() with the embedded sandbox, an exclusions.Router of the
	// national registers otherwise. Required when a market has Pay N Play on.
	Exclusions exclusions.Exclusions
	// RegisterTimeout bounds one self-exclusion register check at registration,
	// sign-in and the start of a deposit (Exclusions, in RegisterMarkets); zero
	// means DefaultRegisterTimeout.
	// Without Exclusions no register is asked there: cmd/cashier always sets one.
	RegisterTimeout time.Duration
	// Limits says how much a player may still deposit, for the kyc decision. nil
	// means the Service's own deposit limits (limits.Service), which StartDeposit and
	// the deposit form use too; tests may stand another one in for the kyc.
	Limits paynplay.Limits
	// Metrics receives the service's measurements (API calls, notifications,
	// background jobs); nil measures nothing.
	Metrics Metrics
	// TOTPKey is the 32-byte key staff members' second-factor secrets are sealed
	// with in the database (staff.SecretBox); required. cmd/cashier derives it from
	// CASHIER_TOTP_KEY. Every instance on one database needs the same key.
	TOTPKey []byte
}

// Service carries out the cashier's use cases.
type Service struct {
	db          *gorm.DB
	trustly     *trustly.Client
	merchantKey *rsa.PrivateKey
	trustlyKey  *rsa.PublicKey
	cfg         Config
	now         func() time.Time
	log         *slog.Logger
	rules       paynplay.Rules // the kyc decision's rules
	// balanceMu serializes this instance's TrustlyBalance calls, so that its
	// requests wait for its one call rather than find it claimed.
	balanceMu sync.Mutex
	metrics   Metrics
	// exclusions is the national registers' checker for registration and sign-in
	// (registers.go); nil asks none.
	exclusions      exclusions.Exclusions
	registerTimeout time.Duration
	limits          *limits.Service
	secrets         *staff.SecretBox // seals staff second-factor secrets (staff.go)
	counters        *store.Counters  // SharedCounters; nil on SQLite
	signIns         attemptCounts    // failed sign-ins per account (signins.go), in the database
	// overdueRead, nil but in a test, runs in the janitor's overdue job between
	// its query and the first order's row lock (flagOverdue), so that a test can
	// commit a notification exactly there.
	overdueRead func(ids []int64)
}

// New checks d and returns a Service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Trustly == nil || d.MerchantKey == nil || d.TrustlyKey == nil {
		return nil, errors.New("cashier: database, Trustly client and both keys are required")
	}
	if d.Config.BaseURL == "" || d.Config.NotifyToken == "" {
		return nil, errors.New("cashier: base URL and notification token are required")
	}
	if d.Config.SignInFailures < 0 {
		return nil, errors.New("cashier: the failed sign-ins per account cannot be negative")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	lim := limits.New(d.DB, d.Config.LimitPolicy, d.Now)
	if d.Limits == nil {
		d.Limits = lim
	}
	if d.Metrics == nil {
		d.Metrics = noMetrics{}
	}
	rules := paynplay.Rules{Modes: d.Config.PayNPlay, Exclusions: d.Exclusions, Limits: d.Limits, Now: d.Now}
	for _, c := range paynplay.Markets {
		if d.Config.PayNPlay.Enabled(c) && d.Exclusions == nil {
			return nil, errors.New("cashier: Pay N Play needs a self-exclusion checker (Deps.Exclusions)")
		}
	}
	if d.RegisterTimeout <= 0 {
		d.RegisterTimeout = DefaultRegisterTimeout
	}
	secrets, err := staff.NewSecretBox(d.TOTPKey)
	if err != nil {
		return nil, fmt.Errorf("cashier: Deps.TOTPKey: %w", err)
	}
	var counters *store.Counters
	if d.DB.Dialector.Name() == "postgres" {
		counters = store.NewCounters(d.DB, nil) // the limiters' own clock is the real one
	}
	// Failed sign-ins are kept in the database on SQLite too: in memory, a restart
	// gave a guesser a fresh budget. Take is given the service's clock.
	signIns := store.NewCounters(d.DB, nil)
	return &Service{secrets: secrets, db: d.DB, trustly: d.Trustly, merchantKey: d.MerchantKey, trustlyKey: d.TrustlyKey,
		cfg: d.Config, now: d.Now, log: d.Log, rules: rules, metrics: d.Metrics,
		exclusions: d.Exclusions, registerTimeout: d.RegisterTimeout, limits: lim, counters: counters, signIns: signIns}, nil
}

// SharedCounters is where the web's sign-in and password limiters keep their
// counts when several instances may share the database (PostgreSQL), so that an
// address or an account gets as many tries across all of them as on one; nil on
// SQLite, which one instance serves and whose limiters count in memory. Its
// method set is Fiber's Storage.
func (s *Service) SharedCounters() *store.Counters { return s.counters }

// Metrics returns where the service's measurements go, for background jobs that
// count their runs and retries (Metrics.JanitorRun, Metrics.Retry).
func (s *Service) Metrics() Metrics { return s.metrics }

// CheckoutExpiry is how long a checkout lives (Config.CheckoutExpiry, 30 minutes
// when unset): the janitor abandons a silent deposit or account selection after
// it, and the pages read one that old as abandoned before the janitor comes by.
func (s *Service) CheckoutExpiry() time.Duration { return s.cfg.checkoutExpiry() }

// CheckoutAbandoned reports whether order's checkout is over with no word from
// Trustly now (models.Order.CheckoutOver at checkoutCutoff): the janitor marked it
// abandoned, or it is still created or started a CheckoutExpiry after it was made,
// when its checkout URL no longer works, before the janitor came by. The pages read
// it so; the janitor abandons by the same cutoff and the cashier page's money
// underway leaves out by it what this reports (TestCheckoutAbandonedOneRule).
func (s *Service) CheckoutAbandoned(order models.Order) bool {
	return !order.MovesOut() && order.CheckoutOver(s.checkoutCutoff(s.now()))
}

// checkoutCutoff is the creation time before which a checkout is over at now: a
// deposit or account selection created before it and still created or started
// has no usable checkout any more. It is in microseconds, as PostgreSQL keeps
// times, so that a comparison in SQL and one in Go of a time read back agree at
// the instant itself.
func (s *Service) checkoutCutoff(now time.Time) time.Time {
	return now.UTC().Add(-s.cfg.checkoutExpiry()).Truncate(time.Microsecond)
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }
