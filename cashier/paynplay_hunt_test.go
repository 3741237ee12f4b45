package cashier_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
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

// TestPayNPlayPayoutFailureKeepsLastDepositAccount: in a pure market payouts go to
// the account the player last deposited from. A payout to account A, the one
// deposited from first, fails after the player deposited from account B (B's
// account notification came while the payout was on its way): the next payout goes
// to B. Marking A's failure wrote its updated_at, by which the last account
// deposited from was chosen, so A, the failed one, came back as "last deposited
// from" and the player who had just deposited from B was told to deposit from
// their right account first.
func TestPayNPlayPayoutFailureKeepsLastDepositAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		amount := models.Money{Minor: 10000, Currency: "SEK"}
		order, err := e.as("se-adult").StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p := *e.pnpDone(order).Player
		var a models.BankAccount
		e.waitFor("the deposit's account", func() bool {
			accounts, _ := e.svc.BankAccounts(e.ctx, p)
			if len(accounts) == 1 {
				a = accounts[0]
			}
			return a.ID != 0
		})
		// B: the account of a later deposit, as its account notification saved it.
		b := models.BankAccount{PlayerID: p.ID, AccountID: "9000000002", Verified: true, Source: models.AccountFromDeposit,
			Bank: "Nordea", LastDigits: "865391", CreatedAt: a.UpdatedAt.Add(time.Millisecond), UpdatedAt: a.UpdatedAt.Add(time.Millisecond)}
		if err := db.Create(&b).Error; err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute) // the payout fails after B's deposit
		failed, err := e.scenario(sandbox.ScenarioPayoutFailed).RequestPayout(e.ctx, p, a.ID, models.Money{Minor: 3000, Currency: "SEK"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("the payout to A failed", func() bool { return e.reload(failed).Status == models.OrderFailed })
		e.waitFor("A marked", func() bool {
			var got models.BankAccount
			return db.Take(&got, a.ID).Error == nil && got.PayoutFailure != ""
		})
		// B is not an account the sandbox knows, so the payout's sending fails; the
		// order names the account it was for all the same.
		_, err = e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "SEK"})
		var payout models.Order
		if err := db.Where("kind = ? AND id <> ?", models.OrderPayout, failed.ID).Order("id DESC").Limit(1).Find(&payout).Error; err != nil {
			t.Fatal(err)
		}
		if payout.ID == 0 {
			t.Fatalf("no payout order after the failure to A (%v); want one to B", err)
		}
		if payout.BankAccountID != b.ID {
			t.Errorf("payout to account %d; want B, %d, the last deposited from (A is %d)", payout.BankAccountID, b.ID, a.ID)
		}
	})
}

// TestPayNPlayLoginAndDepositAtOnce: a known player's bank login and deposit,
// their kyc at once, both say CONTINUE. On PostgreSQL the deposit's kyc locked the
// player's row (reading the deposit limits) and then waited for the identity's
// lock, which the login's kyc held while it waited to write the player's row: a
// deadlock, one kyc failed and went unanswered. Every kyc now takes the
// identity's lock before any other.
func TestPayNPlayLoginAndDepositAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		first := r.pnpOrder(10000, "SEK")
		r.deliver(notify(t, key, trustly.MethodKYC, first, first.EndUserID, kycFields("e-1", swedishAdult)), trustly.StatusContinue)
		// From here, whoever holds the identity's lock holds it a moment.
		if err := db.Callback().Raw().After("gorm:raw").Register("test:hold_identity", func(tx *gorm.DB) {
			if strings.Contains(tx.Statement.SQL.String(), "pg_advisory_xact_lock") {
				time.Sleep(300 * time.Millisecond)
			}
		}); err != nil {
			t.Fatal(err)
		}
		login, deposit := r.pnpLogin("SEK"), r.pnpOrder(10000, "SEK")
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for i, o := range []models.Order{login, deposit} {
			n := notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("e-1", swedishAdult))
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 100 * time.Millisecond) // the login's kyc first
				answer, err := r.svc.HandleNotification(r.ctx, n.raw)
				if err == nil && !strings.Contains(string(answer), trustly.StatusContinue) {
					err = fmt.Errorf("answer %s", answer)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		p := r.reload(first).PlayerID
		for _, o := range []models.Order{login, deposit} {
			if got := r.reload(o); got.PlayerID != p || got.KYCOutcome != models.KYCContinue {
				t.Errorf("order %d: player %d kyc %q; want player %d, continue", o.ID, got.PlayerID, got.KYCOutcome, p)
			}
		}
	})
}
