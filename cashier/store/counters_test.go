package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestCounters: a count set on one Counters is read by another on the same
// database (another instance) until it ends, is replaced by the next Set, and is
// gone after Delete; ended counts are swept by later Sets.
func TestCounters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		a, b := store.NewCounters(db, clock), store.NewCounters(db, clock)
		if v, err := b.Get("login:192.0.2.1"); v != nil || err != nil {
			t.Fatalf("nothing counted yet: %q, %v", v, err)
		}
		if err := a.Set("login:192.0.2.1", []byte("1"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Set("login:192.0.2.1", []byte("2"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := a.Get("login:192.0.2.1"); string(v) != "2" || err != nil {
			t.Errorf("count set by the other instance: %q, %v; want 2", v, err)
		}
		if v, _ := a.Get("login:192.0.2.2"); v != nil {
			t.Errorf("another key: %q; want nothing", v)
		}
		now = now.Add(time.Minute)
		if v, err := b.Get("login:192.0.2.1"); v != nil || err != nil {
			t.Errorf("count past its end: %q, %v; want nothing", v, err)
		}
		if err := a.Set("staff:1", []byte("1"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete("staff:1"); err != nil {
			t.Fatal(err)
		}
		if v, _ := a.Get("staff:1"); v != nil {
			t.Errorf("deleted count: %q; want nothing", v)
		}
		for range 256 {
			if err := a.Set("player:7", []byte("1"), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		var left int64
		db.Model(&store.RateCounter{}).Where("name = ?", "login:192.0.2.1").Count(&left)
		if left != 0 {
			t.Errorf("an ended count is still kept after %d Sets", 256)
		}
	})
}

// TestCountersTake: Take counts attempts under a key in a window that starts at
// the first and ends window later; every instance on the database counts in the
// same window, each Take one more, also when many come at once (a guesser's
// requests spread over instances and sent together must not share a count), and
// after the window the count starts again at 1. GiveBack takes one back within
// the window, never below 0 and never from the next window.
func TestCountersTake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		a, b := store.NewCounters(db, nil), store.NewCounters(db, nil)
		take := func(c *store.Counters, key string) (int64, time.Time) {
			t.Helper()
			n, until, err := c.Take(ctx, key, now, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return n, until
		}
		end := now.Add(15 * time.Minute)
		for i, c := range []*store.Counters{a, b, a} {
			if n, until := take(c, "signin:player:x"); n != int64(i+1) || !until.Equal(end) {
				t.Errorf("take %d: %d until %v; want %d until %v", i+1, n, until, i+1, end)
			}
		}
		if n, _ := take(b, "signin:player:y"); n != 1 {
			t.Errorf("another key: %d; want 1", n)
		}
		if err := b.GiveBack(ctx, "signin:player:x", now); err != nil {
			t.Fatal(err)
		}
		now = now.Add(14 * time.Minute)
		if n, until := take(a, "signin:player:x"); n != 3 || !until.Equal(end) {
			t.Errorf("after one given back, 14 minutes on: %d until %v; want 3 until %v", n, until, end)
		}
		now = now.Add(time.Minute) // the window has ended
		if err := a.GiveBack(ctx, "signin:player:x", now); err != nil {
			t.Fatal(err)
		}
		if n, until := take(b, "signin:player:x"); n != 1 || !until.Equal(now.Add(15*time.Minute)) {
			t.Errorf("in the next window: %d until %v; want 1 until %v", n, until, now.Add(15*time.Minute))
		}
		for range 3 {
			if err := a.GiveBack(ctx, "signin:player:x", now); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := take(b, "signin:player:x"); n != 1 {
			t.Errorf("after more given back than taken: %d; want 1", n)
		}

		// Many at once, on two instances: each gets a count of its own.
		var wg sync.WaitGroup
		got := make([]int64, 24)
		for i := range got {
			wg.Go(func() {
				n, _, err := []*store.Counters{a, b}[i%2].Take(ctx, "signin:staff:z", now, 15*time.Minute)
				if err != nil {
					t.Error(err)
				}
				got[i] = n
			})
		}
		wg.Wait()
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("24 takes at once: counts %v; want 1 to 24, each once", got)
			}
		}
	})
}

// TestCountersWaitForTheWriter: on SQLite a count waits for this process's
// writer (store.WriteLock) instead of in SQLite's busy handler, which gives up
// after the busy timeout: with 24 sign-ins at once beside a busy notification
// batch, counts failed with "database is locked" (CI on a loaded machine). Here
// the busy timeout is 50 ms and a write transaction holds the database for
// 300 ms under the writer's lock (storetest.HoldWriter): every count made meanwhile is
// counted when it ends.
func TestCountersWaitForTheWriter(t *testing.T) {
	dsn := "file:" + t.TempDir() + "/busy.db?_busy_timeout=50"
	db, err := store.Open(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(db); err != nil {
		t.Fatal(err)
	}
	c := store.NewCounters(db, nil)
	release := storetest.HoldWriter(t, db)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				_, _, err := c.Take(context.Background(), "signin:player:x", time.Now(), time.Minute)
				errs <- err
			case 1:
				errs <- c.GiveBack(context.Background(), "signin:player:y", time.Now())
			default:
				errs <- c.Set("login:192.0.2.9", []byte("1"), time.Minute)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // longer than the busy timeout: a count not waiting for the lock gives up
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a count beside a busy writer: %v", err)
		}
	}
	if n, _, err := c.Take(context.Background(), "signin:player:x", time.Now(), time.Minute); err != nil || n != 4 {
		t.Errorf("after three counts at once and one more: %d, %v; want 4", n, err)
	}
}
