package freeaddr

import (
	"net"
	"strconv"
	"testing"
)

// TestAddrNeverRepeats: many addresses asked for one after the other, each
// listener closed before the next, are all different.
func TestAddrNeverRepeats(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		a := Addr(t)
		if seen[a] {
			t.Fatalf("address %s given twice", a)
		}
		seen[a] = true
	}
}

// TestAddrOutsideEphemeralRange: where the system names the ports it hands out
// by itself (to listeners on port 0 and to outgoing connections), Addr's are
// below them, so no connection another test binary opens can take one between
// Addr and the listen of the process it is for.
func TestAddrOutsideEphemeralRange(t *testing.T) {
	lo, hi := quietPorts()
	if lo == hi {
		t.Skip("this system does not say its ephemeral port range (no /proc/sys/net/ipv4/ip_local_port_range)")
	}
	for range 100 {
		_, p, err := net.SplitHostPort(Addr(t))
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if port < lo || port >= hi {
			t.Fatalf("port %d outside [%d, %d), the ports below the ephemeral range", port, lo, hi)
		}
	}
}
