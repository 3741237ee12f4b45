package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/handlers"
	"github.com/trustly-cashier/cashier/trustly"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigSandboxDefaults(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sandbox() || c.Addr != "127.0.0.1:3000" || c.BaseURL != "http://127.0.0.1:3000" || c.MerchantKey == nil {
		t.Fatalf("got %+v", c)
	}
	if c.CheckoutOrigin != "http://127.0.0.1:8081" {
		t.Errorf("checkout origin: got %q", c.CheckoutOrigin)
	}
	if c.DatabaseURL != filepath.Join(dir, "cashier.db") {
		t.Errorf("database: got %q", c.DatabaseURL)
	}
	// Generated secrets are kept: a restart sees the same token, keys and merchant key.
	again, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if again.NotifyToken != c.NotifyToken || string(again.SessionHash) != string(c.SessionHash) || !again.MerchantKey.Equal(c.MerchantKey) {
		t.Error("secrets changed across restarts")
	}
	if len(c.SessionHash) != 64 || len(c.SessionKey) != 32 || string(c.SessionHash[:32]) == string(c.SessionKey) {
		t.Error("session keys are not independent 64/32-byte keys")
	}
	info, err := os.Stat(filepath.Join(dir, "notify-token"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("notify-token mode %v, want 0600", info.Mode().Perm())
	}
}

func TestConfigTrustly(t *testing.T) {
	dir := t.TempDir()
	k, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub, pwFile := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem"), filepath.Join(dir, "pw")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	writeFile(t, pwFile, []byte("s3cret\n"))
	full := map[string]string{
		"CASHIER_DATA": dir, "TRUSTLY_API_URL": trustly.TestURL, "TRUSTLY_USERNAME": "merchant",
		"TRUSTLY_PASSWORD_FILE": pwFile, "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub,
		"TRUSTLY_NOTIFY_TOKEN": "0123456789abcdef0123", "CASHIER_BASE_URL": "https://cashier.example",
	}
	c, err := loadConfig(env(full), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.CheckoutOrigin != "https://test.trustly.com" {
		t.Errorf("checkout origin: got %q", c.CheckoutOrigin)
	}
	if c.TrustlyEnv != "test" || c.TrustlyPassword != "s3cret" || c.NotifyToken != "0123456789abcdef0123" {
		t.Fatalf("got env %q password %q token %q", c.TrustlyEnv, c.TrustlyPassword, c.NotifyToken)
	}
	for _, tt := range []struct {
		name, key, value, want string
	}{
		{"partial trustly settings", "TRUSTLY_PRIVATE_KEY", "", "or none of them"},
		{"short token", "TRUSTLY_NOTIFY_TOKEN", "short", "at least 16"},
		{"token with slash", "TRUSTLY_NOTIFY_TOKEN", "0123456789abcdef/xyz", "without"},
		{"bad base url", "CASHIER_BASE_URL", "localhost:3000", "not an http(s) URL"},
		{"Trustly needs https", "CASHIER_BASE_URL", "http://127.0.0.1:3000", "must be https"},
		{"unreadable key", "TRUSTLY_PUBLIC_KEY", filepath.Join(dir, "missing.pem"), "TRUSTLY_PUBLIC_KEY"},
	} {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		m[tt.key] = tt.value
		if _, err := loadConfig(env(m), quiet); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigWebSettings(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.ShopperStatement != "Cashier" || c.TrustedProxies != nil || c.LoginLimit != 0 || c.LoginLimitPerAccount != 0 || c.OrderLimit != 0 ||
		c.Server != (handlers.Server{}) || c.SessionIdle != 0 {
		t.Errorf("defaults: statement %q, proxies %v, limits %d/%d, server %+v; want Cashier and zeros (the web layer's defaults)",
			c.ShopperStatement, c.TrustedProxies, c.LoginLimit, c.OrderLimit, c.Server)
	}
	all := map[string]string{"CASHIER_DATA": dir, "CASHIER_SHOPPER_STATEMENT": "Spel & Co. (SE)",
		"CASHIER_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.2 ,,fd00::/8", "CASHIER_LOGIN_LIMIT": "5",
		"CASHIER_LOGIN_LIMIT_PER_ACCOUNT": "7", "CASHIER_ORDER_LIMIT": "4", "CASHIER_ORDER_LIMIT_PER_IP": "40", "CASHIER_MAX_CONNECTIONS": "1000",
		"CASHIER_READ_TIMEOUT": "5s", "CASHIER_WRITE_TIMEOUT": "20s", "CASHIER_IDLE_TIMEOUT": "2m",
		"CASHIER_READ_BUFFER_SIZE": "16384", "CASHIER_SESSION_IDLE": "15m"}
	c, err = loadConfig(env(all), quiet)
	if err != nil {
		t.Fatal(err)
	}
	want := handlers.Server{MaxConnections: 1000, ReadTimeout: 5 * time.Second, WriteTimeout: 20 * time.Second,
		IdleTimeout: 2 * time.Minute, ReadBufferSize: 16384}
	if c.ShopperStatement != "Spel & Co. (SE)" || strings.Join(c.TrustedProxies, " ") != "10.0.0.0/8 192.168.1.2 fd00::/8" ||
		c.LoginLimit != 5 || c.LoginLimitPerAccount != 7 || c.OrderLimit != 4 || c.OrderLimitPerIP != 40 || c.Server != want ||
		c.SessionIdle != 15*time.Minute {
		t.Errorf("got statement %q, proxies %q, limits %d/%d/%d/%d, server %+v, session idle %v", c.ShopperStatement, c.TrustedProxies,
			c.LoginLimit, c.LoginLimitPerAccount, c.OrderLimit, c.OrderLimitPerIP, c.Server, c.SessionIdle)
	}
	for name, bad := range map[string][]string{
		"CASHIER_SHOPPER_STATEMENT":       {"A name longer than 24 chars", " Cashier", "Cash  ier", "Cash\tier", "Cashier<b>", "Cashier\u200b"},
		"CASHIER_TRUSTED_PROXIES":         {"proxy.local", "10.0.0.0/33", "10.0.0.1,*"},
		"CASHIER_LOGIN_LIMIT":             {"0", "-1", "ten"},
		"CASHIER_LOGIN_LIMIT_PER_ACCOUNT": {"0", "-3", "10001", "10 per 15m"},
		"CASHIER_ORDER_LIMIT":             {"0", "1.5"},
		"CASHIER_MAX_CONNECTIONS":         {"0"},
		"CASHIER_READ_BUFFER_SIZE":        {"512"},
		"CASHIER_IDLE_TIMEOUT":            {"0", "90", "500ms", "2h"},
		"CASHIER_SESSION_IDLE":            {"0", "30", "30s", "13h"},
	} {
		for _, v := range bad {
			_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, name: v}), quiet)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v; want one naming %s", name, v, err, name)
			}
		}
	}
	if c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_SHOPPER_STATEMENT": "Åsa Spel 24"}), quiet); err != nil || c.ShopperStatement != "Åsa Spel 24" {
		t.Errorf("a statement with Å: %v", err)
	}
}

// TestConfigStaff: CASHIER_ADMIN_2FA, CASHIER_ADMIN_IDLE and CASHIER_ADMIN_TZ reach the web layer's
// staff settings; anything else is refused by name.
func TestConfigStaff(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil || c.Staff.RequireTOTP || c.Staff.Idle != 0 {
		t.Errorf("defaults: %+v, %v; want zero (the web layer's defaults: optional, 15m)", c.Staff, err)
	}
	c, err = loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_ADMIN_2FA": "required", "CASHIER_ADMIN_IDLE": "5m",
		"CASHIER_ADMIN_TZ": "Europe/Stockholm"}), quiet)
	if err != nil || !c.Staff.RequireTOTP || c.Staff.Idle != 5*time.Minute || c.Staff.Zone == nil || c.Staff.Zone.String() != "Europe/Stockholm" {
		t.Errorf("got %+v, %v; want 2FA required, 5m and Europe/Stockholm", c.Staff, err)
	}
	for name, bad := range map[string][]string{
		"CASHIER_ADMIN_2FA":  {"yes", "on"},
		"CASHIER_ADMIN_IDLE": {"30s", "9h", "15"},
		"CASHIER_ADMIN_TZ":   {"Mars/Olympus", "Local"},
	} {
		for _, v := range bad {
			if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, name: v}), quiet); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v; want one naming %s", name, v, err, name)
			}
		}
	}
}

// TestConfigTOTPKey: the key staff second-factor secrets are sealed with is
// generated once into the data directory and kept, is not the session key, comes
// from CASHIER_TOTP_KEY or its _FILE when set, and a short one stops the start.
func TestConfigTOTPKey(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_SESSION_KEY": strings.Repeat("s", 32)}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TOTPKey) != 32 || string(again.TOTPKey) != string(c.TOTPKey) || string(c.TOTPKey) == string(c.SessionKey) {
		t.Errorf("TOTP key %x, after a restart with another session key %x; want one 32-byte key, kept, not the session key", c.TOTPKey, again.TOTPKey)
	}
	if info, err := os.Stat(filepath.Join(dir, "totp-key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("totp-key: %v, %v; want a file of mode 0600", info, err)
	}
	file := filepath.Join(t.TempDir(), "totp")
	writeFile(t, file, []byte(strings.Repeat("k", 40)+"\n"))
	fromEnv, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_TOTP_KEY": strings.Repeat("k", 40)}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_TOTP_KEY_FILE": file}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if string(fromEnv.TOTPKey) == string(c.TOTPKey) || string(fromFile.TOTPKey) != string(fromEnv.TOTPKey) {
		t.Error("CASHIER_TOTP_KEY and CASHIER_TOTP_KEY_FILE: want the key they give, the same from both")
	}
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_TOTP_KEY": "short"}), quiet); err == nil || !strings.Contains(err.Error(), "CASHIER_TOTP_KEY") {
		t.Errorf("a short CASHIER_TOTP_KEY: %v; want an error naming it", err)
	}
}

// TestConfigLimitPolicy: CASHIER_LIMIT_POLICY changes the built-in deposit-limit
// policies; an unreadable one stops the start.
func TestConfigLimitPolicy(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir()}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if se := c.LimitPolicy.For("SE"); !se.RequireOne || se.RaiseDelay != 72*time.Hour {
		t.Errorf("SE without CASHIER_LIMIT_POLICY: %+v; want the built-in policy", se)
	}
	c, err = loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_LIMIT_POLICY": `{"FI": {"raise_delay": "96h"}}`}), quiet)
	if err != nil || c.LimitPolicy.For("FI").RaiseDelay != 96*time.Hour {
		t.Fatalf("FI raise delay: %v; want 96h", err)
	}
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_LIMIT_POLICY": `{"FI": 3}`}), quiet); err == nil || !strings.Contains(err.Error(), "CASHIER_LIMIT_POLICY") {
		t.Errorf("bad policy: %v; want an error naming CASHIER_LIMIT_POLICY", err)
	}
}

// TestConfigErrorsHideURLCredentials: a URL setting that stops the start is shown
// in its error without the credentials in it, also when they have no scheme before
// them ("merchant:pw@host…" reads as a URL of scheme "merchant") or stand alone as
// the user (a token, as in https://TOKEN@host).
func TestConfigErrorsHideURLCredentials(t *testing.T) {
	dir := t.TempDir()
	k, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	live := map[string]string{
		"CASHIER_DATA": dir, "TRUSTLY_API_URL": trustly.TestURL, "TRUSTLY_USERNAME": "merchant",
		"TRUSTLY_PASSWORD": "pw-0123456789", "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub,
		"TRUSTLY_NOTIFY_TOKEN": "0123456789abcdef0123", "CASHIER_BASE_URL": "https://cashier.example",
	}
	for _, tt := range []struct {
		sandbox          bool
		key, value, hide string
	}{
		{false, "TRUSTLY_API_URL", "merchant:ApiSecret1@test.trustly.com/api/1", "ApiSecret1"},
		{false, "TRUSTLY_API_URL", "https://ApiSecret2@test.trustly.com/api/1", "ApiSecret2"},
		{false, "TRUSTLY_CHECKOUT_ORIGIN", "https://CoSecret3@checkout.trustly.com", "CoSecret3"},
		{false, "TRUSTLY_CHECKOUT_ORIGIN", "u:CoSecret4@checkout.trustly.com", "CoSecret4"},
		{true, "CASHIER_BASE_URL", "cashier:BaseSecret5@cashier.example", "BaseSecret5"},
		{true, "CASHIER_BASE_URL", "https://BaseSecret6@cashier.example", "BaseSecret6"},
		{true, "SANDBOX_BASE_URL", "https://SbSecret7@sandbox.example", "SbSecret7"},
		{true, "SANDBOX_BASE_URL", "sb:SbSecret8@sandbox.example:8081", "SbSecret8"},
	} {
		m := map[string]string{"CASHIER_DATA": dir}
		if !tt.sandbox {
			for k, v := range live {
				m[k] = v
			}
		}
		m[tt.key] = tt.value
		_, err := loadConfig(env(m), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.key) || strings.Contains(err.Error(), tt.hide) {
			t.Errorf("%s=%s: got %v; want an error naming %s without %s", tt.key, tt.value, err, tt.key, tt.hide)
		}
	}
}

// TestConfigSecretShape: the notification token is a path segment of the URL
// Trustly is given, so it is made of the characters a path segment holds as they
// are: one with a space, a percent sign, a control character or a letter outside
// ASCII would reach Trustly escaped, or be refused there, and no notification would
// find its way in. A secret that is only whitespace (a variable templated from
// something empty) is a mistake, not a key or a password. Neither error shows the
// value.
func TestConfigSecretShape(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ key, value string }{
		{"TRUSTLY_NOTIFY_TOKEN", "abcdefghijklmnop qrst"},
		{"TRUSTLY_NOTIFY_TOKEN", "abcdefghijklmnopqrst%2F"},
		{"TRUSTLY_NOTIFY_TOKEN", "abcdefghijklmnopqrst\t"},
		{"TRUSTLY_NOTIFY_TOKEN", "abcdefghijklmnopqrsté"},
		{"TRUSTLY_NOTIFY_TOKEN", "abcdefghijklmnopqrst\"<>"},
		{"TRUSTLY_NOTIFY_TOKEN", strings.Repeat(" ", 20)},
		{"CASHIER_SESSION_KEY", strings.Repeat(" ", 40)},
		{"CASHIER_TOTP_KEY", strings.Repeat(" ", 40)},
		{"CASHIER_ADMIN_PASSWORD", strings.Repeat(" ", 14)},
		{"SANDBOX_ADMIN_PASSWORD", "\t \n"},
	} {
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, tt.key: tt.value}), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.key) || (strings.TrimSpace(tt.value) != "" && strings.Contains(err.Error(), tt.value)) {
			t.Errorf("%s=%q: got %v; want an error naming %s, without the value", tt.key, tt.value, err, tt.key)
		}
	}
	for _, token := range []string{"0123456789abcdef0123", "crash-notify-token-0123456789", "Az09-._~!$&'()*+,;=:@xx"} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "TRUSTLY_NOTIFY_TOKEN": token}), quiet); err != nil {
			t.Errorf("TRUSTLY_NOTIFY_TOKEN=%s: %v", token, err)
		}
	}
}

// quiet is the logger the configuration tests give loadConfig: its warnings are
// checked where they matter (TestDataDirOwnerOnly, TestConfigWarnsOnTheGivenLogger).
var quiet = slog.New(slog.DiscardHandler)

// TestConfigBaseURLCase: CASHIER_BASE_URL is read as browsers read it, its scheme
// and host in any case: "HTTPS://" is https, so the web layer's cookies are
// Secure (main's handlers.Deps once tested for the prefix "https://" as typed).
func TestConfigBaseURLCase(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_BASE_URL": "HTTPS://Cashier.Example.com/"}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://cashier.example.com" {
		t.Errorf("BaseURL = %q; want https://cashier.example.com", c.BaseURL)
	}
}
