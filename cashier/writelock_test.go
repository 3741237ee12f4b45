package cashier_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
)

// TestWritesBesideNotificationsWaitForTheWriter: on SQLite a storm of
// notifications (each in a commit batch, holding this process's writer) runs
// beside the writes that did not take the writer: the readiness check
// (Service.Ready, whose BEGIN IMMEDIATE waited in SQLite's busy handler for a
// second) and single statements outside a transaction (a player created with
// db.Create, a language saved with db.Exec), all at once while a writer holds the
// database for longer than the busy timeouts (50 ms here, and the write check's
// second). Every one succeeds once the writer is given back, and every deposit is
// credited; before, the check and the single statements failed with "database
// is locked".
func TestWritesBesideNotificationsWaitForTheWriter(t *testing.T) {
	db, err := store.Open("file:"+t.TempDir()+"/storm.db?_busy_timeout=50", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	r := newRig(t, db, "", nil)
	key := rigTrustlyKey()
	var players []models.Player
	var notes []note
	for i := range 12 {
		p := r.player()
		players = append(players, p)
		o := r.order(p, int64(1000*(i+1)))
		notes = append(notes, notify(t, key, "credit", o, p.EndUserID, nil))
	}

	release := storetest.HoldWriter(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, fmt.Sprintf("%s: %v", what, err))
	}
	for _, n := range notes {
		wg.Go(func() {
			if _, err := r.svc.HandleNotification(ctx, n.raw); err != nil {
				fail("notification "+n.id, err)
			}
		})
	}
	for i := range 3 {
		wg.Go(func() {
			readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := r.svc.Ready(readyCtx); err != nil {
				fail(fmt.Sprint("ready #", i), err)
			}
		})
		wg.Go(func() {
			p := models.Player{EndUserID: fmt.Sprint("storm-", i), Email: fmt.Sprintf("storm%d@example.com", i),
				FirstName: "Anna", LastName: "Svensson", Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
			if err := db.WithContext(ctx).Create(&p).Error; err != nil {
				fail(fmt.Sprint("create #", i), err)
			}
		})
		wg.Go(func() {
			if err := db.WithContext(ctx).Exec("UPDATE players SET language = ? WHERE id = ?", "sv", players[i].ID).Error; err != nil {
				fail(fmt.Sprint("exec #", i), err)
			}
		})
	}
	// Longer than both busy timeouts: a write waiting in SQLite's busy handler
	// gives up meanwhile.
	time.Sleep(1500 * time.Millisecond)
	release()
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("writes beside a busy writer failed:\n%s", strings.Join(failed, "\n"))
	}
	for i, p := range players {
		if got, want := r.wallet(p), int64(1000*(i+1)); got != want {
			t.Errorf("player %d: wallet %d, want %d", i, got, want)
		}
	}
	r.audit()
}
