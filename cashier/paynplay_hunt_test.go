package cashier_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayConcurrentDutchKYC: one new Dutch person depositing from several
// browsers at once (several orders, one kycentityid, each kyc delivered twice,
// all together) becomes one player, whom every order belongs to. The Netherlands
// have no personid, whose unique index stops a second Swedish player; on
// PostgreSQL two kyc transactions at once each found no player for the
// kycentityid and each made one.
func TestPayNPlayConcurrentDutchKYC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// Each player's INSERT waits a moment before its transaction goes on to
		// commit: the kyc transactions that began meanwhile must wait for it too
		// rather than find no player and make one.
		if err := db.Callback().Create().After("gorm:create").Register("test:hold_new_player", func(tx *gorm.DB) {
			if tx.Statement.Table == "players" && tx.Error == nil {
				time.Sleep(300 * time.Millisecond)
			}
		}); err != nil {
			t.Fatal(err)
		}
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		entity := fmt.Sprintf("nl-together-%d", rigNext())
		var orders []models.Order
		var notes []note
		for range 6 {
			o := r.pnpOrder(10000, "EUR")
			orders = append(orders, o)
			notes = append(notes, notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, dutchAdult)))
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 2*len(notes))
		for _, n := range append(notes, notes...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answer, err := r.svc.HandleNotification(r.ctx, n.raw)
				if err == nil && !strings.Contains(string(answer), trustly.StatusContinue) {
					err = fmt.Errorf("answer %s", answer)
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var players []models.Player
		if err := db.Where("kyc_entity_id = ?", entity).Find(&players).Error; err != nil {
			t.Fatal(err)
		}
		if len(players) != 1 {
			t.Fatalf("%d players with kycentityid %s; want 1", len(players), entity)
		}
		for _, o := range orders {
			if got := r.reload(o); got.PlayerID != players[0].ID {
				t.Errorf("order %d of player %d; want %d", o.ID, got.PlayerID, players[0].ID)
			}
		}
	})
}
