package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestEveryWriteWaitsForTheWriter: on SQLite every write through GORM waits for
// this process's writer (store.WriteLock) before it takes a connection, not in
// SQLite's busy handler, which gives up after the busy timeout with "database is
// locked" while holding a connection: single statements outside a transaction
// (Create, Save, Update, Updates, Delete, Exec, FirstOrCreate), transactions,
// Migrate and the write check (CheckWritable, whose own busy timeout is 1 s).
// They run all at once, three of each, beside the counts (Counters.Take, which
// took the writer already) while a writer holds the database for longer than
// both busy timeouts (50 ms here, and CheckWritable's second): each succeeds once
// the writer is given back. Before, each but the counts failed with "database is
// locked"; the single statements and Exec were what the lock skipped.
func TestEveryWriteWaitsForTheWriter(t *testing.T) {
	db, err := store.Open("file:"+t.TempDir()+"/storm.db?_busy_timeout=50", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	counts := store.NewCounters(db, nil)
	until := time.Now().Add(time.Hour)
	row := func(name string) *store.RateCounter {
		return &store.RateCounter{Name: name, Value: []byte("1"), ExpiresAt: until}
	}
	for _, name := range []string{"update", "updates", "delete", "exec"} {
		for i := range 3 {
			if err := db.Create(row(fmt.Sprintf("%s-%d", name, i))).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	writes := []struct {
		name  string
		write func(ctx context.Context, i int) error
	}{
		{"Create", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Create(row(fmt.Sprint("create-", i))).Error
		}},
		{"Save", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Save(row(fmt.Sprint("save-", i))).Error
		}},
		{"Update", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Model(&store.RateCounter{}).Where("name = ?", fmt.Sprint("update-", i)).
				Update("hits", gorm.Expr("hits + 1")).Error
		}},
		{"Updates", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Model(&store.RateCounter{Name: fmt.Sprint("updates-", i)}).
				Updates(map[string]any{"hits": 7, "value": []byte("2")}).Error
		}},
		{"Delete", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Where("name = ?", fmt.Sprint("delete-", i)).Delete(&store.RateCounter{}).Error
		}},
		{"Exec", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Exec("UPDATE rate_counters SET hits = hits + 1 WHERE name = ?", fmt.Sprint("exec-", i)).Error
		}},
		{"FirstOrCreate", func(ctx context.Context, i int) error {
			var r store.RateCounter
			return db.WithContext(ctx).Where(store.RateCounter{Name: fmt.Sprint("first-", i)}).
				Attrs(store.RateCounter{Value: []byte("1"), ExpiresAt: until}).FirstOrCreate(&r).Error
		}},
		{"Transaction", func(ctx context.Context, i int) error {
			return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(row(fmt.Sprint("tx-", i))).Error; err != nil {
					return err
				}
				return tx.Exec("UPDATE rate_counters SET hits = 2 WHERE name = ?", fmt.Sprint("tx-", i)).Error
			})
		}},
		{"Migrate", func(ctx context.Context, i int) error { return store.Migrate(db) }},
		{"CheckWritable", func(ctx context.Context, i int) error { return store.CheckWritable(ctx, db) }},
		{"Counters.Take", func(ctx context.Context, i int) error {
			_, _, err := counts.Take(ctx, "signin:player:storm", time.Now(), time.Minute)
			return err
		}},
	}

	release := storetest.HoldWriter(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for _, w := range writes {
		for i := range 3 {
			wg.Go(func() {
				if err := w.write(ctx, i); err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%s #%d: %v", w.name, i, err))
					mu.Unlock()
				}
			})
		}
	}
	// Longer than both busy timeouts: a write waiting in SQLite's busy handler
	// gives up meanwhile.
	time.Sleep(1500 * time.Millisecond)
	release()
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("writes beside a busy writer failed:\n%s", strings.Join(failed, "\n"))
	}

	var n int64
	if err := db.Model(&store.RateCounter{}).Where("name LIKE 'delete-%'").Count(&n).Error; err != nil || n != 0 {
		t.Errorf("rows deleted: %d left, %v; want 0", n, err)
	}
	var hits []int64
	if err := db.Model(&store.RateCounter{}).Where("name LIKE 'exec-%' OR name LIKE 'update-%' OR name LIKE 'tx-%'").
		Order("name").Pluck("hits", &hits).Error; err != nil || len(hits) != 9 {
		t.Fatalf("rows updated: %v, %v; want 9", hits, err)
	}
	for _, h := range hits {
		if h != 1 && h != 2 {
			t.Errorf("hits %v; want each row updated once", hits)
			break
		}
	}
	if got, _, err := counts.Take(ctx, "signin:player:storm", time.Now(), time.Minute); err != nil || got != 4 {
		t.Errorf("after three counts at once and one more: %d, %v; want 4", got, err)
	}
}
