package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
)

// BenchmarkNotifyRedelivery delivers one credit notification again and again, as
// Trustly's retries do: each is verified, found stored, counted and answered
// from storage. Its allocs/op is what a redelivery costs besides RSA's verify
// and the commit (SQLite).
func BenchmarkNotifyRedelivery(b *testing.B) {
	r := newRig(b, storetest.SQLite(b), "", nil)
	p := r.player()
	o := r.order(p, 10000)
	n := notify(b, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, nil)
	r.deliver(n, trustly.StatusOK)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := r.svc.HandleNotification(r.ctx, n.raw); err != nil {
			b.Fatal(err)
		}
	}
}
