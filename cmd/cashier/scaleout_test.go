package main

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

// TestScaleOutGeneratedSecretsOnSharedDatabase: an operator runs two instances
// against one PostgreSQL database, configured alike (the README's table: each
// secret is "generated, kept in $CASHIER_DATA/…"), each with its own data
// directory. Each instance then makes up its own notification token, session key
// and TOTP key, and starts without a word. What follows:
//   - Trustly posts a deposit's notifications to the balancer with the token of the
//     instance that started the deposit; the other answers 404, so a credit waits
//     for a retry that lands on the right instance, and never comes while that one
//     is down (player-facing: the money is "waiting for the bank");
//   - a player's session cookie and CSRF token from one instance are refused by the
//     other, so every other request signs the player out or refuses a form;
//   - a staff member's second factor, sealed under one instance's TOTP key, does
//     not open on the other: their sign-in fails there.
//
// persisted (config.go) writes a fresh random secret to the data directory when
// none is set, whatever DATABASE_URL says. On a shared (PostgreSQL) database the
// instances must either refuse to start without the secrets set, or share the ones
// generated (kept in the database): two instances that start must hold the same.
func TestScaleOutGeneratedSecretsOnSharedDatabase(t *testing.T) {
	k, err := trustly.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	priv, pub, pw := filepath.Join(keys, "priv.pem"), filepath.Join(keys, "pub.pem"), filepath.Join(keys, "pw")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	writeFile(t, pw, []byte("s3cret\n"))
	instance := func(secrets map[string]string) (*config, error) {
		vars := map[string]string{
			"CASHIER_DATA": t.TempDir(), "DATABASE_URL": "postgres://cashier@db.internal:5432/cashier",
			"TRUSTLY_API_URL": trustly.TestURL, "TRUSTLY_USERNAME": "merchant", "TRUSTLY_PASSWORD_FILE": pw,
			"TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub, "CASHIER_BASE_URL": "https://cashier.example",
		}
		maps.Copy(vars, secrets)
		return loadConfig(env(vars), quiet)
	}
	// The fix: an instance on PostgreSQL refuses to start without each secret set,
	// naming it, and generates nothing in its data directory.
	set := map[string]string{}
	for _, name := range []string{"TRUSTLY_NOTIFY_TOKEN", "CASHIER_SESSION_KEY", "CASHIER_TOTP_KEY"} {
		_, err := instance(set)
		if err == nil || !strings.Contains(err.Error(), name+" (or "+name+"_FILE) must be set when DATABASE_URL is PostgreSQL") {
			t.Errorf("%s unset on PostgreSQL: %v; want a refusal naming it", name, err)
		}
		set[name] = strings.Repeat("k", 40)
	}
	a, errA := instance(set)
	b, errB := instance(set)
	if errA != nil || errB != nil {
		t.Fatalf("every secret set: %v, %v; want both instances to start", errA, errB)
	}
	if a.NotifyToken != b.NotifyToken || string(a.SessionKey) != string(b.SessionKey) || string(a.TOTPKey) != string(b.TOTPKey) {
		t.Error("the instances hold different secrets though both were given the same")
	}
	// SQLite (one instance) still generates and keeps them.
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir()}), quiet); err != nil {
		t.Errorf("SQLite without secrets: %v; want them generated", err)
	}
}
