package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

// TestConfigWorstCases: the worst values an operator can give the cashier's
// Trustly, key and timing settings each stop the start with one line naming the
// variable, and no error shows a secret (the Trustly password, the session, TOTP
// and notification keys, the owner's password) or a key's text. A merchant key or
// Trustly key shorter than 2048 bits was taken: Trustly's keys are 2048 bits, and
// a 1024-bit merchant key signs requests anyone with a few days of computing can
// forge (a shorter one failed at the first call, not at the start). So was the
// merchant's own public key as Trustly's, with which no answer or notification
// from Trustly verifies: every payout's outcome unknown, every notification
// refused.
func TestConfigWorstCases(t *testing.T) {
	const (
		password = "trustly-Pass-0123456789"
		session  = "session-Secret-0123456789abcdef0123456789"
		totp     = "totp-Secret-0123456789abcdef0123456789abcd"
		token    = "notify-Secret-0123456789abcdef"
		owner    = "owner-Secret-password-0123"
	)
	dir := t.TempDir()
	key := func(name string, der []byte, typ string) string {
		path := filepath.Join(dir, name)
		writeFile(t, path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
		return path
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPriv, _ := x509.MarshalPKCS8PrivateKey(weak)
	weakPub, _ := x509.MarshalPKIXPublicKey(&weak.PublicKey)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	base := reviewTrustlyEnv(t, map[string]string{"TRUSTLY_PASSWORD": password, "CASHIER_SESSION_KEY": session,
		"CASHIER_TOTP_KEY": totp, "TRUSTLY_NOTIFY_TOKEN": token, "CASHIER_ADMIN_PASSWORD": owner})
	pasted := string(trustly.PrivateKeyPEM(weak))
	merchant, err := trustly.LoadPrivateKey(base["TRUSTLY_PRIVATE_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	merchantPub := filepath.Join(dir, "merchant-public.pem")
	writeFile(t, merchantPub, trustly.PublicKeyPEM(&merchant.PublicKey))
	for _, tt := range []struct {
		name, value string
	}{
		{"TRUSTLY_PRIVATE_KEY", key("weak-priv.pem", weakPriv, "PRIVATE KEY")},
		{"TRUSTLY_PUBLIC_KEY", key("weak-pub.pem", weakPub, "PUBLIC KEY")},
		{"TRUSTLY_PRIVATE_KEY", key("ec-priv.pem", ecPriv, "PRIVATE KEY")},
		{"TRUSTLY_PUBLIC_KEY", key("ec-pub.pem", ecPub, "PUBLIC KEY")},
		{"TRUSTLY_PRIVATE_KEY", base["TRUSTLY_PUBLIC_KEY"]}, // the public half where the private key belongs
		{"TRUSTLY_PUBLIC_KEY", base["TRUSTLY_PRIVATE_KEY"]}, // the private key where Trustly's public one belongs
		{"TRUSTLY_PUBLIC_KEY", merchantPub},                 // the merchant's own public key, not Trustly's
		{"TRUSTLY_PRIVATE_KEY", pasted},                     // the key itself instead of its file's name
		{"TRUSTLY_PRIVATE_KEY", dir},                        // a directory
		{"TRUSTLY_PUBLIC_KEY", filepath.Join(dir, "none.pem")},
		{"TRUSTLY_PUBLIC_KEY", key("garbage.pem", []byte("not a key"), "PUBLIC KEY")},
		{"TRUSTLY_API_URL", "http://test.trustly.com/api/1"},
		{"TRUSTLY_API_URL", "http://api.trustly.com/1"},
		{"TRUSTLY_API_URL", "https://merchant:" + password + "@test.trustly.com/api/1"},
		{"TRUSTLY_API_URL", "test.trustly.com"},
		{"TRUSTLY_PASSWORD", "   "},
		{"TRUSTLY_USERNAME", "   "},
		{"TRUSTLY_USERNAME", "merchant\n"},
		{"CASHIER_BASE_URL", "http://cashier.example"},
		{"CASHIER_CHECKOUT_EXPIRY", "-30m"},
		{"CASHIER_CHECKOUT_EXPIRY", "0"},
		{"CASHIER_PAYOUT_RESUME_AFTER", "0s"},
		{"CASHIER_JANITOR_EVERY", "-1m"},
		{"CASHIER_JANITOR_EVERY", "1d"},
		{"CASHIER_READ_TIMEOUT", "0"},
		{"CASHIER_SESSION_IDLE", "-30m"},
		{"CASHIER_ADMIN_IDLE", "0"},
		{"CASHIER_MAX_CONNECTIONS", "0"},
		{"CASHIER_LOGIN_LIMIT", "-5"},
		{"TRUSTLY_NOTIFY_TOKEN", "0123456789abcdef 0123"},
		{"CASHIER_SESSION_KEY", "x"},
		{"CASHIER_TOTP_KEY", "x"},
	} {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		vars[tt.name] = tt.value
		_, err := loadConfig(env(vars), quiet)
		if err == nil {
			t.Errorf("%s=%.40q: the start went on; want it stopped", tt.name, tt.value)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.name) || strings.Contains(msg, "\n") {
			t.Errorf("%s=%.40q: %q; want one line naming %s", tt.name, tt.value, msg, tt.name)
		}
		for _, secret := range []string{password, session, totp, token, owner, "BEGIN", pasted[40:80]} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s=%.40q: the error %q shows a secret", tt.name, tt.value, msg)
			}
		}
	}
}

// trustlyPublicPEM is a public key for TRUSTLY_PUBLIC_KEY in the configuration
// tests: another key than the merchant's they generate (the start refuses the
// merchant's own).
func trustlyPublicPEM(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../trustly/testdata/test-merchant-public.pem")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
