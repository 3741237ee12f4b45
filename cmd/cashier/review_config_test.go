package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestReviewConfigListenAddrs: CASHIER_ADDR and SANDBOX_ADDR are checked as
// CASHIER_METRICS_ADDR is (checkListenAddr), so a typo stops the start with an
// error naming the variable. Before, "3000" became the base URL http://3000 and
// failed only at listen time, after the database was opened; "127.0.0.1:0" was
// refused as a CASHIER_BASE_URL nobody had set; a SANDBOX_ADDR of "127.0.0.1:0"
// started a sandbox on a port no checkout URL named. SANDBOX_ADDR is read only
// with the embedded sandbox, which alone listens there.
func TestReviewConfigListenAddrs(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		ok          bool
	}{
		{"CASHIER_ADDR", "127.0.0.1:3001", true},
		{"CASHIER_ADDR", "0.0.0.0:3000", true},
		{"CASHIER_ADDR", "[::1]:3000", true},
		{"CASHIER_ADDR", "localhost:3000", true},
		{"CASHIER_ADDR", "3000", false},
		{"CASHIER_ADDR", "127.0.0.1", false},
		{"CASHIER_ADDR", "127.0.0.1:0", false},
		{"CASHIER_ADDR", "127.0.0.1:65536", false},
		{"CASHIER_ADDR", "127.0.0.1:http", false},
		{"CASHIER_ADDR", "http://127.0.0.1:3000", false},
		{"CASHIER_ADDR", "cashier host:3000", false},
		{"SANDBOX_ADDR", "127.0.0.1:8082", true},
		{"SANDBOX_ADDR", "[::1]:8081", true},
		{"SANDBOX_ADDR", "localhost:8081", true},
		{"SANDBOX_ADDR", "8081", false},
		{"SANDBOX_ADDR", "127.0.0.1:0", false},
		{"SANDBOX_ADDR", "127.0.0.1:99999", false},
		{"SANDBOX_ADDR", "127.0.0.1;8081", false},
	} {
		c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), tt.name: tt.value}), quiet)
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s=%q: %v; want it taken", tt.name, tt.value, err)
		case tt.ok && c.Addr != tt.value && c.SandboxAddr != tt.value:
			t.Errorf("%s=%q: listening on %q and %q; want %q", tt.name, tt.value, c.Addr, c.SandboxAddr, tt.value)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.name)):
			t.Errorf("%s=%q: %v; want an error naming %s", tt.name, tt.value, err, tt.name)
		}
	}
	// With Trustly the embedded sandbox does not run, and its address is not read.
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"SANDBOX_ADDR": "8081"})), quiet); err != nil {
		t.Errorf("SANDBOX_ADDR=8081 with Trustly's test environment: %v; want it ignored", err)
	}
}

// TestReviewConfigMetricsAddrApart: /metrics is never on the cashier's address
// (README), nor on the embedded sandbox's, so CASHIER_METRICS_ADDR on either's port
// is refused at start, by name. Addresses are compared as they are listened on: an
// empty host, 0.0.0.0 and :: are every interface and overlap any host on the same
// port; localhost is 127.0.0.1; 127.0.0.1 and ::1 are apart. Before, the start went
// on to open the database and failed at listen with "address already in use".
// TestSandboxAddrApart: the embedded sandbox on the cashier's port is refused at
// start by name, where it failed at the second listen; with Trustly there is no
// sandbox to listen.
func TestSandboxAddrApart(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		trustly bool
		refused bool
	}{
		{map[string]string{"SANDBOX_ADDR": "127.0.0.1:3000"}, false, true},
		{map[string]string{"CASHIER_ADDR": ":3000", "SANDBOX_ADDR": "127.0.0.1:3000", "SANDBOX_BASE_URL": "http://127.0.0.1:3000"}, false, true},
		{map[string]string{"SANDBOX_ADDR": "127.0.0.1:3001"}, false, false},
		{map[string]string{"SANDBOX_ADDR": "127.0.0.1:3000"}, true, false},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		if tt.trustly {
			m = reviewTrustlyEnv(t, nil)
		}
		maps.Copy(m, tt.env)
		_, err := loadConfig(env(m), quiet)
		switch {
		case !tt.refused && err != nil:
			t.Errorf("%v (Trustly %t): %v; want it taken", tt.env, tt.trustly, err)
		case tt.refused && (err == nil || !strings.Contains(err.Error(), "SANDBOX_ADDR") || !strings.Contains(err.Error(), "CASHIER_ADDR")):
			t.Errorf("%v: %v; want an error naming SANDBOX_ADDR and CASHIER_ADDR", tt.env, err)
		}
	}
}

func TestReviewConfigMetricsAddrApart(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		trustly bool   // Trustly's test environment, not the embedded sandbox
		refused string // the other variable named, or "" for started
	}{
		{map[string]string{"CASHIER_METRICS_ADDR": "127.0.0.1:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": ":3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "0.0.0.0:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "[::]:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "localhost:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "[::ffff:127.0.0.1]:03000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_ADDR": ":3000", "CASHIER_METRICS_ADDR": "127.0.0.1:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_ADDR": "0.0.0.0:3000", "CASHIER_METRICS_ADDR": "[::1]:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_ADDR": "Cashier.Internal.:3000", "CASHIER_METRICS_ADDR": "cashier.internal:3000"}, false, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_ADDR": ":3000", "CASHIER_METRICS_ADDR": "127.0.0.1:3000"}, true, "CASHIER_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "127.0.0.1:8081"}, false, "SANDBOX_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": ":8081"}, false, "SANDBOX_ADDR"},
		{map[string]string{"SANDBOX_ADDR": "0.0.0.0:8082", "SANDBOX_BASE_URL": "http://127.0.0.1:8082",
			"CASHIER_METRICS_ADDR": "localhost:8082"}, false, "SANDBOX_ADDR"},
		{map[string]string{"CASHIER_METRICS_ADDR": "127.0.0.2:3000"}, false, ""},
		{map[string]string{"CASHIER_METRICS_ADDR": "[::1]:3000"}, false, ""},
		{map[string]string{"CASHIER_METRICS_ADDR": "127.0.0.1:3001"}, false, ""},
		{map[string]string{"CASHIER_METRICS_ADDR": ":9100"}, false, ""},
		{map[string]string{"CASHIER_ADDR": "cashier.internal:3000", "CASHIER_METRICS_ADDR": "metrics.internal:3000"}, false, ""},
		{map[string]string{"CASHIER_METRICS_ADDR": "127.0.0.1:8081"}, true, ""}, // no sandbox listens there
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		if tt.trustly {
			m = reviewTrustlyEnv(t, nil)
		}
		for k, v := range tt.env {
			m[k] = v
		}
		_, err := loadConfig(env(m), quiet)
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%v (Trustly %t): %v; want it taken", tt.env, tt.trustly, err)
		case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), "CASHIER_METRICS_ADDR") || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%v (Trustly %t): %v; want an error naming CASHIER_METRICS_ADDR and %s", tt.env, tt.trustly, err, tt.refused)
		}
	}
}

// TestReviewConfigSandboxBaseURL: SANDBOX_BASE_URL is checked at start, by name,
// as an http(s) URL with a host, a port if any and a path if a proxy strips one
// (sandbox.Config.BaseURL: the path is a mount prefix). The checkout origin is
// its origin, without the path. Left unset with SANDBOX_ADDR on every interface,
// the default would be http://:8081, so the start stops and says to set it.
// Before, that default and any other value were taken, and the web layer refused
// the first one, and any URL with a path, with an error that named no variable.
func TestReviewConfigSandboxBaseURL(t *testing.T) {
	for _, tt := range []struct {
		env          map[string]string
		base, origin string
	}{
		{map[string]string{}, "http://127.0.0.1:8081", "http://127.0.0.1:8081"},
		{map[string]string{"SANDBOX_ADDR": "localhost:8082"}, "http://localhost:8082", "http://localhost:8082"},
		{map[string]string{"SANDBOX_ADDR": "[::1]:8081"}, "http://[::1]:8081", "http://[::1]:8081"},
		{map[string]string{"SANDBOX_ADDR": ":8081", "SANDBOX_BASE_URL": "http://192.0.2.10:8081/"}, "http://192.0.2.10:8081", "http://192.0.2.10:8081"},
		{map[string]string{"SANDBOX_BASE_URL": "https://Sandbox.Example/trustly-sandbox/"}, "https://Sandbox.Example/trustly-sandbox", "https://sandbox.example"},
		{map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example/trustly-sandbox", "TRUSTLY_CHECKOUT_ORIGIN": "https://sandbox.example"},
			"https://sandbox.example/trustly-sandbox", "https://sandbox.example"},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		for k, v := range tt.env {
			m[k] = v
		}
		c, err := loadConfig(env(m), quiet)
		if err != nil || c.SandboxBaseURL != tt.base || c.CheckoutOrigin != tt.origin {
			t.Errorf("%v: %v; want base URL %q and checkout origin %q", tt.env, err, tt.base, tt.origin)
			continue
		}
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SANDBOX_ADDR": ":8081"}, "set SANDBOX_BASE_URL to the address browsers use"},
		{map[string]string{"SANDBOX_ADDR": "0.0.0.0:8081"}, "set SANDBOX_BASE_URL to the address browsers use"},
		{map[string]string{"SANDBOX_ADDR": "[::]:8081"}, "set SANDBOX_BASE_URL to the address browsers use"},
		{map[string]string{"SANDBOX_BASE_URL": "sandbox.example"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "ftp://sandbox.example"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "http://:8081"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "http:///trustly-sandbox"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example/?x=1"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example/#top"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example:99999"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "https://sandbox.example;script-src"}, "SANDBOX_BASE_URL"},
		{map[string]string{"SANDBOX_BASE_URL": "https://ops:hunter2@sandbox.example"}, "SANDBOX_BASE_URL"},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		for k, v := range tt.env {
			m[k] = v
		}
		_, err := loadConfig(env(m), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v; want an error containing %q", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: the error shows the password: %v", tt.env, err)
		}
	}
	// With Trustly the embedded sandbox does not run, and neither is read.
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"SANDBOX_ADDR": ":8081", "SANDBOX_BASE_URL": "sandbox.example"})), quiet); err != nil {
		t.Errorf("SANDBOX_ADDR=:8081 without SANDBOX_BASE_URL with Trustly's test environment: %v; want them ignored", err)
	}
}

// TestRunSandboxBehindPrefix: the embedded sandbox behind a proxy that strips a
// path prefix, SANDBOX_BASE_URL naming that path, as sandbox.Config.BaseURL
// allows. The cashier calls the sandbox's API under the path, the checkout URL has
// it, and the page's CSP frames the proxy's origin. Before, the checkout origin
// was SANDBOX_BASE_URL whole, and the web layer refused it at start ("Trustly
// origin … is not an origin").
func TestRunSandboxBehindPrefix(t *testing.T) {
	sbAddr := freeaddr.Addr(t)
	proxy := httptest.NewServer(http.StripPrefix("/trustly-sandbox",
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: sbAddr})))
	t.Cleanup(proxy.Close)
	base := startRun(t, map[string]string{"SANDBOX_ADDR": sbAddr, "SANDBOX_BASE_URL": proxy.URL + "/trustly-sandbox/"})
	checkout, csp := startDeposit(t, base)
	if !strings.HasPrefix(checkout, proxy.URL+"/trustly-sandbox/checkout/") {
		t.Errorf("checkout URL %q; want it under %s/trustly-sandbox/", checkout, proxy.URL)
	}
	if !strings.Contains(csp, "frame-src "+proxy.URL+";") {
		t.Errorf("CSP %q; want frame-src %s", csp, proxy.URL)
	}
	resp, err := http.Get(checkout)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d\n%s", checkout, resp.StatusCode, body)
	}
}

// TestReviewConfigTrustlyCheckoutOrigin: with Trustly's test or live environment,
// TRUSTLY_CHECKOUT_ORIGIN names Trustly's checkout, which is served over https
// from hosts under trustly.com (API.md §1.2, §4.1), so anything else is refused at
// start, by name. Before, http:// or any host was taken, and the CSP let the
// cashier's pages frame, and post to, that site. A custom TRUSTLY_API_URL (a
// sandbox) may still name any origin (TestReviewConfigCheckoutOrigin).
func TestReviewConfigTrustlyCheckoutOrigin(t *testing.T) {
	const test, live = trustly.TestURL, trustly.LiveURL
	for _, tt := range []struct {
		api, origin, want string // want: the checkout origin, or "" for refused
	}{
		{test, "https://test.trustly.com", "https://test.trustly.com"},
		{test, "https://checkout.test.trustly.com/", "https://checkout.test.trustly.com"},
		{test, "https://Trustly.com", "https://trustly.com"},
		{live, "https://trustly.com", "https://trustly.com"},
		{live, "https://checkout.trustly.com:443", "https://checkout.trustly.com:443"},
		{"https://trustly-sandbox.example/api/1", "http://checkout.trustly-sandbox.example", "http://checkout.trustly-sandbox.example"},
		{test, "http://test.trustly.com", ""},
		{live, "http://trustly.com", ""},
		{test, "https://checkout.example", ""},
		{test, "https://eviltrustly.com", ""},
		{live, "https://trustly.com.evil.example", ""},
		{live, "https://trustly.example", ""},
	} {
		c, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": tt.api, "TRUSTLY_CHECKOUT_ORIGIN": tt.origin})), quiet)
		switch {
		case tt.want != "" && (err != nil || c.CheckoutOrigin != tt.want):
			t.Errorf("%s with %s: %v; want checkout origin %q", tt.origin, tt.api, err, tt.want)
		case tt.want == "" && (err == nil || !strings.Contains(err.Error(), "TRUSTLY_CHECKOUT_ORIGIN")):
			t.Errorf("%s with %s: %v; want an error naming TRUSTLY_CHECKOUT_ORIGIN", tt.origin, tt.api, err)
		}
	}
}

// TestReviewConfigSandboxAttributeValues: TRUSTLY_SANDBOX_ATTRIBUTES is checked by
// the sandbox's own rules (sandbox.CheckAttributes) at start, with the embedded
// sandbox and with one at a custom TRUSTLY_API_URL, and its scenario must be one a
// Deposit or SelectAccount plays, the calls the attributes go with. The error
// names the setting and the attribute and lists what is taken. Before, a typo
// ("SandboxScenario=typo", "SandboxAutoComplete=yes") had every Deposit refused
// with 717 later, a payout's scenario did the same, and a misspelt name
// ("SandboxAutoCompete") was ignored, leaving checkouts to wait for a browser.
func TestReviewConfigSandboxAttributeValues(t *testing.T) {
	for _, ok := range []string{"SandboxScenario=select-cancel", "SandboxScenario=merchant-unreachable,SandboxAutoComplete=1",
		"SandboxPerson=fi-adult2, SandboxKYCTimeout=5s, SandboxKYCResend=300ms", "SandboxDelay=500ms,SandboxShuffle=0"} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "TRUSTLY_SANDBOX_ATTRIBUTES": ok}), quiet); err != nil {
			t.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES=%q: %v; want it taken", ok, err)
		}
	}
	for _, tt := range []struct {
		value string
		want  []string
	}{
		{"SandboxAutoComplete=1,SandboxScenario=typo", []string{"SandboxScenario typo", "deposit-ok, deposit-delayed"}},
		{"SandboxAutoComplete=yes", []string{"SandboxAutoComplete", `"1" or "0"`}},
		{"SandboxPerson=se-adult3", []string{"SandboxPerson se-adult3", "se-adult, se-adult2"}},
		{"SandboxDelay=5", []string{"SandboxDelay", "500ms"}},
		{"SandboxAutoCompete=1", []string{"SandboxAutoCompete", "SandboxAutoComplete"}},
		{"SandboxScenario =deposit-ok", []string{"SandboxScenario ", "not a sandbox attribute"}},
		{"SandboxScenario=payout-failed", []string{"SandboxScenario payout-failed", "Deposit or SelectAccount", "deposit-ok", "select-cancel", "slow-api"}},
	} {
		for _, m := range []map[string]string{
			{"CASHIER_DATA": t.TempDir(), "TRUSTLY_SANDBOX_ATTRIBUTES": tt.value},
			reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": "https://trustly-sandbox.example/api/1", "TRUSTLY_SANDBOX_ATTRIBUTES": tt.value}),
		} {
			_, err := loadConfig(env(m), quiet)
			if err == nil {
				t.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES=%q (API %q): no error", tt.value, m["TRUSTLY_API_URL"])
				continue
			}
			for _, want := range append(tt.want, "TRUSTLY_SANDBOX_ATTRIBUTES") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES=%q (API %q): %v; want an error containing %q", tt.value, m["TRUSTLY_API_URL"], err, want)
				}
			}
			if strings.Contains(err.Error(), "payout-failed, ") {
				t.Errorf("TRUSTLY_SANDBOX_ATTRIBUTES=%q: %v; want only the scenarios a checkout plays listed", tt.value, err)
			}
		}
	}
}

// TestReviewConfigSQLiteURLSafety: a SQLite DATABASE_URL with a query that asks
// for less than the money database needs (another journal mode than WAL,
// synchronous below FULL, foreign keys off, deferred transactions) stops the
// start with an error naming DATABASE_URL and the parameter, before anything is
// opened; one that asks for nothing of the kind is taken, and opened with the
// cashier's settings (store.TestSQLiteURLKeepsSafetySettings). Such a URL was
// taken and opened as given, without any of them.
func TestReviewConfigSQLiteURLSafety(t *testing.T) {
	dir := t.TempDir()
	for _, q := range []string{"_journal_mode=DELETE", "_synchronous=NORMAL", "_foreign_keys=off", "_txlock=deferred", "_busy_timeout=0"} {
		v := "file:" + dir + "/x.db?" + q
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "DATABASE_URL": v}), quiet)
		key, _, _ := strings.Cut(q, "=")
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), key) {
			t.Errorf("DATABASE_URL %q: %v; want an error naming DATABASE_URL and %s", v, err, key)
		}
	}
	for _, v := range []string{"file:" + dir + "/y.db", dir + "/z.db?cache=private&_busy_timeout=20000", "file:" + dir + "/w.db?_sync=EXTRA"} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "DATABASE_URL": v}), quiet); err != nil {
			t.Errorf("DATABASE_URL %q: %v; want it taken", v, err)
		}
	}
}
