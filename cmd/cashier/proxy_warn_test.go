package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/internal/freeaddr"
)

// TestHTTPSWithoutTrustedProxiesWarns: the cashier serves plain HTTP, so an https
// CASHIER_BASE_URL means a proxy terminates TLS in front of it. Without
// CASHIER_TRUSTED_PROXIES every request comes from the proxy's address: all
// players share one rate-limit bucket (10 sign-ins a minute for the whole site by
// default), and the CSRF check's Referer comparison, which needs to know the
// request came over https, is off. The start says so in one warning naming both
// settings; with the proxy trusted, or an http base URL, it says nothing. Before,
// nothing was said.
func TestHTTPSWithoutTrustedProxiesWarns(t *testing.T) {
	for _, tt := range []struct {
		base, proxies string
		warn          bool
	}{
		{"https://cashier.example", "", true},
		{"https://cashier.example", "10.0.0.0/8", false},
		{"http://cashier.example", "", false},
	} {
		var logs syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		vars := env(map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_ADDR": freeaddr.Addr(t), "SANDBOX_ADDR": freeaddr.Addr(t),
			"CASHIER_BASE_URL": tt.base, "CASHIER_TRUSTED_PROXIES": tt.proxies})
		done := make(chan error, 1)
		go func() { done <- run(ctx, vars, io.Discard, slog.New(slog.NewTextHandler(&logs, nil))) }()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "cashier listening") && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		cancel() // started: stop
		if err := <-done; err != nil {
			t.Fatalf("%s %q: %v", tt.base, tt.proxies, err)
		}
		var warned []string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "CASHIER_TRUSTED_PROXIES") {
				warned = append(warned, line)
			}
		}
		if tt.warn != (len(warned) == 1) || (tt.warn && !strings.Contains(warned[0], "CASHIER_BASE_URL")) || len(warned) > 1 {
			t.Errorf("base %s, proxies %q: warnings %q; want one naming CASHIER_BASE_URL and CASHIER_TRUSTED_PROXIES: %t", tt.base, tt.proxies, warned, tt.warn)
		}
	}
}
