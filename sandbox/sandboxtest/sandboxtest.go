// Package sandboxtest starts a Trustly sandbox for tests: a fresh data directory,
// the project's test merchant key (the same as trustly/testdata/test-merchant-*.pem),
// fast delays, and an httptest server. It also offers a merchant endpoint that
// collects notifications, and a Chromium launcher for browser tests (browser.go).
package sandboxtest

import (
	"context"
	"crypto/rsa"
	_ "embed"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
)

//go:embed merchant-private.pem
var merchantPEM []byte

// Test credentials of the sandbox started by Start.
const (
	Username = "test-merchant"
	Password = "test-password"
)

// MerchantKey is the test merchant's private key; the sandbox verifies with its
// public half.
func MerchantKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := trustly.ParsePrivateKey(merchantPEM)
	if err != nil {
		t.Fatalf("parse test merchant key: %v", err)
	}
	return k
}

// Env is a running sandbox.
type Env struct {
	Sandbox     *sandbox.Sandbox
	Server      *httptest.Server
	URL         string          // base URL, e.g. http://127.0.0.1:43121
	APIURL      string          // URL + "/api/1"
	MerchantKey *rsa.PrivateKey // sign requests and notification answers with it
	TrustlyKey  *rsa.PublicKey  // the sandbox's public key: verify results and notifications with it
	Username    string
	Password    string
	Config      sandbox.Config // as passed to sandbox.New
}

// Start runs a sandbox on an httptest server with a fresh temp dir, the test
// merchant key and delays of a few milliseconds (NotifyDelay 5ms, StepDelay 5ms,
// LateDelay 200ms, retries 20ms/40ms/80ms, KYCTimeout 2s, SlowAPIDelay 1s),
// PayNPlay on. opts may change the config before New. Everything stops in t.Cleanup.
func Start(t testing.TB, opts ...func(*sandbox.Config)) *Env {
	t.Helper()
	mk := MerchantKey(t)
	cfg := sandbox.Config{
		DataDir:       filepath.Join(t.TempDir(), "sandbox"), // made 0700 by New: t.TempDir is 0755, which New would tighten with a warning
		Username:      Username,
		Password:      Password,
		MerchantKey:   &mk.PublicKey,
		Key:           sandboxKey(t),
		RetrySchedule: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond},
		NotifyDelay:   5 * time.Millisecond,
		StepDelay:     5 * time.Millisecond,
		LateDelay:     200 * time.Millisecond,
		KYCTimeout:    2 * time.Second,
		SlowAPIDelay:  time.Second,
		PollInterval:  10 * time.Millisecond,
		PayNPlay:      true,
		Logger:        testLogger(t),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return StartWith(t, cfg)
}

// StartWith runs a sandbox with exactly cfg (BaseURL is set to the server's URL).
func StartWith(t testing.TB, cfg sandbox.Config) *Env {
	t.Helper()
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	srv := httptest.NewServer(sb.Handler())
	sb.SetBaseURL(srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	sb.Start(ctx)
	t.Cleanup(func() {
		cancel()
		srv.Close()
		_ = sb.Close()
	})
	mk := MerchantKey(t)
	return &Env{Sandbox: sb, Server: srv, URL: srv.URL, APIURL: srv.URL + "/api/1", MerchantKey: mk,
		TrustlyKey: sb.PublicKey(), Username: cfg.Username, Password: cfg.Password, Config: cfg}
}

// WaitIdle waits, up to 10 s, until the sandbox has nothing left to deliver
// (sandbox.Sandbox.WaitIdle): then a test can assert the full list of
// notifications, and that no other came.
func (e *Env) WaitIdle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Sandbox.WaitIdle(ctx); err != nil {
		t.Fatalf("the sandbox did not become idle within 10 s: %v", err)
	}
}

// Client returns a trustly.Client for the sandbox, signed with the test merchant key.
func (e *Env) Client(t testing.TB) *trustly.Client {
	t.Helper()
	c, err := trustly.NewClient(trustly.Config{URL: e.APIURL, Username: e.Username, Password: e.Password,
		PrivateKey: e.MerchantKey, TrustlyKey: e.TrustlyKey, Env: "sandbox", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("sandbox client: %v", err)
	}
	return c
}

var (
	keyMu     sync.Mutex
	cachedKey *rsa.PrivateKey
)

// sandboxKey is one generated key per test binary: RSA generation costs ~100 ms.
func sandboxKey(t testing.TB) *rsa.PrivateKey {
	keyMu.Lock()
	defer keyMu.Unlock()
	if cachedKey == nil {
		k, err := trustly.GenerateKey()
		if err != nil {
			t.Fatalf("generate sandbox key: %v", err)
		}
		cachedKey = k
	}
	return cachedKey
}

// testLogger logs to the test's output when SANDBOX_LOG=1, and nowhere otherwise.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SANDBOX_LOG") == "1" {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
