package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sandbox() || c.Addr != "127.0.0.1:3000" || c.BaseURL != "http://localhost:3000" || c.MerchantKey == nil {
		t.Fatalf("got %+v", c)
	}
	if c.CheckoutOrigin != "http://127.0.0.1:8081" {
		t.Errorf("checkout origin: got %q", c.CheckoutOrigin)
	}
	if c.DatabaseURL != filepath.Join(dir, "cashier.db") {
		t.Errorf("database: got %q", c.DatabaseURL)
	}
	// Generated secrets are kept: a restart sees the same token, keys and merchant key.
	again, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir}))
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
	writeFile(t, pub, trustly.PublicKeyPEM(&k.PublicKey))
	writeFile(t, pwFile, []byte("s3cret\n"))
	full := map[string]string{
		"CASHIER_DATA": dir, "TRUSTLY_API_URL": trustly.TestURL, "TRUSTLY_USERNAME": "merchant",
		"TRUSTLY_PASSWORD_FILE": pwFile, "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub,
		"TRUSTLY_NOTIFY_TOKEN": "0123456789abcdef0123",
	}
	c, err := loadConfig(env(full))
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
		{"live needs https", "TRUSTLY_API_URL", trustly.LiveURL, "must be https"},
		{"unreadable key", "TRUSTLY_PUBLIC_KEY", filepath.Join(dir, "missing.pem"), "TRUSTLY_PUBLIC_KEY"},
	} {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		m[tt.key] = tt.value
		if _, err := loadConfig(env(m)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
