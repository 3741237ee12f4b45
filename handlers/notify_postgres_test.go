package handlers

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// BenchmarkNotifyPostgres1 is BenchmarkNotifyEndpoint on PostgreSQL
// (TEST_DATABASE_URL, a fresh schema): fresh credit notifications through the
// HTTP endpoint of one cashier from 8 senders (BENCH_SENDERS), reporting
// notifications/s, the bare verify+sign rate of the same notes on the same
// goroutines in the same run (signverify/s), and their ratio.
func BenchmarkNotifyPostgres1(b *testing.B) { benchNotifyPostgres(b, 1) }

// BenchmarkNotifyPostgres2 is BenchmarkNotifyPostgres1 with two cashier
// instances on the same database, as operators run them behind a balancer: two
// cashier.Service values, each with its own connection pool and HTTP server; the
// senders alternate between them.
func BenchmarkNotifyPostgres2(b *testing.B) { benchNotifyPostgres(b, 2) }

func benchNotifyPostgres(b *testing.B, instances int) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("PostgreSQL not configured: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL notification benchmarks")
	}
	dsn := storetest.PostgresDSN(b)
	var urls []string
	var db *gorm.DB
	for range instances {
		d, err := store.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close(d) })
		if db == nil {
			db = d
		}
		urls = append(urls, notifyServer(b, notifyService(b, d)))
	}
	client := notifyClient(b)
	senders := 8
	if v := os.Getenv("BENCH_SENDERS"); v != "" {
		fmt.Sscan(v, &senders)
	}
	players, orders := notifyOrders(b, db, 50, b.N, func(i int) int64 { return int64(1000 + i%5000*100) })
	notes := make([]signedNote, b.N)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for i := w; i < b.N; i += senders {
				notes[i] = signNote(b, notifyTrustlyKey(), "credit", fmt.Sprintf("%010d", 4000000000+i), uuid.NewString(),
					orders[i], players[i%len(players)].EndUserID, nil)
			}
		})
	}
	wg.Wait()
	run := func(work func(sender int, n signedNote) error) time.Duration {
		var next atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(notes) {
						return
					}
					if err := work(s, notes[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}

	b.ResetTimer()
	endpoint := run(func(sender int, n signedNote) error {
		status, body, err := post(client, urls[sender%len(urls)], n.raw)
		if err != nil || status != 200 {
			return fmt.Errorf("notification %s: HTTP %d %s %v", n.id, status, body, err)
		}
		return nil
	})
	b.StopTimer()
	bare := run(func(_ int, n signedNote) error {
		parsed, err := trustly.ParseNotification(n.raw, &notifyTrustlyKey().PublicKey)
		if err != nil {
			return err
		}
		_, err = trustly.EncodeAnswer(notifyMerchantKey(), parsed.Method, parsed.UUID, trustly.Answer{Status: trustly.StatusOK})
		return err
	})
	var credited int64
	if err := db.Table("orders").Where("status = ?", "credited").Count(&credited).Error; err != nil || credited != int64(b.N) {
		b.Fatalf("%d orders credited, %v; want %d", credited, err, b.N)
	}
	endpointRate := float64(b.N) / endpoint.Seconds()
	bareRate := float64(b.N) / bare.Seconds()
	b.ReportMetric(endpointRate, "notifications/s")
	b.ReportMetric(bareRate, "signverify/s")
	b.ReportMetric(endpointRate/bareRate, "ratio")
}
