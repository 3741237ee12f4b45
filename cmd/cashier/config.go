package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	depositlimits "github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/handlers"
	"github.com/trustly-cashier/cashier/internal/owneronly"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
)

// config is everything the cashier reads from its environment. Secrets come from
// the environment or from files (NAME_FILE); they are never logged.
type config struct {
	Addr        string // CASHIER_ADDR: where the cashier listens
	BaseURL     string // CASHIER_BASE_URL: the public URL Trustly and players use
	DataDir     string // CASHIER_DATA: keys, tokens and the SQLite file live here
	DatabaseURL string // DATABASE_URL: postgres://… or a SQLite file path

	NotifyToken string // TRUSTLY_NOTIFY_TOKEN: secret path segment of the notification URL
	// NotifyTokenFrom says where NotifyToken was read, for the banner, which never
	// prints the token whole: "the environment variable TRUSTLY_NOTIFY_TOKEN", "the
	// file /data/notify-token".
	NotifyTokenFrom string
	SessionHash     []byte // CASHIER_SESSION_KEY: signs the session cookie
	SessionKey      []byte // … and encrypts it (derived from the same secret)
	TOTPKey         []byte // CASHIER_TOTP_KEY: seals staff second-factor secrets in the database

	Limits map[string]cashier.Limits // CASHIER_LIMITS: per-currency amounts; defaults otherwise
	// LimitPolicy is each market's deposit-limit policy: CASHIER_LIMIT_POLICY over
	// the built-in SE, NL, FI and default policies (depositlimits.Parse).
	LimitPolicy depositlimits.Policies

	// ShopperStatement is our name on the player's bank statement
	// (CASHIER_SHOPPER_STATEMENT), sent with every Deposit.
	ShopperStatement string

	// The web layer: the reverse proxies to believe (CASHIER_TRUSTED_PROXIES), the
	// rate limits per minute (CASHIER_LOGIN_LIMIT, CASHIER_ORDER_LIMIT,
	// CASHIER_ORDER_LIMIT_PER_IP) and the connection bounds (CASHIER_MAX_CONNECTIONS,
	// CASHIER_READ_TIMEOUT, CASHIER_WRITE_TIMEOUT, CASHIER_IDLE_TIMEOUT,
	// CASHIER_READ_BUFFER_SIZE). Zero numbers take the web layer's defaults.
	TrustedProxies                          []string
	LoginLimit, OrderLimit, OrderLimitPerIP int
	Server                                  handlers.Server
	// LoginLimitPerAccount is how many failed sign-ins one account may have in
	// cashier.SignInWindow over every address (CASHIER_LOGIN_LIMIT_PER_ACCOUNT); 0
	// takes cashier.DefaultSignInFailures.
	LoginLimitPerAccount int
	// SessionIdle ends a signed-in session after this long without a request
	// (CASHIER_SESSION_IDLE); 0 takes the web layer's default.
	SessionIdle time.Duration
	// MetricsAddr is where /metrics is served (CASHIER_METRICS_ADDR), apart from
	// Addr; empty serves none. It is host:port, checked here so that a typo stops
	// the start before the database is opened.
	MetricsAddr string

	AdminEmail    string // CASHIER_ADMIN_EMAIL: the back-office owner ensured at start
	AdminPassword string // CASHIER_ADMIN_PASSWORD: their password; without it no owner is ensured
	// Staff sessions: CASHIER_ADMIN_2FA=required makes every staff member enrol a
	// second factor first; CASHIER_ADMIN_IDLE is how long a staff session lasts
	// without a request (1m–8h, default 15m); CASHIER_ADMIN_TZ is the time zone
	// back-office pages show times in until a member picks another (default UTC).
	Staff handlers.StaffSettings

	// Trustly: all four set means a real (or Trustly-compatible) endpoint; none set
	// means the embedded sandbox.
	TrustlyURL      string
	TrustlyUsername string
	TrustlyPassword string
	MerchantKey     *rsa.PrivateKey
	TrustlyKey      *rsa.PublicKey // nil in sandbox mode until the sandbox is up
	TrustlyEnv      string         // "test", "live", "custom" or "sandbox"

	// CheckoutOrigin is the origin of the checkout pages the cashier frames
	// (TRUSTLY_CHECKOUT_ORIGIN); it is the only site the CSP lets pages frame.
	CheckoutOrigin string

	SandboxAddr    string // SANDBOX_ADDR: where the embedded sandbox listens
	SandboxBaseURL string // SANDBOX_BASE_URL: its public URL, a path if a proxy strips one (sandboxBaseURL)
	// SandboxPublic (SANDBOX_PUBLIC=1) allows a SANDBOX_ADDR that is not loopback,
	// with SandboxAdminPassword (SANDBOX_ADMIN_PASSWORD) guarding its /sandbox/ pages.
	SandboxPublic        bool
	SandboxAdminPassword string

	// The janitor (cashier.Service.Janitor): how often it runs (CASHIER_JANITOR_EVERY,
	// default 1m), after how long a silent deposit checkout is abandoned and a Pay N
	// Play order's kyc can no longer sign its browser in (CASHIER_CHECKOUT_EXPIRY,
	// default 30m), and after how long a payout without an answer is resent
	// (CASHIER_PAYOUT_RESUME_AFTER, default 2m). The last two are shorter only in
	// tests: Trustly's checkout lives up to 30 minutes, so a longer CheckoutExpiry
	// stops the start (loadWeb), and its API answers within the client's 30 s, so a
	// ResumeAfter no longer stops it but with a custom sandbox (checkResumeAfter).
	JanitorEvery, CheckoutExpiry, ResumeAfter time.Duration

	// SandboxAttributes (TRUSTLY_SANDBOX_ATTRIBUTES, "SandboxAutoComplete=1,…") are
	// added to every Deposit and SelectAccount, so that a sandbox completes checkouts
	// without a browser (the crash harness). Taken with the embedded sandbox and one
	// at a custom TRUSTLY_API_URL; refused with Trustly's test or live environment.
	SandboxAttributes map[string]string

	// PayNPlay is each market's Pay N Play model (CASHIER_PAYNPLAY), and Exclusions
	// the self-exclusion registers its kyc decision asks (loadPayNPlay).
	PayNPlay   paynplay.Modes
	Exclusions exclusions.Exclusions
	// RealityCheck is CASHIER_REALITY_CHECK per market (rg.go); nil keeps the
	// built-in markets.
	RealityCheck map[string]time.Duration
}

// Sandbox reports whether the cashier runs against the embedded sandbox.
func (c *config) Sandbox() bool { return c.TrustlyEnv == "sandbox" }

// secret reads NAME, or the file named by NAME_FILE. Both set is a mistake
// somewhere (an old variable left beside a newly mounted file, or the other way
// round) and stops the start: with one quietly winning, the cashier could run
// with a secret its operator did not mean.
func secret(getenv func(string) string, name string) (string, error) {
	v, path := getenv(name), getenv(name+"_FILE")
	if v != "" && path != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: set one of them", name, name)
	}
	if v != "" {
		// Only whitespace is a variable templated from something empty, not a
		// key or a password.
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%s is only whitespace: set the secret itself, or leave it unset", name)
		}
		return v, nil
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, fileErr(err))
		}
		// An empty file is a mistake (a secret not mounted yet), not "unset": read
		// as unset it would have a new key generated, or no owner ensured.
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_FILE: the file it names is empty", name)
		}
		return v, nil
	}
	return "", nil
}

// notifyTokenChars are the characters a notification token may have: those a URL
// path segment holds unescaped (RFC 3986's pchar, without %), so that the URL
// Trustly is given, the one it posts to and the route's parameter are one text.
const notifyTokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"

// persisted returns the secret NAME from the environment, or else the one kept in
// dataDir/file, creating it on first start; from says where it was read, in words.
// On a shared database (shared: PostgreSQL, where several instances may run) it
// must come from the environment: a secret made up by one instance, in its own
// data directory, would be unknown to the others (notifications refused, session
// cookies and CSRF tokens of one instance refused by the next, second factors that
// do not open).
func persisted(getenv func(string) string, name, dataDir, file string, shared bool) (v, from string, err error) {
	if v, err = secret(getenv, name); err != nil || v != "" {
		from = "the environment variable " + name
		if getenv(name) == "" {
			from = "the file " + getenv(name+"_FILE") + " (" + name + "_FILE)"
		}
		return v, from, err
	}
	if shared {
		return "", "", fmt.Errorf("%s (or %s_FILE) must be set when DATABASE_URL is PostgreSQL: every instance sharing the database needs the same one, and a secret generated in one instance's CASHIER_DATA would be known to that instance only", name, name)
	}
	path := filepath.Join(dataDir, file)
	from = "the file " + path
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), from, nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", "", err
	}
	v = hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("keep %s: %w", name, err)
	}
	return v, from, nil
}

// settingNames are the variables loadConfig reads (README's Configuration
// table, which TestREADMEListsEverySetting holds to the code), each register's
// and each secret's NAME_FILE included.
func settingNames() []string {
	names := []string{"CASHIER_ADDR", "CASHIER_BASE_URL", "CASHIER_DATA", "DATABASE_URL", "CASHIER_LIMITS", "CASHIER_LIMIT_POLICY",
		"CASHIER_SHOPPER_STATEMENT", "CASHIER_TRUSTED_PROXIES", "CASHIER_LOGIN_LIMIT", "CASHIER_LOGIN_LIMIT_PER_ACCOUNT",
		"CASHIER_ORDER_LIMIT", "CASHIER_ORDER_LIMIT_PER_IP", "CASHIER_MAX_CONNECTIONS", "CASHIER_READ_BUFFER_SIZE",
		"CASHIER_READ_TIMEOUT", "CASHIER_WRITE_TIMEOUT", "CASHIER_IDLE_TIMEOUT", "CASHIER_JANITOR_EVERY", "CASHIER_CHECKOUT_EXPIRY",
		"CASHIER_PAYOUT_RESUME_AFTER", "CASHIER_SESSION_IDLE", "CASHIER_METRICS_ADDR", "CASHIER_ADMIN_EMAIL", "CASHIER_ADMIN_2FA",
		"CASHIER_ADMIN_IDLE", "CASHIER_ADMIN_TZ", "CASHIER_REALITY_CHECK", "CASHIER_PAYNPLAY", "CASHIER_EXCLUSIONS_NONE",
		"CASHIER_FAILPOINT", "TRUSTLY_API_URL", "TRUSTLY_USERNAME", "TRUSTLY_PRIVATE_KEY", "TRUSTLY_PUBLIC_KEY",
		"TRUSTLY_CHECKOUT_ORIGIN", "TRUSTLY_SANDBOX_ATTRIBUTES", "SANDBOX_ADDR", "SANDBOX_BASE_URL", "SANDBOX_PUBLIC"}
	secrets := []string{"TRUSTLY_NOTIFY_TOKEN", "CASHIER_SESSION_KEY", "CASHIER_TOTP_KEY", "CASHIER_ADMIN_PASSWORD",
		"SANDBOX_ADMIN_PASSWORD", "TRUSTLY_PASSWORD"}
	for _, r := range registers {
		prefix := "CASHIER_" + r.name + "_"
		names = append(names, prefix+"URL", prefix+"CERT", prefix+"KEY", prefix+"CA", prefix+"TIMEOUT")
		secrets = append(secrets, prefix+"API_KEY")
	}
	for _, s := range secrets {
		names = append(names, s, s+"_FILE")
	}
	return names
}

// checkBlank refuses a variable of names set to only whitespace (a variable
// templated from something empty, a stray space in an env file): read as unset
// it would quietly take its default (DATABASE_URL=" " a SQLite file named " ").
func checkBlank(getenv func(string) string, names ...string) error {
	for _, name := range names {
		if v := getenv(name); v != "" && strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s is only whitespace: set a value, or leave it unset for its default", name)
		}
	}
	return nil
}

// loadConfig reads the configuration from getenv. Its warnings (CASHIER_DATA
// made its owner's only) go to log, the command's logger, with its format and
// level.
func loadConfig(getenv func(string) string, log *slog.Logger) (*config, error) {
	if err := checkBlank(getenv, settingNames()...); err != nil {
		return nil, err
	}
	get := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &config{
		Addr:            get("CASHIER_ADDR", "127.0.0.1:3000"),
		BaseURL:         strings.TrimRight(getenv("CASHIER_BASE_URL"), "/"),
		DataDir:         get("CASHIER_DATA", "data"),
		SandboxAddr:     get("SANDBOX_ADDR", "127.0.0.1:8081"),
		AdminEmail:      get("CASHIER_ADMIN_EMAIL", "admin@example.com"),
		TrustlyURL:      getenv("TRUSTLY_API_URL"),
		TrustlyUsername: getenv("TRUSTLY_USERNAME"),
	}
	if err := checkListenAddr("CASHIER_ADDR", c.Addr, "3000"); err != nil {
		return nil, err
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL(c.Addr)
	}
	// An origin: every route and redirect is at the root, the notification URL
	// takes no query (Trustly), and the banner prints it.
	// Its scheme and host in lower case: "HTTPS://" is https for the Secure cookies
	// and the https checks below as for browsers.
	base, ok := bareOrigin(c.BaseURL)
	if !ok {
		return nil, fmt.Errorf("CASHIER_BASE_URL %q is not an http(s) URL of an origin such as https://cashier.example.com (no path, query or credentials)",
			redactURL(c.BaseURL))
	}
	c.BaseURL = base
	if err := owneronly.Dir(c.DataDir, log); err != nil {
		return nil, fmt.Errorf("CASHIER_DATA: %w", err)
	}
	c.DatabaseURL = databaseURL(getenv)
	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	limits, err := parseLimits(getenv("CASHIER_LIMITS"))
	if err != nil {
		return nil, err
	}
	c.Limits = limits
	if c.LimitPolicy, err = depositlimits.Parse(getenv("CASHIER_LIMIT_POLICY")); err != nil {
		return nil, fmt.Errorf("CASHIER_LIMIT_POLICY: %w", err)
	}
	if err := c.loadWeb(getenv); err != nil {
		return nil, err
	}
	if c.MetricsAddr = getenv("CASHIER_METRICS_ADDR"); c.MetricsAddr != "" {
		if err := checkListenAddr("CASHIER_METRICS_ADDR", c.MetricsAddr, "9100"); err != nil {
			return nil, err
		}
		if sharesPort(c.MetricsAddr, c.Addr) {
			return nil, fmt.Errorf("CASHIER_METRICS_ADDR %s is on the port of CASHIER_ADDR %s: /metrics is never served on the cashier's "+
				"address; give it a port of its own, such as 127.0.0.1:9100", c.MetricsAddr, c.Addr)
		}
	}

	if c.NotifyToken, c.NotifyTokenFrom, err = persisted(getenv, "TRUSTLY_NOTIFY_TOKEN", c.DataDir, "notify-token", store.IsPostgres(c.DatabaseURL)); err != nil {
		return nil, err
	}
	if len(c.NotifyToken) < 16 || strings.Trim(c.NotifyToken, notifyTokenChars) != "" {
		return nil, errors.New("TRUSTLY_NOTIFY_TOKEN must be at least 16 characters, each a letter, a digit or one of " +
			"-._~!$&'()*+,;=:@ (without / ? # % or spaces): it is a segment of the notification URL's path, which Trustly is given as it is")
	}
	sess, _, err := persisted(getenv, "CASHIER_SESSION_KEY", c.DataDir, "session-key", store.IsPostgres(c.DatabaseURL))
	if err != nil {
		return nil, err
	}
	if len(sess) < 32 {
		return nil, errors.New("CASHIER_SESSION_KEY must be at least 32 characters")
	}
	c.SessionHash, c.SessionKey = deriveKey(sess, "hash", 64), deriveKey(sess, "block", 32)
	// A key of its own, not the session key's: changing that one signs everybody
	// out, and must not also make every staff member's second factor unreadable.
	totpKey, _, err := persisted(getenv, "CASHIER_TOTP_KEY", c.DataDir, "totp-key", store.IsPostgres(c.DatabaseURL))
	if err != nil {
		return nil, err
	}
	if len(totpKey) < 32 {
		return nil, errors.New("CASHIER_TOTP_KEY must be at least 32 characters")
	}
	c.TOTPKey = deriveKey(totpKey, "totp", 32)
	switch v := getenv("SANDBOX_PUBLIC"); v {
	case "", "0":
	case "1":
		c.SandboxPublic = true
	default:
		return nil, fmt.Errorf("SANDBOX_PUBLIC %q: want 1 (serve the embedded sandbox beyond loopback) or 0 (unset: loopback only)", v)
	}
	if c.SandboxAdminPassword, err = secret(getenv, "SANDBOX_ADMIN_PASSWORD"); err != nil {
		return nil, err
	}
	if c.AdminPassword, err = secret(getenv, "CASHIER_ADMIN_PASSWORD"); err != nil {
		return nil, err
	}
	// The owner ensured at start is checked here, by the Staff page's rules, so that
	// a bad one stops the start naming its variable, before the database opens.
	if c.AdminPassword != "" {
		var problem *models.Problem
		if err := staff.CheckNew(&c.AdminEmail, c.AdminPassword, staff.RoleOwner); errors.As(err, &problem) {
			name := "CASHIER_ADMIN_PASSWORD"
			if problem.Field == "email" {
				name = "CASHIER_ADMIN_EMAIL"
			}
			return nil, fmt.Errorf("%s: %s", name, problem.Message)
		} else if err != nil {
			return nil, err
		}
	}
	switch v := getenv("CASHIER_ADMIN_2FA"); strings.ToLower(v) {
	case "", "optional":
	case "required":
		c.Staff.RequireTOTP = true
	default:
		return nil, fmt.Errorf("CASHIER_ADMIN_2FA %q: want required or optional", v)
	}
	if v := getenv("CASHIER_ADMIN_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 8*time.Hour {
			return nil, fmt.Errorf("CASHIER_ADMIN_IDLE %q: want a duration from 1m to 8h, such as 15m", v)
		}
		c.Staff.Idle = d
	}
	if v := getenv("CASHIER_ADMIN_TZ"); v != "" {
		if c.Staff.Zone, err = time.LoadLocation(v); err != nil || v == "Local" {
			return nil, fmt.Errorf("CASHIER_ADMIN_TZ %q: want a time zone such as Europe/Stockholm or UTC", v)
		}
	}
	if c.TrustlyPassword, err = secret(getenv, "TRUSTLY_PASSWORD"); err != nil {
		return nil, err
	}

	if c.RealityCheck, err = parseRealityCheck(getenv("CASHIER_REALITY_CHECK")); err != nil {
		return nil, err
	}
	set := 0
	for _, v := range []string{c.TrustlyURL, c.TrustlyUsername, c.TrustlyPassword, getenv("TRUSTLY_PRIVATE_KEY"), getenv("TRUSTLY_PUBLIC_KEY")} {
		if v != "" {
			set++
		}
	}
	switch set {
	case 0:
		c.TrustlyEnv = "sandbox"
		if err := checkListenAddr("SANDBOX_ADDR", c.SandboxAddr, "8081"); err != nil {
			return nil, err
		}
		if sharesPort(c.Addr, c.SandboxAddr) {
			return nil, fmt.Errorf("SANDBOX_ADDR %s is on the port of CASHIER_ADDR %s; give the embedded sandbox a port of its own, such as 127.0.0.1:8081",
				c.SandboxAddr, c.Addr)
		}
		if c.MetricsAddr != "" && sharesPort(c.MetricsAddr, c.SandboxAddr) {
			return nil, fmt.Errorf("CASHIER_METRICS_ADDR %s is on the port of SANDBOX_ADDR %s, where the embedded sandbox listens; "+
				"give /metrics a port of its own, such as 127.0.0.1:9100", c.MetricsAddr, c.SandboxAddr)
		}
		if c.SandboxBaseURL, err = sandboxBaseURL(getenv("SANDBOX_BASE_URL"), c.SandboxAddr); err != nil {
			return nil, err
		}
		if c.CheckoutOrigin, err = sandboxCheckoutOrigin(getenv("TRUSTLY_CHECKOUT_ORIGIN"), c.SandboxBaseURL); err != nil {
			return nil, err
		}
		// The embedded sandbox is the sandbox package a custom TRUSTLY_API_URL may
		// point at, and honours its attributes the same way.
		if c.SandboxAttributes, err = parseSandboxAttributes(getenv("TRUSTLY_SANDBOX_ATTRIBUTES")); err != nil {
			return nil, err
		}
		if err := c.loadPayNPlay(getenv); err != nil {
			return nil, err
		}
		if err := c.checkResumeAfter(); err != nil {
			return nil, err
		}
		return c, c.sandboxMerchantKey()
	case 5:
	default:
		return nil, errors.New("set all of TRUSTLY_API_URL, TRUSTLY_USERNAME, TRUSTLY_PASSWORD, TRUSTLY_PRIVATE_KEY and TRUSTLY_PUBLIC_KEY, or none of them for the embedded sandbox")
	}
	// Trustly compares the username as sent: one with a space or a line break
	// around it (a variable templated from a file) fails every call (616).
	if u := c.TrustlyUsername; strings.TrimSpace(u) != u {
		return nil, errors.New("TRUSTLY_USERNAME has spaces or a line break at its start or end: set the API username Trustly gave, alone")
	}
	if c.MerchantKey, err = loadKey(getenv, "TRUSTLY_PRIVATE_KEY", trustly.ParsePrivateKey); err != nil {
		return nil, err
	}
	if c.TrustlyKey, err = loadKey(getenv, "TRUSTLY_PUBLIC_KEY", trustly.ParsePublicKey); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		name string
		key  *rsa.PublicKey
	}{{"TRUSTLY_PRIVATE_KEY", &c.MerchantKey.PublicKey}, {"TRUSTLY_PUBLIC_KEY", c.TrustlyKey}} {
		if n := k.key.N.BitLen(); n < minKeyBits {
			return nil, fmt.Errorf("%s: an RSA key of %d bits; Trustly's keys are %d bits or more (make the merchant key with "+
				"`go run ./cmd/trustly keygen` or `openssl genrsa 2048`)", k.name, n, minKeyBits)
		}
	}
	// Trustly signs with its own key: with the merchant's here, no answer or
	// notification from Trustly would verify.
	if c.TrustlyKey.Equal(&c.MerchantKey.PublicKey) {
		return nil, errors.New("TRUSTLY_PUBLIC_KEY is the public half of TRUSTLY_PRIVATE_KEY, the merchant's own key: set it to " +
			"Trustly's public key for its environment (test and live differ), which its answers and notifications are signed with")
	}
	u, err := url.Parse(c.TrustlyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("TRUSTLY_API_URL %q is not an http(s) URL", redactURL(c.TrustlyURL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("TRUSTLY_API_URL %q holds credentials: they go in TRUSTLY_USERNAME and TRUSTLY_PASSWORD", redactURL(c.TrustlyURL))
	}
	// The client posts every call to the URL as it is given.
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(c.TrustlyURL, "#") {
		return nil, fmt.Errorf("TRUSTLY_API_URL %q has a query or a fragment: every call is posted to the URL as given; set the API "+
			"endpoint alone, such as %s", redactURL(c.TrustlyURL), trustly.TestURL)
	}
	c.TrustlyEnv = trustlyEnv(u)
	if c.TrustlyEnv != "custom" && u.Scheme != "https" {
		return nil, fmt.Errorf("TRUSTLY_API_URL %q: Trustly's %s environment is reached over https only", redactURL(c.TrustlyURL), c.TrustlyEnv)
	}
	if c.TrustlyEnv != "custom" && strings.Trim(u.Path, "/") == "" {
		endpoint := trustly.LiveURL
		if c.TrustlyEnv == "test" {
			endpoint = trustly.TestURL
		}
		return nil, fmt.Errorf("TRUSTLY_API_URL %q is a host without the API's path: Trustly's %s API is at %s", redactURL(c.TrustlyURL),
			c.TrustlyEnv, endpoint)
	}
	// Trustly serves the test checkout from the API's host and the live one from
	// trustly.com; anything else defaults to the API's origin.
	def := u.Scheme + "://" + strings.ToLower(u.Host)
	if c.TrustlyEnv == "live" {
		def = "https://trustly.com"
	}
	c.CheckoutOrigin = def
	if v := getenv("TRUSTLY_CHECKOUT_ORIGIN"); v != "" {
		if c.CheckoutOrigin, err = checkoutOrigin(v); err != nil {
			return nil, err
		}
		if c.TrustlyEnv != "custom" {
			if err := trustlyCheckoutOrigin(c.CheckoutOrigin, c.TrustlyEnv); err != nil {
				return nil, err
			}
		}
	}
	// Trustly, test and live, refuses a NotificationURL that is not https (734):
	// with http every deposit would fail.
	if c.TrustlyEnv != "custom" && !strings.HasPrefix(c.BaseURL, "https://") {
		return nil, fmt.Errorf("CASHIER_BASE_URL must be https:// with Trustly's %s environment: Trustly refuses notification URLs that are not (734)",
			c.TrustlyEnv)
	}
	if err := c.loadPayNPlay(getenv); err != nil {
		return nil, err
	}
	if v := getenv("TRUSTLY_SANDBOX_ATTRIBUTES"); v != "" {
		if c.TrustlyEnv != "custom" {
			return nil, errors.New("TRUSTLY_SANDBOX_ATTRIBUTES is for a sandbox at a custom TRUSTLY_API_URL or the embedded one, not Trustly's test or live environment")
		}
		if c.SandboxAttributes, err = parseSandboxAttributes(v); err != nil {
			return nil, err
		}
	}
	if err := c.checkResumeAfter(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkResumeAfter refuses a CASHIER_PAYOUT_RESUME_AFTER no longer than the
// Trustly client's call timeout: the janitor would resend a payout while its
// first AccountPayout call may still be on its way (ResumePayouts counts from
// the attempt, which is recorded before the call starts). A sandbox at a custom
// TRUSTLY_API_URL takes a shorter one, as the crash harness needs.
func (c *config) checkResumeAfter() error {
	if c.ResumeAfter == 0 || c.ResumeAfter > trustly.CallTimeout || c.TrustlyEnv == "custom" {
		return nil
	}
	return fmt.Errorf("CASHIER_PAYOUT_RESUME_AFTER %q is not longer than the Trustly client's %s call timeout: the janitor would resend "+
		"a payout while its first call may still be on its way; want more than %s, such as the default 2m "+
		"(a shorter value only with a sandbox at a custom TRUSTLY_API_URL, in tests)", c.ResumeAfter, trustly.CallTimeout, trustly.CallTimeout)
}

// parseSandboxAttributes reads TRUSTLY_SANDBOX_ATTRIBUTES, v: Sandbox…=value
// pairs ("SandboxAutoComplete=1,SandboxScenario=deposit-ok") that the cashier adds
// to every Deposit and SelectAccount, so that a sandbox completes checkouts
// without a browser (the crash harness) or plays a scenario. Nil when v is empty.
// Names and values are checked by the sandbox's rules (sandbox.CheckAttributes),
// and a scenario must be one a Deposit or SelectAccount plays: otherwise the
// sandbox would refuse every one of them (717), or ignore a misspelt name.
func parseSandboxAttributes(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	attrs := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || !strings.HasPrefix(k, "Sandbox") {
			return nil, fmt.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES: %q is not a Sandbox…=value pair", kv)
		}
		if _, dup := attrs[k]; dup {
			return nil, fmt.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES: %s is given twice", k)
		}
		attrs[k] = val
	}
	if sc := attrs["SandboxScenario"]; sc != "" {
		var checkout []string
		for _, info := range sandbox.Scenarios {
			if slices.Contains(info.Kinds, sandbox.KindDeposit) || slices.Contains(info.Kinds, sandbox.KindSelectAccount) {
				checkout = append(checkout, string(info.Name))
			}
		}
		if !slices.Contains(checkout, sc) {
			return nil, fmt.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES: SandboxScenario %s is not one a Deposit or SelectAccount plays, the calls "+
				"these attributes go with: want one of %s (payouts play the sandbox's payout scenario, chosen in the Next payouts "+
				"form of its /sandbox/ page)", sc, strings.Join(checkout, ", "))
		}
	}
	if err := sandbox.CheckAttributes(attrs); err != nil {
		return nil, fmt.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES: %w", err)
	}
	return attrs, nil
}

// bareOrigin returns raw as the origin "scheme://host[:port]", its host in lower
// case, and whether raw is exactly that: an http(s) URL with a host (not a port
// alone, as in "http://:3000", which no browser can open) and nothing
// more (no path, query, fragment or credentials), a port if any from 1 to 65535,
// and no ; , ' or " in the host, which a Content-Security-Policy would read as the
// end of the source. CASHIER_BASE_URL and TRUSTLY_CHECKOUT_ORIGIN are origins.
func bareOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") ||
		strings.ContainsAny(u.Host, ";,'\"") {
		return "", false
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && !validPort(port) {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

// checkListenAddr checks v, the variable name's value, as an address to listen
// on: host:port, the host empty (every interface), an IP address or a host name,
// the port a number from 1 to 65535 (0, any free port, is no use to a scraper nor
// to a browser given a base URL); example is a port to show in the error.
// CASHIER_ADDR, SANDBOX_ADDR and CASHIER_METRICS_ADDR are checked with it.
func checkListenAddr(name, v, example string) error {
	host, port, err := net.SplitHostPort(v)
	_, notIP := netip.ParseAddr(host)
	if err != nil || !validPort(port) || (host != "" && notIP != nil && !validHostName(host)) {
		return fmt.Errorf("%s %q: want host:port with a port from 1 to 65535, such as 127.0.0.1:%s (:%s for every interface)",
			name, v, example, example)
	}
	return nil
}

// sharesPort reports whether listening on a and on b, both checked by
// checkListenAddr, would take the same port: the same port number, and the same
// host or either on every interface. Go listens on every interface, IPv4 and IPv6
// alike, for an empty host, 0.0.0.0 and ::, so such an address overlaps any other
// on its port; 127.0.0.1 and ::1 do not overlap. Host names are not looked up,
// except localhost, which Go listens on as its first IPv4 address, 127.0.0.1; two
// names that resolve to one address are left to the listen to find out.
func sharesPort(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	na, _ := strconv.Atoi(pa)
	nb, _ := strconv.Atoi(pb)
	ha, hb = listenHost(ha), listenHost(hb)
	return na == nb && (ha == "" || hb == "" || ha == hb)
}

// listenHost is h, the host of a listen address, in one spelling: "" for every
// interface, an IP address as netip prints it, 127.0.0.1 for localhost, any other
// name in lower case without a final dot.
func listenHost(h string) string {
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.IsUnspecified() {
			return ""
		}
		return ip.Unmap().String()
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "localhost" {
		return "127.0.0.1"
	}
	return h
}

// validHostName reports whether h is made of letters, digits, dots, hyphens and
// underscores (a container's name may hold one), as a host name is.
func validHostName(h string) bool {
	return strings.Trim(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == ""
}

// validPort reports whether p is a TCP port number, 1 to 65535, in digits only.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && strings.Trim(p, "0123456789") == "" && n >= 1 && n <= 65535
}

// checkoutOrigin reads TRUSTLY_CHECKOUT_ORIGIN, v: the origin of the checkout
// pages, which the CSP lets the cashier's pages frame (frame-src), so it goes
// into that header as it is. A trailing slash is
// dropped, as with CASHIER_BASE_URL.
func checkoutOrigin(v string) (string, error) {
	o, ok := bareOrigin(strings.TrimRight(v, "/"))
	if !ok {
		return "", fmt.Errorf("TRUSTLY_CHECKOUT_ORIGIN %q is not an origin such as https://checkout.example.com (an http(s) scheme, "+
			"a host and a port if any; no path, query or credentials): it is the one site the cashier's pages may frame",
			redactURL(v))
	}
	return o, nil
}

// trustlyCheckoutOrigin checks o, a TRUSTLY_CHECKOUT_ORIGIN checkoutOrigin has
// read, with Trustly's environment env, "test" or "live". Trustly's checkout is
// opened over https (API.md §1.2: the browser opens the checkout URL "with HTTPS
// GET") from Trustly's own hosts, all under trustly.com (API.md §1.1's API hosts;
// §4.1's test checkout URLs, https://test.trustly.com/_/orderclient.php?…). Any
// other origin would have the cashier's pages frame a site
// that is not Trustly's, and would not frame Trustly's checkout.
func trustlyCheckoutOrigin(o, env string) error {
	u, err := url.Parse(o)
	if err != nil {
		return fmt.Errorf("TRUSTLY_CHECKOUT_ORIGIN %s is not a URL", o)
	}
	switch host := strings.TrimSuffix(u.Hostname(), "."); {
	case u.Scheme != "https":
		return fmt.Errorf("TRUSTLY_CHECKOUT_ORIGIN %s: Trustly's %s environment serves its checkout over https only", o, env)
	case host != "trustly.com" && !strings.HasSuffix(host, ".trustly.com"):
		return fmt.Errorf("TRUSTLY_CHECKOUT_ORIGIN %s: Trustly's %s environment serves its checkout from trustly.com or a host "+
			"under it, such as https://test.trustly.com; leave it unset for the default", o, env)
	}
	return nil
}

// sandboxBaseURL is the embedded sandbox's public URL: SANDBOX_BASE_URL v, or
// else http:// and SANDBOX_ADDR addr. The sandbox builds every checkout URL from
// it and the cashier calls its API under it, so it is an http(s) URL with a host
// and a port if any from 1 to 65535, with no query, fragment or credentials. A
// path is kept: it is the prefix a proxy in front of the sandbox strips
// (sandbox.Config.BaseURL). An address on every interface (":8081",
// "0.0.0.0:8081") names no host a browser could reach, so with one v must be set.
func sandboxBaseURL(v, addr string) (string, error) {
	if v == "" {
		if host, _, _ := net.SplitHostPort(addr); listenHost(host) == "" {
			return "", fmt.Errorf("SANDBOX_BASE_URL is not set and SANDBOX_ADDR %s listens on every interface, which is no address for "+
				"a browser: set SANDBOX_BASE_URL to the address browsers use to reach the sandbox, such as http://192.0.2.10:8081", addr)
		}
		return "http://" + addr, nil
	}
	v = strings.TrimRight(v, "/")
	u, err := url.Parse(v)
	if err == nil && u.Opaque == "" && u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.Contains(v, "#") {
		if _, ok := bareOrigin(u.Scheme + "://" + u.Host); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("SANDBOX_BASE_URL %q is not an http(s) URL such as http://192.0.2.10:8081 (a host, a port if any, and a path "+
		"if a proxy strips one; no query or credentials): it is the embedded sandbox's address for browsers and for the cashier", redactURL(v))
}

// sandboxCheckoutOrigin is the checkout origin with the embedded sandbox: that of
// SANDBOX_BASE_URL, from which the sandbox builds every checkout URL it answers
// (sandbox.Config.BaseURL); sandboxBaseURL has checked it. A TRUSTLY_CHECKOUT_ORIGIN
// v naming another origin would make the CSP refuse every checkout frame, so it is
// refused; naming the sandbox's own it changes nothing, and is accepted.
func sandboxCheckoutOrigin(v, sandboxBaseURL string) (string, error) {
	u, err := url.Parse(sandboxBaseURL)
	if err != nil {
		return "", errors.New("SANDBOX_BASE_URL is not a URL")
	}
	want := u.Scheme + "://" + strings.ToLower(u.Host)
	if v == "" {
		return want, nil
	}
	o, err := checkoutOrigin(v)
	if err != nil {
		return "", err
	}
	if o != want {
		return "", fmt.Errorf("TRUSTLY_CHECKOUT_ORIGIN %s: it is the one site the cashier's pages may frame, and the embedded sandbox "+
			"serves its checkout at %s (SANDBOX_BASE_URL), so the browser would refuse every checkout frame; leave "+
			"TRUSTLY_CHECKOUT_ORIGIN unset with the embedded sandbox, and set SANDBOX_BASE_URL to the sandbox's public URL", o, want)
	}
	return want, nil
}

// trustlyEnv names the Trustly environment at the API URL u by its host, however
// the URL is spelt ("https://API.trustly.com/1/"): "test" at test.trustly.com,
// "live" at trustly.com and its other hosts, "custom" anywhere else (a sandbox).
func trustlyEnv(u *url.URL) string {
	switch host := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); {
	case host == "test.trustly.com":
		return "test"
	case host == "trustly.com" || strings.HasSuffix(host, ".trustly.com"):
		return "live"
	}
	return "custom"
}

// minKeyBits is the shortest RSA key taken for TRUSTLY_PRIVATE_KEY and
// TRUSTLY_PUBLIC_KEY: Trustly's keys, and the merchant keys it asks for, are 2048
// bits; a shorter merchant key signs requests others could forge.
const minKeyBits = 2048

// loadKey reads the PEM key in the file the variable name names. Its errors never
// show the variable's value: a key pasted there instead of its file's name must
// not reach the log.
func loadKey[K any](getenv func(string) string, name string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	v := getenv(name)
	if strings.Contains(v, "-----BEGIN") {
		return zero, fmt.Errorf("%s holds a key itself: put the key in a file and set %s to the file's name", name, name)
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", name, fileErr(err))
	}
	k, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// fileErr is err from reading a file named by a variable, without the name: a
// secret set by mistake where its file's name belongs (a password in NAME_FILE)
// must not reach the log through the error.
func fileErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot %s the file it names: %w", pe.Op, pe.Err)
	}
	return err
}

// redactURL is raw for an error message: with its user and password hidden (a
// user alone may be a token, as in https://TOKEN@host), its query hidden too (it
// may carry a token, or a password as PostgreSQL's ?password=), and not shown at
// all when an @ is elsewhere than in a URL's user part, as in
// "user:password@host" without a scheme, which reads as a URL of scheme "user",
// or when a value with a query is no URL at all.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	switch {
	case err == nil && u.User != nil:
		u.User = url.User("xxxxx")
		return u.String()
	case strings.Contains(raw, "@") || (err != nil && strings.Contains(raw, "?")):
		return "(not shown: it may hold credentials)"
	case err == nil:
		return u.String()
	}
	return raw
}

// shopperStatementDefault is sent when CASHIER_SHOPPER_STATEMENT is not set.
const shopperStatementDefault = "Cashier"

// maxShopperStatement bounds CASHIER_SHOPPER_STATEMENT. Trustly shows its own
// 10-digit reference first on the statement line, and many banks cut that line at
// 35 characters: 24 characters of ours survive.
const maxShopperStatement = 24

// parseShopperStatement checks our name for bank statements: 1 to 24 characters,
// letters, digits, spaces and a little punctuation, nothing a bank could garble or
// a statement could not show.
func parseShopperStatement(s string) (string, error) {
	if s == "" {
		return shopperStatementDefault, nil
	}
	bad := s != strings.TrimSpace(s) || strings.Contains(s, "  ") || utf8.RuneCountInString(s) > maxShopperStatement ||
		strings.IndexFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" .,-&'/+():", r)
		}) >= 0
	if bad || !utf8.ValidString(s) {
		return "", fmt.Errorf("CASHIER_SHOPPER_STATEMENT %q: want 1 to %d letters, digits, single spaces or .,-&'/+(): such as \"Casino Example\"",
			s, maxShopperStatement)
	}
	return s, nil
}

// loadWeb reads the web layer's settings.
func (c *config) loadWeb(getenv func(string) string) error {
	var err error
	if c.ShopperStatement, err = parseShopperStatement(getenv("CASHIER_SHOPPER_STATEMENT")); err != nil {
		return err
	}
	for _, p := range strings.Split(getenv("CASHIER_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, perr := netip.ParsePrefix(p)
		if _, aerr := netip.ParseAddr(p); perr != nil && aerr != nil {
			return fmt.Errorf("CASHIER_TRUSTED_PROXIES: %q is not an IP address or CIDR range such as 10.0.0.0/8", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	ints := []struct {
		name     string
		to       *int
		min, max int
	}{
		{"CASHIER_LOGIN_LIMIT", &c.LoginLimit, 1, 10000},
		{"CASHIER_LOGIN_LIMIT_PER_ACCOUNT", &c.LoginLimitPerAccount, 1, 10000},
		{"CASHIER_ORDER_LIMIT", &c.OrderLimit, 1, 10000},
		{"CASHIER_ORDER_LIMIT_PER_IP", &c.OrderLimitPerIP, 1, 100000},
		{"CASHIER_MAX_CONNECTIONS", &c.Server.MaxConnections, 1, 1 << 20},
		{"CASHIER_READ_BUFFER_SIZE", &c.Server.ReadBufferSize, 1024, 1 << 20},
	}
	for _, v := range ints {
		text := getenv(v.name)
		if text == "" {
			continue
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < v.min || n > v.max {
			return fmt.Errorf("%s %q: want a whole number from %d to %d", v.name, text, v.min, v.max)
		}
		*v.to = n
	}
	c.JanitorEvery = time.Minute
	// A Trustly checkout URL lives at most 30 minutes (API.md §4.1): with a longer
	// CASHIER_CHECKOUT_EXPIRY the pages would show "waiting" for a checkout that no
	// longer works.
	durations := []struct {
		name string
		to   *time.Duration
		max  time.Duration
		upTo string // max as the error says it
	}{
		{"CASHIER_READ_TIMEOUT", &c.Server.ReadTimeout, time.Hour, "1h"},
		{"CASHIER_WRITE_TIMEOUT", &c.Server.WriteTimeout, time.Hour, "1h"},
		{"CASHIER_IDLE_TIMEOUT", &c.Server.IdleTimeout, time.Hour, "1h"},
		{"CASHIER_JANITOR_EVERY", &c.JanitorEvery, time.Hour, "1h"},
		{"CASHIER_CHECKOUT_EXPIRY", &c.CheckoutExpiry, cashier.CheckoutExpiry, "30m, the longest a Trustly checkout lives"},
		{"CASHIER_PAYOUT_RESUME_AFTER", &c.ResumeAfter, time.Hour, "1h"},
	}
	for _, v := range durations {
		text := getenv(v.name)
		if text == "" {
			continue
		}
		d, err := time.ParseDuration(text)
		if err != nil || d < time.Second || d > v.max {
			return fmt.Errorf("%s %q: want a duration from 1s to %s, such as 30s", v.name, text, v.upTo)
		}
		*v.to = d
	}
	if text := getenv("CASHIER_SESSION_IDLE"); text != "" {
		d, err := time.ParseDuration(text)
		if err != nil || d < time.Minute || d > 12*time.Hour {
			return fmt.Errorf("CASHIER_SESSION_IDLE %q: want a duration from 1m to 12h, such as 30m", text)
		}
		c.SessionIdle = d
	}
	return nil
}

// sandboxMerchantKey loads the merchant key used with the sandbox, or creates it
// when there is none yet. A file that is there but is no usable key stops the
// start naming it and is left alone: writing a new key over it would hide
// whatever damaged it.
func (c *config) sandboxMerchantKey() error {
	path := filepath.Join(c.DataDir, "merchant-private.pem")
	if _, err := os.Lstat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		k, err := trustly.LoadPrivateKey(path)
		if err != nil {
			return fmt.Errorf("sandbox merchant key %s: %w (remove the file to make a new one)", path, err)
		}
		c.MerchantKey = k
		return nil
	}
	k, err := trustly.GenerateKey()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, trustly.PrivateKeyPEM(k), 0o600); err != nil {
		return fmt.Errorf("keep sandbox merchant key: %w", err)
	}
	c.MerchantKey = k
	return nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// deriveKey stretches one secret into independent keys for each purpose.
func deriveKey(secret, purpose string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		h := hmacSHA256([]byte(secret), fmt.Sprintf("%s/%d", purpose, i))
		out = append(out, h...)
	}
	return out[:n]
}

// defaultBaseURL is the base URL when CASHIER_BASE_URL is not set: the listen
// address itself, so that the URL the banner prints, Trustly's return URLs and the
// host the cashier serves agree (a session cookie of "localhost" is not sent to
// "127.0.0.1"). An address on every interface (":3000", "0.0.0.0:3000") becomes
// localhost.
func defaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// checkDatabaseURL refuses a DATABASE_URL that is a URL of a scheme other than
// PostgreSQL's (mysql://…, sqlite://…): anything not PostgreSQL's is a SQLite file
// path, and such a value would otherwise become a file of that name. A SQLite
// path or file: URI whose query asks for less than the money database needs
// (store.SQLiteDSN: another journal mode than WAL, synchronous below FULL, foreign
// keys off, …) is refused too, naming the parameter; the rest of such a query is
// kept, and the cashier's settings are added to it. The URL itself is not shown:
// a SQLite query may carry a password (_auth_pass).
func checkDatabaseURL(dsn string) error {
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && !store.IsPostgres(dsn) && !strings.HasPrefix(dsn, "file:") &&
		!strings.ContainsAny(scheme, "/\\") {
		return fmt.Errorf("DATABASE_URL %q: want postgres://… (or postgresql://…) for PostgreSQL, or a SQLite file path", redactURL(dsn))
	}
	if !store.IsPostgres(dsn) {
		if _, err := store.SQLiteDSN(dsn); err != nil {
			return fmt.Errorf("DATABASE_URL: %w", err)
		}
	}
	return nil
}

// databaseURL is the database the environment names: DATABASE_URL, or else the
// SQLite file cashier.db in CASHIER_DATA (default "data").
func databaseURL(getenv func(string) string) string {
	if v := getenv("DATABASE_URL"); v != "" {
		return v
	}
	dir := getenv("CASHIER_DATA")
	if dir == "" {
		dir = "data"
	}
	return filepath.Join(dir, "cashier.db")
}
