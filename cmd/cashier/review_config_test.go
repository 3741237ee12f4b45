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

// TestReviewConfigMetricsAddrApart: /metrics is never on the cashier's address
// (README), nor on the embedded sandbox's, so CASHIER_METRICS_ADDR on either's port
// is refused at start, by name. Addresses are compared as they are listened on: an
// empty host, 0.0.0.0 and :: are every interface and overlap any host on the same
// port; localhost is 127.0.0.1; 127.0.0.1 and ::1 are apart. Before, the start went
// on to open the database and failed at listen with "address already in use".
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
		_, err := loadConfig(env(m))
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%v (Trustly %t): %v; want it taken", tt.env, tt.trustly, err)
		case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), "CASHIER_METRICS_ADDR") || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%v (Trustly %t): %v; want an error naming CASHIER_METRICS_ADDR and %s", tt.env, tt.trustly, err, tt.refused)
		}
	}
}
