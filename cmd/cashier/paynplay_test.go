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
	c, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": "SE=pure,NL=hybrid"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PayNPlay.For("SE") != paynplay.ModePure || c.PayNPlay.For("NL") != paynplay.ModeHybrid || c.PayNPlay.Enabled("FI") {
		t.Errorf("modes %s; want SE pure, NL hybrid, others off", c.PayNPlay)
	}
	if _, ok := c.Exclusions.(*exclusions.Fake); !ok {
		t.Errorf("sandbox exclusions %T; want the sandbox's Fake", c.Exclusions)
	}
	if _, err := loadConfig(env(map[string]string{"CASHIER_DATA": dir, "CASHIER_PAYNPLAY": "DE=pure"})); err == nil ||
		!strings.Contains(err.Error(), "CASHIER_PAYNPLAY") {
		t.Errorf("a market without Pay N Play: %v; want an error naming CASHIER_PAYNPLAY", err)
	}

	k, _ := trustly.GenerateKey()
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	os.WriteFile(priv, trustly.PrivateKeyPEM(k), 0o600)
	os.WriteFile(pub, trustly.PublicKeyPEM(&k.PublicKey), 0o600)
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
		"CASHIER_EXCLUSIONS_NONE": "fi"})))
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
		{"settings without URL", map[string]string{"CASHIER_CRUKS_API_KEY": "k"}, "CASHIER_CRUKS_URL is required"},
		{"plain http", map[string]string{"CASHIER_SPELPAUS_URL": "http://spelpaus.example"}, "CASHIER_SPELPAUS_URL"},
		{"bad timeout", map[string]string{"CASHIER_SPELPAUS_URL": "https://spelpaus.example", "CASHIER_SPELPAUS_TIMEOUT": "1h"}, "CASHIER_SPELPAUS_TIMEOUT"},
		{"none and a register", map[string]string{"CASHIER_SPELPAUS_URL": "https://spelpaus.example", "CASHIER_EXCLUSIONS_NONE": "SE"}, "CASHIER_EXCLUSIONS_NONE"},
	} {
		if _, err := loadConfig(env(real(tt.env))); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}
