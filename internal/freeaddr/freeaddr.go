// Package freeaddr hands tests addresses on 127.0.0.1 for the processes they
// start (a cashier, a sandbox) to listen on.
package freeaddr

import (
	"net"
	"sync"
	"testing"
)

// Addr is a 127.0.0.1 address no listener holds now, and none that Addr gave
// before in this test binary: the kernel may hand the port of a listener just
// closed to the next one, and two addresses a test asks for at once (the
// cashier's and the sandbox's) were then the same.
func Addr(t testing.TB) string {
	t.Helper()
	givenMu.Lock()
	defer givenMu.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !given[addr] {
			given[addr] = true
			return addr
		}
	}
	t.Fatal("no port free that Addr had not given before")
	return ""
}

// given holds the addresses Addr handed out.
var (
	givenMu sync.Mutex
	given   = map[string]bool{}
)
