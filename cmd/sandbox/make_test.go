package main

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/trustly"
)

// TestMakeSandbox: `make sandbox`, which the README lists as "the sandbox alone on
// http://127.0.0.1:8081", starts the sandbox. It ran `go run ./cmd/sandbox` with no
// --merchant-key, which the command requires, so it stopped at once with an error.
// It now makes a merchant key pair in the sandbox's data directory the first time
// and trusts its public key; a cashier pointed at the sandbox signs with the
// private one. SANDBOX_DATA and SANDBOX_FLAGS keep this test's sandbox apart.
func TestMakeSandbox(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on this machine")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command("make", "-s", "-C", "../..", "sandbox", "SANDBOX_DATA="+data, "SANDBOX_FLAGS=--addr "+addr)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run's child too is stopped below
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("make sandbox stopped: %v\n%s", err, out.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/sandbox/public-key.pem"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("the sandbox's public key: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("make sandbox did not answer on %s:\n%s", addr, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The merchant key it trusts is a pair whose private half a cashier can use.
	if _, err := trustly.LoadPrivateKey(filepath.Join(data, "merchant", "private.pem")); err != nil {
		t.Errorf("the merchant's private key for a cashier: %v\n%s", err, out.String())
	}
}
