package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

// reviewTrustlyEnv is a complete set of Trustly settings (test environment, an
// https base URL) in a fresh data directory, with extra on top.
func reviewTrustlyEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	k, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	m := map[string]string{"CASHIER_DATA": dir, "CASHIER_BASE_URL": "https://cashier.example", "TRUSTLY_API_URL": trustly.TestURL,
		"TRUSTLY_USERNAME": "merchant", "TRUSTLY_PASSWORD": "pw", "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// TestReviewTrustlyEnvByHost: Trustly's environment is told by the API URL's
// host, not by its exact spelling. "https://api.trustly.com/1/" (a trailing slash)
// or an upper-case host is live Trustly all the same: it needs an https base URL,
// its checkout is framed from trustly.com, and sandbox attributes are refused.
// Before, any other spelling was "custom": no https check, the CSP framing
// api.trustly.com (so the live checkout did not show), and Sandbox… attributes
// sent to live Trustly.
func TestReviewTrustlyEnvByHost(t *testing.T) {
	for _, tt := range []struct{ url, env, origin string }{
		{trustly.LiveURL + "/", "live", "https://trustly.com"},
		{"https://API.Trustly.com/1", "live", "https://trustly.com"},
		{"https://trustly.com/api/1/", "live", "https://trustly.com"},
		{"https://test.trustly.com/api/1/", "test", "https://test.trustly.com"},
		{"https://TEST.TRUSTLY.COM/api/1", "test", "https://test.trustly.com"},
		{"https://trustly-sandbox.example/api/1", "custom", "https://trustly-sandbox.example"},
	} {
		c, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": tt.url})), quiet)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if c.TrustlyEnv != tt.env || c.CheckoutOrigin != tt.origin {
			t.Errorf("%s: environment %q, checkout origin %q; want %q, %q", tt.url, c.TrustlyEnv, c.CheckoutOrigin, tt.env, tt.origin)
		}
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"live with a trailing slash over http", map[string]string{"TRUSTLY_API_URL": trustly.LiveURL + "/", "CASHIER_BASE_URL": "http://cashier.example"}, "must be https"},
		{"sandbox attributes to live", map[string]string{"TRUSTLY_API_URL": "https://api.trustly.com/1/", "TRUSTLY_SANDBOX_ATTRIBUTES": "SandboxAutoComplete=1"}, "TRUSTLY_SANDBOX_ATTRIBUTES"},
		{"Trustly over plain http", map[string]string{"TRUSTLY_API_URL": "http://test.trustly.com/api/1"}, "TRUSTLY_API_URL"},
	} {
		if _, err := loadConfig(env(reviewTrustlyEnv(t, tt.env)), quiet); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestReviewTrustlyTestNeedsHTTPS: Trustly's test environment refuses a
// NotificationURL that is not https (734) as live does, so with it an http base
// URL would start a cashier whose every deposit fails: it is refused at start.
func TestReviewTrustlyTestNeedsHTTPS(t *testing.T) {
	m := reviewTrustlyEnv(t, nil)
	delete(m, "CASHIER_BASE_URL") // http://127.0.0.1:3000
	if _, err := loadConfig(env(m), quiet); err == nil || !strings.Contains(err.Error(), "must be https") {
		t.Errorf("test environment with an http base URL: %v; want an error saying it must be https", err)
	}
}

// TestReviewBaseURLShape: the base URL is an origin. Every route and redirect is
// at the root, so a path ("https://example.com/cashier") gives a cashier whose
// notification and return URLs work only behind a prefix-stripping proxy and
// whose own redirects never do; a query breaks the notification URL (Trustly
// refuses '?'); credentials would be printed in the banner. Its host and port
// follow the rule TRUSTLY_CHECKOUT_ORIGIN's do (TestReviewConfigCheckoutOrigin).
func TestReviewBaseURLShape(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"https://cashier.example/play", "https://cashier.example/?x=1", "https://cashier.example#top",
		"https://ops:hunter2@cashier.example", "https://cashier.example:99999", "https://cashier.example;x", "http://:3000"} {
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_BASE_URL": bad}), quiet)
		if err == nil || !strings.Contains(err.Error(), "CASHIER_BASE_URL") {
			t.Errorf("CASHIER_BASE_URL=%q: %v; want an error naming CASHIER_BASE_URL", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CASHIER_BASE_URL=%q: the error shows the password: %v", bad, err)
		}
	}
	if c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_BASE_URL": "https://cashier.example:8443/"}), quiet); err != nil ||
		c.BaseURL != "https://cashier.example:8443" {
		t.Errorf("an origin with a port and a trailing slash: %+v, %v", c, err)
	}
}

// TestReviewConfigErrorsKeepSecrets: an error at start goes to the log, so it
// never holds a secret, even one put by mistake where a file name or URL was
// expected: a PEM key in TRUSTLY_PRIVATE_KEY (documented as a file) or in a
// register's _KEY, a secret value in NAME_FILE, credentials in a URL.
func TestReviewConfigErrorsKeepSecrets(t *testing.T) {
	k, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(trustly.PrivateKeyPEM(k))
	body := strings.Split(keyPEM, "\n")[3] // a line of the key's base64
	const pw = "hunter2-hunter2-hunter2-hunter2-hunter2"
	cert := filepath.Join(t.TempDir(), "cert.pem")
	writeFile(t, cert, trustly.PublicKeyPEM(&k.PublicKey))
	for _, tt := range []struct {
		name   string
		env    map[string]string
		secret string
	}{
		{"key in TRUSTLY_PRIVATE_KEY", map[string]string{"TRUSTLY_PRIVATE_KEY": keyPEM}, body},
		{"one-line key in TRUSTLY_PRIVATE_KEY", map[string]string{"TRUSTLY_PRIVATE_KEY": strings.ReplaceAll(keyPEM, "\n", "")}, body},
		{"key without its PEM lines in TRUSTLY_PRIVATE_KEY", map[string]string{"TRUSTLY_PRIVATE_KEY": strings.Join(strings.Split(keyPEM, "\n")[1:5], "")}, body},
		{"password in TRUSTLY_PASSWORD_FILE", map[string]string{"TRUSTLY_PASSWORD": "", "TRUSTLY_PASSWORD_FILE": pw}, pw},
		{"session key in CASHIER_SESSION_KEY_FILE", map[string]string{"CASHIER_SESSION_KEY_FILE": pw}, pw},
		{"admin password in CASHIER_ADMIN_PASSWORD_FILE", map[string]string{"CASHIER_ADMIN_PASSWORD_FILE": pw}, pw},
		{"credentials in TRUSTLY_API_URL", map[string]string{"TRUSTLY_API_URL": "https://merchant:" + pw + "@trustly-sandbox.example/api/1"}, pw},
		{"credentials in a register's URL", map[string]string{"CASHIER_PAYNPLAY": "SE=hybrid", "CASHIER_SPELPAUS_URL": "https://ops:" + pw + "@spelpaus.example"}, pw},
		{"key in a register's _KEY", map[string]string{"CASHIER_PAYNPLAY": "SE=hybrid", "CASHIER_SPELPAUS_URL": "https://spelpaus.example",
			"CASHIER_SPELPAUS_CERT": cert, "CASHIER_SPELPAUS_KEY": keyPEM}, body},
	} {
		_, err := loadConfig(env(reviewTrustlyEnv(t, tt.env)), quiet)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if strings.Contains(err.Error(), tt.secret) || strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: the error shows the secret:\n%v", tt.name, err)
		}
	}
	// The errors still say which setting is wrong, and what to do about a key.
	missing := filepath.Join(t.TempDir(), "missing.pem")
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_PUBLIC_KEY": missing})), quiet); err == nil ||
		!strings.Contains(err.Error(), "TRUSTLY_PUBLIC_KEY") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing public key file: %v; want an error naming TRUSTLY_PUBLIC_KEY and saying the file is missing", err)
	}
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_PRIVATE_KEY": keyPEM})), quiet); err == nil ||
		!strings.Contains(err.Error(), "holds a key itself") {
		t.Errorf("a key in TRUSTLY_PRIVATE_KEY: %v; want an error saying to put it in a file", err)
	}
}

// TestReviewLimitsConsistent: CASHIER_LIMITS gives a consistent set whatever is
// left out. A deposit range that leaves out default quick picks drops them (before,
// EUR deposits of 50–75 offered buttons of 10, 25 and 100 that every press
// refused), and an approval threshold above the default two-person one is refused
// as the same pair written out is.
func TestReviewLimitsConsistent(t *testing.T) {
	got, err := parseLimits(`{"EUR": {"deposit": ["50", "75"]}, "SEK": {"deposit": ["200", "300"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	for cur, want := range map[string][]int64{"EUR": {5000}, "SEK": {25000}} {
		var picks []int64
		for _, m := range got[cur].QuickPicks {
			picks = append(picks, m.Minor)
		}
		if fmt.Sprint(picks) != fmt.Sprint(want) {
			t.Errorf("%s quick picks %v; want %v, the defaults inside the deposit range", cur, picks, want)
		}
	}
	if _, err := parseLimits(`{"SEK": {"approval_above": "20000"}}`); err == nil || !strings.Contains(err.Error(), "below approval_above") {
		t.Errorf("approval above the default two-person threshold: %v; want an error", err)
	}
	if l, err := parseLimits(`{"SEK": {"approval_above": "20000", "approval_two_person_above": "0"}}`); err != nil || l["SEK"].ApprovalAbove.Minor != 2000000 {
		t.Errorf("approval 20000 with two-person approval off: %v, %v", l, err)
	}
}

// TestReviewConfigCheckoutOrigin: TRUSTLY_CHECKOUT_ORIGIN goes into the CSP as it
// is, so it is refused at configuration time, by name, unless it is an origin as
// the base URL is (a trailing slash is dropped, the host put in lower case).
// Before, a path, a query or a ';' reached the web layer, whose error did not say
// which setting was wrong, and a port such as 99999 was taken.
func TestReviewConfigCheckoutOrigin(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://checkout.trustly-sandbox.example", "https://checkout.trustly-sandbox.example"},
		{"https://Checkout.Example:8443/", "https://checkout.example:8443"},
		{"http://[::1]:8081", "http://[::1]:8081"},
	} {
		c, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": "https://trustly-sandbox.example/api/1",
			"TRUSTLY_CHECKOUT_ORIGIN": tt.in})), quiet)
		if err != nil || c.CheckoutOrigin != tt.want {
			t.Errorf("TRUSTLY_CHECKOUT_ORIGIN=%q: %v; want checkout origin %q", tt.in, err, tt.want)
		}
	}
	for _, bad := range []string{"checkout.example", "ftp://checkout.example", "https://checkout.example/checkout",
		"https://checkout.example/?x=1", "https://checkout.example#top", "https://checkout.example;script-src", "https://checkout.example,x",
		"https://checkout.example:99999", "https://checkout.example:0", "https://checkout.example:", "https://ops:hunter2@checkout.example",
		"https://:8443"} {
		// At a custom TRUSTLY_API_URL, where only the origin's shape is checked: with
		// Trustly's own environments the host must be under trustly.com as well, which
		// would refuse each of these whatever its shape.
		_, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": "https://trustly-sandbox.example/api/1",
			"TRUSTLY_CHECKOUT_ORIGIN": bad})), quiet)
		if err == nil || !strings.Contains(err.Error(), "TRUSTLY_CHECKOUT_ORIGIN") {
			t.Errorf("TRUSTLY_CHECKOUT_ORIGIN=%q: %v; want an error naming TRUSTLY_CHECKOUT_ORIGIN", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("TRUSTLY_CHECKOUT_ORIGIN=%q: the error shows the password: %v", bad, err)
		}
	}
}

// TestReviewConfigSandboxCheckoutOrigin: with the embedded sandbox the checkout is
// wherever SANDBOX_BASE_URL says (the sandbox builds every checkout URL from it),
// so a TRUSTLY_CHECKOUT_ORIGIN naming another origin is refused by name: before,
// it was taken silently, the CSP framed only that origin, and the browser refused
// every checkout. The sandbox's own origin, however spelt, changes nothing and is
// accepted; one that is no origin at all is refused as with Trustly.
func TestReviewConfigSandboxCheckoutOrigin(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"the sandbox's origin", map[string]string{"TRUSTLY_CHECKOUT_ORIGIN": "http://127.0.0.1:8081"}, true},
		{"the sandbox's origin spelt otherwise", map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example/",
			"TRUSTLY_CHECKOUT_ORIGIN": "https://Sandbox.Example/"}, true},
		{"Trustly's test checkout", map[string]string{"TRUSTLY_CHECKOUT_ORIGIN": "https://test.trustly.com"}, false},
		{"another port", map[string]string{"TRUSTLY_CHECKOUT_ORIGIN": "http://127.0.0.1:8082"}, false},
		{"localhost for 127.0.0.1", map[string]string{"TRUSTLY_CHECKOUT_ORIGIN": "http://localhost:8081"}, false},
		{"the public URL's host, not the listen address", map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example",
			"TRUSTLY_CHECKOUT_ORIGIN": "http://127.0.0.1:8081"}, false},
		{"no origin", map[string]string{"TRUSTLY_CHECKOUT_ORIGIN": "http://127.0.0.1:8081/checkout"}, false},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		for k, v := range tt.env {
			m[k] = v
		}
		c, err := loadConfig(env(m), quiet)
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v; want the cashier to start", tt.name, err)
		case tt.ok && c.CheckoutOrigin != c.SandboxBaseURL:
			t.Errorf("%s: checkout origin %q; want the sandbox's %q", tt.name, c.CheckoutOrigin, c.SandboxBaseURL)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "TRUSTLY_CHECKOUT_ORIGIN")):
			t.Errorf("%s: %v; want an error naming TRUSTLY_CHECKOUT_ORIGIN", tt.name, err)
		}
	}
}

// TestReviewConfigSandboxAttributes: the embedded sandbox is the sandbox a custom
// TRUSTLY_API_URL may point at and honours the same attributes, so
// TRUSTLY_SANDBOX_ATTRIBUTES is read with it as with that one: its pairs go with
// every Deposit and SelectAccount, and a pair that is not Sandbox…=value stops the
// start. Before, with the embedded sandbox it was ignored without a word, typos
// included, and checkouts waited for a browser.
func TestReviewConfigSandboxAttributes(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(),
		"TRUSTLY_SANDBOX_ATTRIBUTES": "SandboxAutoComplete=1, SandboxScenario=deposit-cancel"}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.SandboxAttributes); !c.Sandbox() || got != "map[SandboxAutoComplete:1 SandboxScenario:deposit-cancel]" {
		t.Errorf("embedded sandbox: attributes %s; want SandboxAutoComplete 1 and SandboxScenario deposit-cancel", got)
	}
	if c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir()}), quiet); err != nil || c.SandboxAttributes != nil {
		t.Errorf("embedded sandbox without TRUSTLY_SANDBOX_ATTRIBUTES: attributes %v, %v; want none", c.SandboxAttributes, err)
	}
	for _, bad := range []string{"AutoComplete=1", "SandboxAutoComplete", "SandboxAutoComplete=1,,SandboxShuffle=1"} {
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "TRUSTLY_SANDBOX_ATTRIBUTES": bad}), quiet)
		if err == nil || !strings.Contains(err.Error(), "TRUSTLY_SANDBOX_ATTRIBUTES") {
			t.Errorf("embedded sandbox, TRUSTLY_SANDBOX_ATTRIBUTES=%q: %v; want an error naming TRUSTLY_SANDBOX_ATTRIBUTES", bad, err)
		}
	}
	// A sandbox at a custom TRUSTLY_API_URL reads them the same way.
	c, err = loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": "https://trustly-sandbox.example/api/1",
		"TRUSTLY_SANDBOX_ATTRIBUTES": "SandboxAutoComplete=1"})), quiet)
	if err != nil || c.TrustlyEnv != "custom" || c.SandboxAttributes["SandboxAutoComplete"] != "1" {
		t.Errorf("custom sandbox: %v; want SandboxAutoComplete 1", err)
	}
}

// TestReviewConfigMetricsAddr: CASHIER_METRICS_ADDR is checked with the other
// settings, so a typo stops the start with an error naming it. Before, it was
// read only when /metrics was served, after the database was opened and migrated,
// and "9100" or "127.0.0.1:0" (any free port, which no scraper finds) were taken
// to the listen or served.
func TestReviewConfigMetricsAddr(t *testing.T) {
	dir := t.TempDir()
	for _, good := range []string{"", "127.0.0.1:9100", ":9100", "0.0.0.0:9100", "[::1]:9100", "[::]:65535", "localhost:9100",
		"metrics_exporter.internal:1"} {
		c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_METRICS_ADDR": good}), quiet)
		if err != nil || c.MetricsAddr != good {
			t.Errorf("CASHIER_METRICS_ADDR=%q: %v; want it taken", good, err)
		}
	}
	for _, bad := range []string{"9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:+80",
		"127.0.0.1:9100/metrics", "http://127.0.0.1:9100", "::1:9100", "metrics host:9100", "127.0.0.1;9100"} {
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_METRICS_ADDR": bad}), quiet)
		if err == nil || !strings.Contains(err.Error(), "CASHIER_METRICS_ADDR") {
			t.Errorf("CASHIER_METRICS_ADDR=%q: %v; want an error naming CASHIER_METRICS_ADDR", bad, err)
		}
	}
}

// TestReviewConfigAdminOwner: CASHIER_ADMIN_EMAIL and CASHIER_ADMIN_PASSWORD are
// checked with the rest of the configuration, before the database is opened, and
// a bad one stops the start with an error naming the variable, as every other
// setting's does. Before, the start opened and migrated the database, then
// stopped with "ensure owner admin@example.com: Choose a password of 12 to 72
// characters.", a sentence of the Staff page naming no setting.
func TestReviewConfigAdminOwner(t *testing.T) {
	for _, tt := range []struct {
		email, password, want string
	}{
		{"", "short", "CASHIER_ADMIN_PASSWORD"},
		{"", strings.Repeat("p", 129), "CASHIER_ADMIN_PASSWORD"},
		{"not an email", "long-enough-password", "CASHIER_ADMIN_EMAIL"},
	} {
		data := t.TempDir()
		vars := map[string]string{"CASHIER_DATA": data, "CASHIER_ADMIN_EMAIL": tt.email, "CASHIER_ADMIN_PASSWORD": tt.password}
		err := run(t.Context(), env(vars), io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("email %q, password of %d characters: %v; want an error naming %s", tt.email, len(tt.password), err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.password) {
			t.Errorf("the error shows the password: %v", err)
		}
		if _, err := os.Stat(filepath.Join(data, "cashier.db")); err == nil {
			t.Errorf("email %q, password of %d characters: the database was opened before the setting was checked", tt.email, len(tt.password))
		}
	}
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_ADMIN_EMAIL": " Owner@Example.com ",
		"CASHIER_ADMIN_PASSWORD": "long-enough-password"}), quiet)
	if err != nil || c.AdminEmail != "owner@example.com" {
		t.Errorf("a good owner: %v, email %q; want it taken, the email as the Staff page keeps it", err, c.AdminEmail)
	}
}
