package ledger

import (
	"hash/fnv"
	"testing"
)

// TestFNV32aAsHashFNV: the shard a transfer's reference picks (balanceRow) is the
// one hash/fnv's New32a picked before fnv32a replaced it.
func TestFNV32aAsHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "deposit:4711:credit", "payout:4712:void", "refund:1:credit", "ö€ and more"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		if got, want := fnv32a(s), h.Sum32(); got != want {
			t.Errorf("fnv32a(%q) = %d; want %d", s, got, want)
		}
	}
}
