package main

import (
	"strings"
	"testing"
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
		c, err := loadConfig(env(map[string]string{"CASHIER_DATA": t.TempDir(), tt.name: tt.value}))
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
	if _, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"SANDBOX_ADDR": "8081"}))); err != nil {
		t.Errorf("SANDBOX_ADDR=8081 with Trustly's test environment: %v; want it ignored", err)
	}
}
