package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
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

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
