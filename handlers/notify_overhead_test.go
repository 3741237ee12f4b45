//go:debug rsa1024min=0

package handlers

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
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
	trustlyKey, merchantKey := small(), small()
	db := storetest.SQLite(b)
	svc := notifyServiceKeys(b, db, merchantKey, &trustlyKey.PublicKey)
	url := notifyServer(b, svc)
	client := notifyClient(b)
	players, orders := notifyOrders(b, db, 50, b.N, func(i int) int64 { return int64(1000 + i%5000*100) })
	notes := make([]signedNote, b.N)
	for i := range notes {
		notes[i] = signNote(b, trustlyKey, trustly.MethodCredit, fmt.Sprintf("%010d", 4000000000+i), uuid.NewString(),
			orders[i], players[i%len(players)].EndUserID, nil)
	}
	var sysTime time.Duration
	run := func(work func(n signedNote) error) (time.Duration, time.Duration) {
		var next atomic.Int64
		sys0 := processSys()
		defer func() { sysTime += processSys() - sys0 }()
		cpu, start := processCPU(), time.Now()
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(notes) {
						return
					}
					if err := work(notes[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start), processCPU() - cpu
	}
	b.ResetTimer()
	_, endpointCPU := run(func(n signedNote) error {
		status, body, err := post(client, url, n.raw)
		if err != nil || status != 200 {
			return fmt.Errorf("notification %s: HTTP %d %s %v", n.id, status, body, err)
		}
		return nil
	})
	b.StopTimer()
	_, bareCPU := run(func(n signedNote) error {
		parsed, err := trustly.ParseNotification(n.raw, &trustlyKey.PublicKey)
		if err != nil {
			return err
		}
		_, err = trustly.EncodeAnswer(merchantKey, parsed.Method, parsed.UUID, trustly.Answer{Status: trustly.StatusOK})
		return err
	})
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(per(endpointCPU-bareCPU), "overhead-cpu-µs/op")
	b.ReportMetric(per(bareCPU), "bare-cpu-µs/op")
	if os.Getenv("BENCH_VERBOSE") != "" {
		b.Logf("endpoint %.0f µs/op of CPU, bare %.0f, system time in both %.0f", per(endpointCPU), per(bareCPU), per(sysTime))
	}
}

func processSys() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Stime.Nano())
}
