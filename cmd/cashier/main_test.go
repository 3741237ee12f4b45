package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunEmbeddedSandbox starts the cashier exactly as `make run` does, with nothing
// configured but a data dir and ports, and checks that both the cashier and the
// embedded sandbox answer, then that it shuts down cleanly.
func TestRunEmbeddedSandbox(t *testing.T) {
	addr, sbAddr := freeAddr(t), freeAddr(t)
	vars := map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_ADDR": addr, "CASHIER_BASE_URL": "http://" + addr,
		"SANDBOX_ADDR": sbAddr, "CASHIER_ADMIN_PASSWORD": "admin-password-1"}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env(vars), out, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	get := func(url string) (int, string) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if code, body := get("http://" + addr + "/login"); code != 200 || !strings.Contains(body, "csrf") {
		t.Errorf("login page: got %d", code)
	}
	if code, body := get("http://" + sbAddr + "/sandbox/public-key.pem"); code != 200 || !strings.Contains(body, "PUBLIC KEY") {
		t.Errorf("sandbox key: got %d %q", code, body)
	}
	if !strings.Contains(out.String(), "http://"+addr+"/register") {
		t.Errorf("start-up text does not tell a newcomer where to go: %q", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

// TestRunSandboxNotLoopback: the embedded sandbox refuses an address other
// machines reach unless SANDBOX_PUBLIC=1 comes with SANDBOX_ADMIN_PASSWORD.
func TestRunSandboxNotLoopback(t *testing.T) {
	for _, extra := range []map[string]string{{}, {"SANDBOX_PUBLIC": "1"}, {"SANDBOX_ADMIN_PASSWORD": "pages-password"}} {
		addr := freeAddr(t)
		vars := map[string]string{"CASHIER_DATA": t.TempDir(), "CASHIER_ADDR": addr, "CASHIER_BASE_URL": "http://" + addr,
			"SANDBOX_ADDR": "0.0.0.0:0"}
		for k, v := range extra {
			vars[k] = v
		}
		// A run that wrongly starts stops when ctx ends, and returns nil.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, env(vars), &syncBuffer{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "SANDBOX_PUBLIC=1 and SANDBOX_ADMIN_PASSWORD") {
			t.Errorf("run with SANDBOX_ADDR 0.0.0.0 and %v: %v; want a refusal", extra, err)
		}
	}
}
