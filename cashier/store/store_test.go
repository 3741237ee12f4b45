package store_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
)

// TestOpenConcurrentMigrations starts several instances at once on one empty
// PostgreSQL schema, as a deployment of several cashiers does: every Open must
// succeed and leave every table in place. Without the migration lock, one of them
// fails with "relation already exists" (or a duplicate type or index).
func TestOpenConcurrentMigrations(t *testing.T) {
	for round := range 3 {
		dsn := storetest.PostgresDSN(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				db, err := store.Open(dsn, slog.New(slog.DiscardHandler))
				if err != nil {
					errs[i] = err
					return
				}
				store.Close(db)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: instance %d: store.Open = %v; want every instance to start", round, i, err)
			}
		}
		db, err := store.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range models.Tables() {
			if !db.Migrator().HasTable(table) {
				t.Errorf("round %d: table for %T missing after concurrent migrations", round, table)
			}
		}
		store.Close(db)
	}
}
