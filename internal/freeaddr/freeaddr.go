// Package freeaddr hands tests addresses on 127.0.0.1 for the processes they
// start (a cashier, a sandbox) to listen on.
package freeaddr

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// Addr is a 127.0.0.1 address no listener holds now, and none that Addr gave
// before in this test binary: the kernel may hand the port of a listener just
// closed to the next one, and two addresses a test asks for at once (the
// cashier's and the sandbox's) were then the same.
//
// Where the system says which ports it hands out by itself (Linux's
// ip_local_port_range: to listeners on port 0 and to the local end of every
// outgoing connection), the port is drawn at random below that range. A port
// drawn from the range itself could be taken between Addr's check and the
// test's own listen by any connection another test binary opens at the same
// time (go test runs packages in parallel), and the cashier then failed to start
// (CI, TestRunMoneyLogsAndMetrics: "listen on CASHIER_ADDR").
func Addr(t testing.TB) string {
	t.Helper()
	givenMu.Lock()
	defer givenMu.Unlock()
	lo, hi := quietPorts()
	for range 100 {
		port := 0
		if hi > lo {
			port = lo + rand.IntN(hi-lo)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			if port != 0 {
				continue // held by someone: draw another
			}
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

// quietPorts is the range [lo, hi) of ports below the system's ephemeral range
// that Addr draws from, or lo == hi when the system does not say (Addr then asks
// the kernel for any port).
func quietPorts() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	var first, last int
	if _, err := fmt.Sscan(string(b), &first, &last); err != nil || first <= quietLow+1000 {
		return 0, 0
	}
	return quietLow, first
}

// quietLow is the lowest port Addr draws: above the well-known and most
// registered services' ports a developer's machine may run.
const quietLow = 20000

// given holds the addresses Addr handed out.
var (
	givenMu sync.Mutex
	given   = map[string]bool{}
)
