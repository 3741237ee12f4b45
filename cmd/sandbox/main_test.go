package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/trustly"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun starts the command, answers a Balance through the trustly client with the
// key it created, and stops on cancel.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	mk, err := trustly.ParsePrivateKey(mustRead(t, "../../trustly/testdata/test-merchant-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "merchant.pem")
	if err := os.WriteFile(pubFile, trustly.PublicKeyPEM(&mk.PublicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"--data", dir}, &syncBuffer{}); err == nil {
		t.Fatal("run without --merchant-key succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--merchant-key", pubFile,
			"--username", "u", "--password", "p"}, out)
	}()
	api := regexp.MustCompile(`POST (http://\S+/api/1)`)
	deadline := time.Now().Add(10 * time.Second)
	for api.FindStringSubmatch(out.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no API URL printed: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	key, err := trustly.LoadPublicKey(filepath.Join(dir, "data", "sandbox-public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := trustly.NewClient(trustly.Config{URL: api.FindStringSubmatch(out.String())[1], Username: "u", Password: "p",
		PrivateKey: mk, TrustlyKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if bal, err := c.Balance(context.Background()); err != nil || len(bal) == 0 {
		t.Errorf("Balance = %v, %v", bal, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}

// TestRunPublic: an address that is not loopback is refused without --public,
// and with --public but no admin password; with both the sandbox starts and its
// pages ask for the password while the public key stays open.
func TestRunPublic(t *testing.T) {
	dir := t.TempDir()
	mk, err := trustly.ParsePrivateKey(mustRead(t, "../../trustly/testdata/test-merchant-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "merchant.pem")
	if err := os.WriteFile(pubFile, trustly.PublicKeyPEM(&mk.PublicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "admin-password")
	if err := os.WriteFile(pwFile, []byte("pages-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--data", filepath.Join(dir, "data"), "--merchant-key", pubFile}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "--public"},
		{[]string{"--addr", ":0"}, "--public"},
		{[]string{"--addr", "0.0.0.0:0", "--public"}, "--admin-password"},
	} {
		// A run that wrongly serves stops when ctx ends, and returns nil.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := run(ctx, append(tt.args, base...), &syncBuffer{})
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v: %v; want an error naming %s", tt.args, err, tt.want)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "0.0.0.0:0", "--public", "--admin-password-file", pwFile}, base...), out)
	}()
	pages := regexp.MustCompile(`orders +http://\S+:(\d+)/sandbox/`)
	deadline := time.Now().Add(10 * time.Second)
	for pages.FindStringSubmatch(out.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no pages URL printed: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	base0 := "http://127.0.0.1:" + pages.FindStringSubmatch(out.String())[1]
	status := func(path, password string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base0+path, nil)
		if password != "" {
			req.SetBasicAuth("me", password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/sandbox/", ""); got != http.StatusUnauthorized {
		t.Errorf("pages without the password: HTTP %d; want 401", got)
	}
	if got := status("/sandbox/", "pages-password"); got != http.StatusOK {
		t.Errorf("pages with the password: HTTP %d; want 200", got)
	}
	if got := status("/sandbox/public-key.pem", ""); got != http.StatusOK {
		t.Errorf("public key: HTTP %d; want 200", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
