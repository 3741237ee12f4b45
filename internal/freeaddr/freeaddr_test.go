package freeaddr

import "testing"

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
