//go:debug rsa1024min=0

package handlers

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// BenchmarkNotifyOverhead is BenchmarkNotifyEndpoint with 512-bit keys, which
// sign in a few microseconds: what is left is what a notification costs besides
// RSA (HTTP on both ends, the redelivery check, the write transaction, JSON). It
// reports the process's CPU time per notification in the endpoint phase minus the
// same in the bare verify+sign phase, a figure that other load on the machine
// barely moves, unlike a rate. With 2048-bit keys the RSA side costs about 1.07 ms,
// so a ratio of 0.85 needs this under about 190 µs. Not a protocol test: Trustly's
// keys are 2048 bits.
func BenchmarkNotifyOverhead(b *testing.B) {
	for _, senders := range []int{1, 8} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			benchNotifyOverhead(b, senders)
		})
	}
}

func benchNotifyOverhead(b *testing.B, senders int) {
	small := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 512)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	r := benchNotify(b, []*gorm.DB{storetest.SQLite(b)}, small(), small(), senders)
	b.ReportMetric(r.perOp(r.endpointCPU-r.bareCPU), "overhead-cpu-µs/op")
	b.ReportMetric(r.perOp(r.bareCPU), "bare-cpu-µs/op")
}
