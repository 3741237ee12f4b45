package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestConfigPayNPlay: CASHIER_PAYNPLAY is read per market; the embedded sandbox
// checks self-exclusion against its fake register, and with real Trustly every
// market with Pay N Play on needs a register, or must be named as having none.
func TestConfigPayNPlay(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": "SE=pure,NL=hybrid"}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.PayNPlay.For("SE") != paynplay.ModePure || c.PayNPlay.For("NL") != paynplay.ModeHybrid || c.PayNPlay.Enabled("FI") {
		t.Errorf("modes %s; want SE pure, NL hybrid, others off", c.PayNPlay)
	}
	if _, ok := c.Exclusions.(*exclusions.Fake); !ok {
		t.Errorf("sandbox exclusions %T; want the sandbox's Fake", c.Exclusions)
	}
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": "DE=pure"}), quiet); err == nil ||
		!strings.Contains(err.Error(), "CASHIER_PAYNPLAY") {
		t.Errorf("a market without Pay N Play: %v; want an error naming CASHIER_PAYNPLAY", err)
	}

	k, _ := trustly.GenerateKey()
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	os.WriteFile(priv, trustly.PrivateKeyPEM(k), 0o600)
	os.WriteFile(pub, trustlyPublicPEM(t), 0o600)
	real := func(extra map[string]string) map[string]string {
		m := map[string]string{"CASHIER_DATA": dir, "CASHIER_BASE_URL": "https://cashier.example", "TRUSTLY_API_URL": trustly.TestURL, "TRUSTLY_USERNAME": "merchant",
			"TRUSTLY_PASSWORD": "pw", "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	c, err = loadConfig(env(real(map[string]string{"CASHIER_PAYNPLAY": "SE=pure,FI=hybrid",
		"CASHIER_SPELPAUS_URL": "https://spelpaus.example", "CASHIER_SPELPAUS_API_KEY": "k", "CASHIER_SPELPAUS_TIMEOUT": "2s",
		"CASHIER_EXCLUSIONS_NONE": "fi"})), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Exclusions.(*exclusions.Router); !ok || strings.Join(r.Countries(), ",") != "FI,SE" {
		t.Errorf("exclusions %T %v; want a router for FI (none) and SE (Spelpaus)", c.Exclusions, c.Exclusions)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no register", map[string]string{"CASHIER_PAYNPLAY": "SE=pure"}, "without a self-exclusion register: configure one"},
		{"settings without URL", map[string]string{"CASHIER_CRUKS_API_KEY": "k"}, "CASHIER_CRUKS_API_KEY is set without CASHIER_CRUKS_URL"},
		{"plain http", map[string]string{"CASHIER_SPELPAUS_URL": "http://spelpaus.example"}, "CASHIER_SPELPAUS_URL"},
		{"bad timeout", map[string]string{"CASHIER_SPELPAUS_URL": "https://spelpaus.example", "CASHIER_SPELPAUS_TIMEOUT": "1h"}, "CASHIER_SPELPAUS_TIMEOUT"},
		{"none and a register", map[string]string{"CASHIER_SPELPAUS_URL": "https://spelpaus.example", "CASHIER_EXCLUSIONS_NONE": "SE"}, "CASHIER_EXCLUSIONS_NONE"},
	} {
		if _, err := loadConfig(env(real(tt.env)), quiet); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestConfigRefusesSilentFallbacks: a setting the cashier cannot read stops the
// start with an error naming it, rather than being taken as unset: SANDBOX_PUBLIC
// other than 1 or 0 ("true" was read as off), a NAME_FILE whose file is empty (an
// empty CASHIER_SESSION_KEY_FILE had a new key generated in CASHIER_DATA, an empty
// CASHIER_ADMIN_PASSWORD_FILE left the owner unensured), a DATABASE_URL of another
// scheme (mysql://… became a SQLite file of that name) and a market in
// CASHIER_EXCLUSIONS_NONE that we do not serve (a typo left the market it meant
// without its entry, unnoticed when Pay N Play was off there).
func TestConfigRefusesSilentFallbacks(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, []byte("\n"))
	for _, v := range []string{"", "0", "1"} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "SANDBOX_PUBLIC": v}), quiet); err != nil {
			t.Errorf("SANDBOX_PUBLIC %q: %v", v, err)
		}
	}
	k, _ := trustly.GenerateKey()
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	real := map[string]string{"CASHIER_BASE_URL": "https://cashier.example", "TRUSTLY_API_URL": trustly.TestURL,
		"TRUSTLY_USERNAME": "merchant", "TRUSTLY_PASSWORD": "pw", "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub}
	for _, tt := range []struct {
		name string
		env  map[string]string
		real bool
		want string
	}{
		{"SANDBOX_PUBLIC true", map[string]string{"SANDBOX_PUBLIC": "true"}, false, "SANDBOX_PUBLIC"},
		{"SANDBOX_PUBLIC yes", map[string]string{"SANDBOX_PUBLIC": "yes"}, false, "SANDBOX_PUBLIC"},
		{"empty session key file", map[string]string{"CASHIER_SESSION_KEY_FILE": empty}, false, "CASHIER_SESSION_KEY_FILE"},
		{"empty notify token file", map[string]string{"TRUSTLY_NOTIFY_TOKEN_FILE": empty}, false, "TRUSTLY_NOTIFY_TOKEN_FILE"},
		{"empty admin password file", map[string]string{"CASHIER_ADMIN_PASSWORD_FILE": empty}, false, "CASHIER_ADMIN_PASSWORD_FILE"},
		{"empty Trustly password file", map[string]string{"TRUSTLY_PASSWORD": "", "TRUSTLY_PASSWORD_FILE": empty}, true, "TRUSTLY_PASSWORD_FILE"},
		{"DATABASE_URL mysql", map[string]string{"DATABASE_URL": "mysql://root@db/cashier"}, false, "DATABASE_URL"},
		{"DATABASE_URL sqlite scheme", map[string]string{"DATABASE_URL": "sqlite:///var/cashier.db"}, false, "DATABASE_URL"},
		{"unknown market without register", map[string]string{"CASHIER_EXCLUSIONS_NONE": "FI,SW"}, true, "CASHIER_EXCLUSIONS_NONE"},
		{"not a market code", map[string]string{"CASHIER_EXCLUSIONS_NONE": "FI,SEE"}, true, "CASHIER_EXCLUSIONS_NONE"},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		if tt.real {
			for k, v := range real {
				m[k] = v
			}
		}
		for k, v := range tt.env {
			m[k] = v
		}
		_, err := loadConfig(env(m), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error naming %s", tt.name, err, tt.want)
		}
		if ents, _ := os.ReadDir(m["CASHIER_DATA"]); tt.name == "empty session key file" && len(ents) > 0 && err == nil {
			t.Errorf("%s: a key was generated in CASHIER_DATA instead", tt.name)
		}
	}
	// A mysql:// DATABASE_URL's password is not shown.
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "DATABASE_URL": "mysql://root:hunter2@db/cashier"}), quiet); err == nil ||
		strings.Contains(err.Error(), "hunter2") {
		t.Errorf("DATABASE_URL with a password: %v", err)
	}
	// What stays accepted: a SQLite path, a file: URI, PostgreSQL's URL and key=value forms.
	for _, v := range []string{filepath.Join(dir, "x.db"), "file:" + filepath.Join(dir, "y.db") + "?_busy_timeout=5000"} {
		if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "DATABASE_URL": v}), quiet); err != nil {
			t.Errorf("DATABASE_URL %q: %v", v, err)
		}
	}
	for _, v := range []string{"postgres://u@h/db", "postgresql://u@h/db", "host=h user=u dbname=db"} {
		// Read as PostgreSQL, it asks for the shared secrets.
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "DATABASE_URL": v}), quiet)
		if err == nil || !strings.Contains(err.Error(), "when DATABASE_URL is PostgreSQL") {
			t.Errorf("DATABASE_URL %q: %v", v, err)
		}
	}
}

// TestConfigRefusesSecretAndItsFile: a secret set both as NAME and as NAME_FILE
// stops the start with an error naming both. The plain variable won silently, so
// an operator who mounted a new password file and forgot an old TRUSTLY_PASSWORD
// (or the other way round) ran with a secret they did not mean. The error shows
// neither value.
func TestConfigRefusesSecretAndItsFile(t *testing.T) {
	dir := t.TempDir()
	k, _ := trustly.GenerateKey()
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	writeFile(t, priv, trustly.PrivateKeyPEM(k))
	writeFile(t, pub, trustlyPublicPEM(t))
	const fromFile, plain = "secret-in-the-file-0123456789abcdef", "plain-secret-0123456789abcdef0123"
	file := filepath.Join(dir, "secret")
	writeFile(t, file, []byte(fromFile+"\n"))
	real := map[string]string{"CASHIER_BASE_URL": "https://cashier.example", "TRUSTLY_API_URL": trustly.TestURL,
		"TRUSTLY_USERNAME": "merchant", "TRUSTLY_PASSWORD": "pw", "TRUSTLY_PRIVATE_KEY": priv, "TRUSTLY_PUBLIC_KEY": pub}
	for _, tt := range []struct {
		name string
		real bool
		more map[string]string
	}{
		{"TRUSTLY_NOTIFY_TOKEN", false, nil},
		{"CASHIER_SESSION_KEY", false, nil},
		{"CASHIER_TOTP_KEY", false, nil},
		{"CASHIER_ADMIN_PASSWORD", false, nil},
		{"SANDBOX_ADMIN_PASSWORD", false, nil},
		{"TRUSTLY_PASSWORD", true, nil},
		{"CASHIER_SPELPAUS_API_KEY", true, map[string]string{"CASHIER_SPELPAUS_URL": "https://spelpaus.example"}},
	} {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		if tt.real {
			for k, v := range real {
				m[k] = v
			}
		}
		for k, v := range tt.more {
			m[k] = v
		}
		m[tt.name], m[tt.name+"_FILE"] = plain, file
		_, err := loadConfig(env(m), quiet)
		if err == nil || !strings.Contains(err.Error(), tt.name+" and "+tt.name+"_FILE") {
			t.Errorf("%s and %s_FILE both set: got %v; want an error naming both", tt.name, tt.name, err)
			continue
		}
		if strings.Contains(err.Error(), plain) || strings.Contains(err.Error(), fromFile) {
			t.Errorf("%s: the error shows a secret: %v", tt.name, err)
		}
		// Either one alone still starts.
		for _, drop := range []string{tt.name, tt.name + "_FILE"} {
			one := map[string]string{}
			for k, v := range m {
				if k != drop {
					one[k] = v
				}
			}
			if _, err := loadConfig(env(one), quiet); err != nil {
				t.Errorf("%s without %s: %v", tt.name, drop, err)
			}
		}
	}
}

// TestSandboxChecksRegisterSettings: with the embedded sandbox, whose fake register
// the kyc decision asks, the registers' settings and CASHIER_EXCLUSIONS_NONE are
// not used, but they are read all the same: a market code the cashier does not
// serve, a timeout that is no duration or a register's key without its URL stops
// the start, as it would with Trustly, rather than wait for the move to Trustly.
func TestSandboxChecksRegisterSettings(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ key, value, want string }{
		{"CASHIER_EXCLUSIONS_NONE", "XX", "CASHIER_EXCLUSIONS_NONE"},
		{"CASHIER_CRUKS_API_KEY", "key-0123456789", "CASHIER_CRUKS_URL"},
		{"CASHIER_SPELPAUS_TIMEOUT", "soon", "CASHIER_SPELPAUS_TIMEOUT"},
	} {
		m := map[string]string{"CASHIER_DATA": dir, tt.key: tt.value}
		if tt.key == "CASHIER_SPELPAUS_TIMEOUT" {
			m["CASHIER_SPELPAUS_URL"] = "https://spelpaus.example"
		}
		if _, err := loadConfig(env(m), quiet); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: got %v; want an error naming %s", tt.key, tt.value, err, tt.want)
		}
	}
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_EXCLUSIONS_NONE": "FI", "CASHIER_PAYNPLAY": "pure"}), quiet)
	if err != nil || !c.Sandbox() || c.Exclusions == nil {
		t.Fatalf("got %v; want the sandbox with its register", err)
	}
}

// TestConfigPayNPlayStrict: CASHIER_PAYNPLAY is read as strictly as the other
// settings: a market we do not serve with Pay N Play, a mode other than off,
// hybrid or pure (an empty one too) stops the start with an error naming the
// setting and the part it could not read. Markets and modes are read in any
// case, as the other settings' markets and words are.
func TestConfigPayNPlayStrict(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		in   string
		want string // in the error, besides CASHIER_PAYNPLAY
	}{
		{"sv=pure", `"sv"`},
		{"SE=pure,de=hybrid", `"de"`},
		{"SE=", "SE has no mode"},
		{"SE=PURES", `"PURES"`},
		{"Pur", `"Pur"`},
		{"SE=pure,se=off", "SE is given twice"},
		{"SE=pure,", `""`},
		{" ", "only whitespace"},
	} {
		_, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": tt.in}), quiet)
		if err == nil || !strings.Contains(err.Error(), "CASHIER_PAYNPLAY") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CASHIER_PAYNPLAY=%q: %v; want an error naming CASHIER_PAYNPLAY and %s", tt.in, err, tt.want)
		}
	}
	for _, in := range []string{"se=pure", "SE=PURE", "Se=Pure"} {
		c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": in}), quiet)
		if err != nil {
			t.Errorf("CASHIER_PAYNPLAY=%q: %v; want SE pure", in, err)
		} else if c.PayNPlay.For("SE") != paynplay.ModePure || c.PayNPlay.Enabled("FI") {
			t.Errorf("CASHIER_PAYNPLAY=%q: %v; want SE pure and the others off", in, c.PayNPlay)
		}
	}
}
