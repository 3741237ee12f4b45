package handlers

import (
	"log/slog"
	"os"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
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
	var dbs []*gorm.DB
	for range instances {
		d, err := store.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close(d) })
		dbs = append(dbs, d)
	}
	benchNotify(b, dbs, notifyTrustlyKey(), notifyMerchantKey(), benchSenders()).reportRates(b)
}
