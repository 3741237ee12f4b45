package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

func sek(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }

func TestPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx, l := context.Background(), ledger.New(db)
		wallet := models.PlayerWallet(1)
		deposit := models.Move("deposit:1:credit", "Deposit", models.TrustlyClearing, wallet, sek(10000))
		if _, err := l.Post(ctx, deposit); err != nil {
			t.Fatal(err)
		}
		again, err := l.Post(ctx, deposit)
		if err != nil || !again.Replayed {
			t.Fatalf("replay: got replayed %t, %v; want replayed, nil", again.Replayed, err)
		}
		other := models.Move("deposit:1:credit", "Deposit", models.TrustlyClearing, wallet, sek(999))
		if _, err := l.Post(ctx, other); !errors.Is(err, ledger.ErrReferenceReused) {
			t.Fatalf("reuse: got %v, want ErrReferenceReused", err)
		}
		for _, tt := range []struct {
			name      string
			t         models.Transfer
			overdraft bool
			want      error
		}{
			{"overdraw", models.Move("payout:1:reserve", "", wallet, models.PlayerReserved(1), sek(10001)), false, ledger.ErrInsufficientFunds},
			{"unbalanced", models.Transfer{Reference: "x", Currency: "SEK", Entries: []models.Entry{{Account: wallet, Minor: 1}, {Account: models.TrustlyClearing, Minor: 2}}}, false, models.ErrUnbalanced},
			{"debit may overdraw", models.Move("deposit:1:debit", "", wallet, models.TrustlyClearing, sek(15000)), true, nil},
		} {
			tt.t.AllowOverdraft = tt.overdraft
			if _, err := l.Post(ctx, tt.t); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
			}
		}
		got, err := l.Balance(ctx, wallet, "SEK")
		if err != nil || got.Minor != -5000 {
			t.Fatalf("balance: got %d, %v; want -5000", got.Minor, err)
		}
		if err := l.Audit(ctx); err != nil {
			t.Fatal(err)
		}
		mv, err := l.Movements(ctx, wallet, 10)
		if err != nil || len(mv) != 2 || mv[0].Reference != "deposit:1:debit" || mv[0].Minor != -15000 {
			t.Fatalf("movements: got %+v, %v", mv, err)
		}
	})
}

// TestPostInCallerTransaction shows that a replayed reference inside a caller's
// transaction leaves that transaction usable (a savepoint on PostgreSQL).
func TestPostInCallerTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		tr := models.Move("deposit:2:credit", "", models.TrustlyClearing, models.PlayerWallet(2), sek(500))
		err := db.Transaction(func(tx *gorm.DB) error {
			l := ledger.New(tx)
			if _, err := l.Post(ctx, tr); err != nil {
				return err
			}
			if _, err := l.Post(ctx, tr); err != nil {
				return err
			}
			_, err := l.Post(ctx, models.Move("deposit:3:credit", "", models.TrustlyClearing, models.PlayerWallet(2), sek(1)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := ledger.New(db).Balance(ctx, models.PlayerWallet(2), "SEK")
		if got.Minor != 501 {
			t.Fatalf("got %d, want 501", got.Minor)
		}
	})
}

// TestRefusedPostInCallerTransaction: a reservation refused for want of funds
// inside a caller's transaction writes nothing, not even its transfer row, and the
// caller may go on and commit: the same reference can be posted afterwards.
func TestRefusedPostInCallerTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		wallet := models.PlayerWallet(4)
		if _, err := ledger.New(db).Post(ctx, models.Move("deposit:4:credit", "", models.TrustlyClearing, wallet, sek(300))); err != nil {
			t.Fatal(err)
		}
		reserve := models.Move("payout:4:reserve", "", wallet, models.PlayerReserved(4), sek(301))
		err := db.Transaction(func(tx *gorm.DB) error {
			l := ledger.New(tx)
			if _, err := l.Post(ctx, reserve); !errors.Is(err, ledger.ErrInsufficientFunds) {
				return fmt.Errorf("overdraw: %v, want ErrInsufficientFunds", err)
			}
			_, err := l.Post(ctx, models.Move("deposit:5:credit", "", models.TrustlyClearing, wallet, sek(1)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var transfers int64
		if err := db.Model(&models.Transfer{}).Where("reference = ?", reserve.Reference).Count(&transfers).Error; err != nil || transfers != 0 {
			t.Fatalf("%d transfers %s, %v; want none", transfers, reserve.Reference, err)
		}
		if _, err := ledger.New(db).Post(ctx, reserve); err != nil {
			t.Fatalf("the refused reference posted afterwards: %v", err)
		}
		if err := ledger.New(db).Audit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHouseBalanceShards: a house account's balance is kept in several rows so
// that concurrent transfers do not queue for one row lock; its balance is still
// the sum of its entries, which Audit agrees with (TestAudit damages a shard), and
// a player's balance stays one row.
func TestHouseBalanceShards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx, l := context.Background(), ledger.New(db)
		var total int64
		for i := range 40 {
			amount := int64(100 + i)
			total += amount
			if _, err := l.Post(ctx, models.Move(fmt.Sprintf("deposit:%d:credit", 100+i), "", models.TrustlyClearing,
				models.PlayerWallet(41), sek(amount))); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := l.Balance(ctx, models.TrustlyClearing, "SEK"); err != nil || got.Minor != -total {
			t.Fatalf("clearing %d, %v; want %d", got.Minor, err, -total)
		}
		if got, err := l.Balance(ctx, models.PlayerWallet(41), "SEK"); err != nil || got.Minor != total {
			t.Fatalf("wallet %d, %v; want %d", got.Minor, err, total)
		}
		var rows []models.Balance
		if err := db.Order("account").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var clearing []models.Balance
		for _, r := range rows {
			switch {
			case r.Account == models.PlayerWallet(41):
			case strings.HasPrefix(string(r.Account), string(models.TrustlyClearing)):
				clearing = append(clearing, r)
			default:
				t.Errorf("unexpected balances row %+v", r)
			}
		}
		if len(clearing) < 8 {
			t.Fatalf("the clearing balance is in %d rows after 40 transfers: %+v; want it spread", len(clearing), clearing)
		}
		if err := l.Audit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentReservations: 60 concurrent reservations of 100 against a wallet of
// 1000 must reserve exactly 10 and never overdraw.
func TestConcurrentReservations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx, l := context.Background(), ledger.New(db)
		if _, err := l.Post(ctx, models.Move("seed", "", models.TrustlyClearing, models.PlayerWallet(9), sek(1000))); err != nil {
			t.Fatal(err)
		}
		// A debit refused first, so the guarded UPDATE is prepared before the burst.
		// On SQLite a statement is prepared on a connection of the pool (store's
		// sqlitePool): 60 posts at once, without the cashier's writeLock, hold all of
		// its connections in BEGIN IMMEDIATE, and the one with the lock would wait
		// for a connection until the others' busy timeouts (the cashier serializes
		// its writers with writeLock, so they never hold more than one).
		if _, err := l.Post(ctx, models.Move("warm", "", models.PlayerWallet(8), models.PlayerReserved(8), sek(100))); !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Fatalf("debit of an empty wallet: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, short := 0, 0
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := l.Post(ctx, models.Move(fmt.Sprintf("payout:%d:reserve", i), "", models.PlayerWallet(9), models.PlayerReserved(9), sek(100)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ledger.ErrInsufficientFunds):
					short++
				default:
					t.Errorf("reserve %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		w, _ := l.Balance(ctx, models.PlayerWallet(9), "SEK")
		if ok != 10 || short != 50 || w.Minor != 0 {
			t.Fatalf("got %d reserved, %d refused, wallet %d; want 10, 50, 0", ok, short, w.Minor)
		}
		if err := l.Audit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentOppositeTransfers moves money both ways between two guarded wallets
// at once. Post locks balance rows in account order; in entry order, A→B and B→A
// would lock the two rows in opposite orders and deadlock on PostgreSQL. It runs
// on PostgreSQL only: SQLite locks the whole database, so there is no row order to
// get wrong, and its concurrent writers are serialized by the cashier's writer lock,
// which this test of the bare ledger does not take.
func TestConcurrentOppositeTransfers(t *testing.T) {
	db := storetest.Postgres(t)
	ctx, l := context.Background(), ledger.New(db)
	a, b := models.PlayerWallet(21), models.PlayerWallet(22)
	for _, w := range []models.LedgerAccount{a, b} {
		if _, err := l.Post(ctx, models.Move("seed:"+string(w), "", models.TrustlyClearing, w, sek(100000))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		from, to := a, b
		if g%2 == 1 {
			from, to = b, a
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				ref := fmt.Sprintf("move:%d:%d", g, i)
				if _, err := l.Post(ctx, models.Move(ref, "", from, to, sek(100))); err != nil {
					t.Errorf("%s from %s: %v", ref, from, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, w := range []models.LedgerAccount{a, b} {
		if got, err := l.Balance(ctx, w, "SEK"); err != nil || got.Minor != 100000 {
			t.Errorf("%s: got %d, %v; want 100000", w, got.Minor, err)
		}
	}
	if err := l.Audit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAudit finds each invariant broken behind the ledger's back: entries of a
// currency that do not sum to zero, and a stored balance that is not the sum of its
// account's entries: a row changed or missing, or one of a house account's shards
// changed.
func TestAudit(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(db *gorm.DB, transferID int64) error
		want   string
	}{
		{"unbalanced entries", func(db *gorm.DB, transferID int64) error {
			// The balance follows the extra entry, so only the sum per currency is off.
			if err := db.Create(&models.Entry{TransferID: transferID, Account: models.PlayerWallet(31), Minor: 5}).Error; err != nil {
				return err
			}
			return db.Model(&models.Balance{}).Where("account = ?", models.PlayerWallet(31)).
				Update("minor", gorm.Expr("minor + 5")).Error
		}, "SEK entries sum to 5, not zero"},
		{"stale balance", func(db *gorm.DB, transferID int64) error {
			return db.Model(&models.Balance{}).Where("account = ?", models.PlayerWallet(31)).Update("minor", 10001).Error
		}, "balance of player:31:wallet is 10001 SEK, entries say 10000"},
		{"missing balance", func(db *gorm.DB, transferID int64) error {
			return db.Where("account = ?", models.PlayerWallet(31)).Delete(&models.Balance{}).Error
		}, "balance of player:31:wallet is 0 SEK, entries say 10000"},
		{"stale house shard", func(db *gorm.DB, transferID int64) error {
			return db.Model(&models.Balance{}).Where("account LIKE ?", string(models.TrustlyClearing)+"%").
				Update("minor", gorm.Expr("minor + 1")).Error
		}, "balance of trustly:clearing is -9999 SEK, entries say -10000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				ctx, l := context.Background(), ledger.New(db)
				tr, err := l.Post(ctx, models.Move("deposit:31:credit", "", models.TrustlyClearing, models.PlayerWallet(31), sek(10000)))
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Audit(ctx); err != nil {
					t.Fatalf("before the damage: %v", err)
				}
				if err := tt.damage(db, tr.ID); err != nil {
					t.Fatal(err)
				}
				if err := l.Audit(ctx); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want an error containing %q", err, tt.want)
				}
			})
		})
	}
}

// TestBalances: the balances of several players' accounts, read together, are
// what Balance reads one by one, in each currency an account holds; an account
// with nothing booked is absent (zero), and a house account, kept in shards, is
// refused rather than read as one row.
func TestBalances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx, l := context.Background(), ledger.New(db)
		eur := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "EUR"} }
		for i, tt := range []struct {
			to    models.LedgerAccount
			money models.Money
		}{{models.PlayerWallet(1), sek(10000)}, {models.PlayerWallet(1), eur(500)}, {models.PlayerWallet(2), sek(2500)},
			{models.PlayerReserved(2), sek(700)}} {
			if _, err := l.Post(ctx, models.Move(fmt.Sprintf("deposit:%d:credit", i), "", models.TrustlyClearing, tt.to, tt.money)); err != nil {
				t.Fatal(err)
			}
		}
		accounts := []models.LedgerAccount{models.PlayerWallet(1), models.PlayerWallet(2), models.PlayerWallet(3), models.PlayerWallet(1)}
		got, err := l.Balances(ctx, accounts)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			for _, currency := range []string{"SEK", "EUR"} {
				one, err := l.Balance(ctx, a, currency)
				if err != nil {
					t.Fatal(err)
				}
				if got[a][currency].Minor != one.Minor {
					t.Errorf("Balances %s %s = %d; want %d as Balance reads it", a, currency, got[a][currency].Minor, one.Minor)
				}
			}
		}
		if len(got) != 2 || len(got[models.PlayerWallet(1)]) != 2 {
			t.Errorf("Balances = %v; want the two wallets with money, the first in two currencies", got)
		}
		if _, err := l.Balances(ctx, []models.LedgerAccount{models.TrustlyClearing}); err == nil {
			t.Error("Balances of a house account: no error; want one")
		}
		if got, err := l.Balances(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("Balances of none = %v, %v; want empty", got, err)
		}
	})
}
