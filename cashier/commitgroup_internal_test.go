package cashier

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestCommitDelayGathersExpectedWrites: writes announced with expectWrite that
// reach writeTx while a leader waits for them are committed in its batch, one
// transaction for all of them; a write announced but never made holds a batch up
// for commitDelay at most. The writes arrive within a fraction of commitDelay of
// each other; a machine busy enough to hold one of them back longer than that
// splits them, so the gathering gets a few tries, and without the delay every try
// splits them.
func TestCommitDelayGathersExpectedWrites(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()

	// Three writes announced, arriving one after the other: the number of
	// transactions they were committed in.
	gather := func() int {
		const n = 3
		ctxs, dones := make([]context.Context, n), make([]func(), n)
		for i := range n {
			ctxs[i], dones[i] = expectWrite(ctx, db)
		}
		var mu sync.Mutex
		pools := map[gorm.ConnPool]int{}
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				defer dones[i]()
				time.Sleep(time.Duration(i) * commitDelay / 5)
				err := writeTx(ctxs[i], db, func(tx *gorm.DB) error {
					mu.Lock()
					pools[tx.Statement.ConnPool]++
					mu.Unlock()
					return tx.Exec("SELECT 1").Error
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return len(pools)
	}
	var txs []int
	for range 5 {
		if txs = append(txs, gather()); txs[len(txs)-1] == 1 {
			break
		}
	}
	if txs[len(txs)-1] != 1 {
		t.Fatalf("3 announced writes committed in %v transactions in each try, want one", txs)
	}

	// One write announced and never made: another write still commits, after the
	// delay, not when the announced one comes (never).
	_, never := expectWrite(ctx, db)
	defer never()
	start := time.Now()
	if err := writeTx(ctx, db, func(tx *gorm.DB) error { return tx.Exec("SELECT 1").Error }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 1000*commitDelay {
		t.Fatalf("a write waited %v for one that never came", waited)
	}
	g := group(db)
	g.mu.Lock()
	coming := g.coming
	g.mu.Unlock()
	if coming != 1 {
		t.Fatalf("%d writes expected, want 1 (the one never made)", coming)
	}
}

// TestCommitGroupsForgottenOnClose: the commit queue of a SQLite database is
// forgotten when the database is closed (store.Close), as its writer is, so a
// process opening and closing many databases keeps none of theirs; every session
// of a database still open shares its one queue.
func TestCommitGroupsForgottenOnClose(t *testing.T) {
	count := func() int {
		n := 0
		store.RangePools(func(any) { n++ })
		return n
	}
	before := count()
	dir := t.TempDir()
	for i := range 4 {
		db, err := store.Open(fmt.Sprintf("%s/%d.db", dir, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if group(db) != group(db.Session(&gorm.Session{})) {
			t.Error("two commit queues for one open database")
		}
		if err := writeTx(context.Background(), db, func(tx *gorm.DB) error {
			return tx.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)").Error
		}); err != nil {
			t.Fatal(err)
		}
		if err := store.Close(db); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != before {
		t.Errorf("%d pools with values after opening and closing 4 databases; want %d", got, before)
	}
}
