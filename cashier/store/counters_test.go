package store_test

import (
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
