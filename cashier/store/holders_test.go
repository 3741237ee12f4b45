package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// accountRaw is an account notification as Trustly sends it and the cashier
// stores it (notifications.raw): personid "" names no holder.
func accountRaw(t *testing.T, notificationID, accountID, verified, personID string) string {
	t.Helper()
	attributes := map[string]string{"bank": "Aktia", "descriptor": "**526133", "lastdigits": "526133", "clearinghouse": "FINLAND"}
	if personID != "" {
		attributes["personid"] = personID
	}
	b, err := json.Marshal(map[string]any{"method": "account", "version": "1.1", "params": map[string]any{
		"signature": "c2lnbmVk", "uuid": "e3d8e0e4-1634-4b1f-974c-4dff888968ed",
		"data": map[string]any{"accountid": accountID, "attributes": attributes, "messageid": "dep-" + notificationID,
			"notificationid": notificationID, "orderid": "1400000001", "verified": verified},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// olderAccounts is a database as an older version left it, before
// bank_accounts.person_id was kept: players, their orders, the account
// notifications stored with them, and bank accounts inserted with the columns
// that version wrote. It returns the accounts' ids by name.
func olderAccounts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	at := time.Now().UTC().Add(-time.Hour)
	player := func(name string) int64 {
		p := models.Player{EndUserID: "holders-" + name, Currency: "EUR", Country: "FI", CreatedAt: at}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	p1, p2 := player("one"), player("two")
	order := func(playerID int64, kind models.OrderKind, pnp bool, kyc string) int64 {
		o := models.Order{MessageID: fmt.Sprintf("holders-%d-%d", playerID, time.Now().UnixNano()), Kind: kind, PlayerID: playerID,
			Amount: models.Money{Minor: 1000, Currency: "EUR"}, PayNPlay: pnp, KYCOutcome: kyc, CreatedAt: at, UpdatedAt: at}
		o.Refresh()
		if err := db.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	dep1, dep1b, sel1 := order(p1, models.OrderDeposit, false, ""), order(p1, models.OrderDeposit, false, ""), order(p1, models.OrderSelectAccount, false, "")
	refused := order(p1, models.OrderDeposit, true, models.KYCFinish)
	dep2 := order(p2, models.OrderDeposit, false, "")
	next := 0
	stored := func(orderID int64, accountID, verified, personID string) {
		next++
		id := fmt.Sprintf("%010d", 3100000000+next)
		err := db.Exec("INSERT INTO notifications (notification_id, method, uuid, trustly_order_id, order_id, raw, answer, status, deliveries, flag, received_at, last_delivery_at)"+
			" VALUES (?, 'account', 'u', '1400000001', ?, ?, '', 'OK', 1, '', ?, ?)", id, orderID, accountRaw(t, id, accountID, verified, personID), at, at).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	stored(dep1, "1001", "1", "FI131052-309U")
	stored(dep1b, "1001", "1", "FI210388-246L") // newer: the holder kept
	stored(dep1, "1002", "1", "FI131052-309U")
	stored(dep1b, "1002", "1", "") // newer, naming none: the holder named stays
	stored(dep1, "1003", "0", "FI131052-309U")
	stored(dep1, "1004", "1", "FI131052-309X") // not an identity number: its check character is wrong
	stored(dep2, "1005", "1", "FI131052-309U") // player two's
	stored(refused, "1006", "1", "FI131052-309U")
	stored(sel1, "1007", "1", "fi131052-309u")
	stored(dep1, "1008", "1", "FI131052-309U")
	stored(dep1, strings.Repeat("9", models.AccountIDSize+1), "1", "FI131052-309U")
	ids := map[string]int64{}
	account := func(name string, playerID int64, accountID string) {
		err := db.Exec("INSERT INTO bank_accounts (player_id, account_id, bank, descriptor, last_digits, clearing_house, verified, source, removed, payout_failure, created_at, updated_at)"+
			" VALUES (?, ?, 'Aktia', '**526133', '526133', 'FINLAND', ?, 'deposit', ?, '', ?, ?)", playerID, accountID, true, false, at, at).Error
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.Raw("SELECT id FROM bank_accounts WHERE player_id = ? AND account_id = ?", playerID, accountID).Scan(&id).Error; err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	for _, a := range []string{"1001", "1002", "1003", "1004", "1005", "1006", "1007"} {
		account(a, p1, a)
	}
	account("two-1005", p2, "1005")
	// 1008: saved by this version, with the holder its notification named then.
	saved := models.BankAccount{PlayerID: p1, AccountID: "1008", Source: models.AccountFromDeposit, PersonID: "FI010114A1242", CreatedAt: at, UpdatedAt: at}
	if err := db.Create(&saved).Error; err != nil {
		t.Fatal(err)
	}
	ids["1008"] = saved.ID
	return ids
}

// holdersWant is the person_id each of olderAccounts' accounts has once read.
var holdersWant = map[string]string{
	"1001": "FI210388-246L", "1002": "FI131052-309U", "1003": "", "1004": "", "1005": "", "1006": "", "1007": "FI131052-309U",
	"two-1005": "FI131052-309U", "1008": "FI010114A1242",
}

// wantHolders checks the person_id of each account against holdersWant, and that
// every one of them is marked read.
func wantHolders(t *testing.T, db *gorm.DB, ids map[string]int64, when string) {
	t.Helper()
	for name, id := range ids {
		var a models.BankAccount
		if err := db.Where("id = ?", id).Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		if a.PersonID != holdersWant[name] || !a.PersonRead {
			t.Errorf("%s: bank account %s: person_id %q, read %t; want %q, read", when, name, a.PersonID, a.PersonRead, holdersWant[name])
		}
	}
}

// TestOpenReadsAccountHolders: a bank account an older version saved has no
// person_id, though the account notification stored with its deposit names the
// holder, so a break did not follow that person to another account. At the start
// it takes the personid of the newest verified account notification of its player
// and accountid that names one, read as the cashier reads one as it comes
// (an unverified notification, an identity number that does not read, another
// player's notification, a Pay N Play deposit the kyc refused name none; an
// account selection's does, in lower case too); an account this version saved
// keeps its holder. The second start writes nothing and reads the accounts to do
// from a partial index of their own, on both databases.
func TestOpenReadsAccountHolders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ids := olderAccounts(t, db)
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		wantHolders(t, db, ids, "first start")

		var mu sync.Mutex
		var writes, reads []string
		var readVars []any
		record := func(tx *gorm.DB) {
			sql := tx.Statement.SQL.String()
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(sql, "UPDATE bank_accounts") {
				writes = append(writes, sql)
			}
			if strings.Contains(sql, "person_read") && strings.HasPrefix(sql, "SELECT") {
				reads, readVars = append(reads, sql), slices.Clone(tx.Statement.Vars)
			}
		}
		if err := db.Callback().Raw().After("gorm:raw").Register("holders:raw", record); err != nil {
			t.Fatal(err)
		}
		if err := db.Callback().Query().After("gorm:query").Register("holders:query", record); err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		wantHolders(t, db, ids, "second start")
		if len(writes) != 0 || len(reads) != 1 {
			t.Fatalf("second start: bank account writes %v, reads %v; want none and one", writes, reads)
		}
		plan, err := storetest.Explain(db, reads[0], readVars...)
		if err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, "idx_bank_accounts_unread_holders") ||
			strings.Contains(p, "SCAN bank_accounts") || !partial(t, db, "idx_bank_accounts_unread_holders") {
			t.Errorf("the accounts to read: %s\nplan:\n\t%s\nwant them read by their partial index alone", reads[0], strings.Join(plan, "\n\t"))
		}
	})
}

// TestOpenReadsAccountHoldersStopped: a start stopped while it reads the holders
// (here: the database refusing the fourth batch's last write) keeps the batches done
// whole, persons and marks together, and leaves the others as they were; the next
// start reads those.
func TestOpenReadsAccountHoldersStopped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ids := olderAccounts(t, db)
		// Batches of two: 1001 and 1002 (two persons), 1003 and 1004, 1005 and
		// 1006 (none), 1007 and player two's 1005 (two persons), stopped at its mark.
		defer store.SetHoldersBatch(2)()
		var mu sync.Mutex
		marks := 0
		stop := errors.New("stopped")
		err := db.Callback().Raw().Before("gorm:raw").Register("holders:stop", func(tx *gorm.DB) {
			if !strings.HasPrefix(tx.Statement.SQL.String(), "UPDATE bank_accounts SET person_read") {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if marks++; marks == 4 {
				tx.AddError(stop)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); !errors.Is(err, stop) {
			t.Fatalf("start stopped: %v; want it to fail with the stop", err)
		}
		var read []models.BankAccount
		if err := db.Order("id").Find(&read).Error; err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, a := range read {
			name := ""
			for n, id := range ids {
				if id == a.ID {
					name = n
				}
			}
			switch {
			case name == "1008":
			case a.PersonRead:
				done++
				if a.PersonID != holdersWant[name] {
					t.Errorf("stopped start: bank account %s read with person_id %q; want %q", name, a.PersonID, holdersWant[name])
				}
			case a.PersonID != "":
				t.Errorf("stopped start: bank account %s has person_id %q and is not marked read; want both or neither", name, a.PersonID)
			}
		}
		if done != 6 {
			t.Errorf("stopped start: %d accounts read; want the first three batches' 6", done)
		}
		if err := db.Callback().Raw().Remove("holders:stop"); err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		wantHolders(t, db, ids, "next start")
	})
}

// TestOpenReadsAccountHoldersKeepsSaved: a holder the cashier saves for an
// account while the start reads it (an account notification naming the person
// applied between the start's read and its write) is kept: the start writes a
// person only where there is none yet.
func TestOpenReadsAccountHoldersKeepsSaved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ids := olderAccounts(t, db)
		saved := false
		err := db.Callback().Raw().Before("gorm:raw").Register("holders:saved", func(tx *gorm.DB) {
			if saved || !strings.HasPrefix(tx.Statement.SQL.String(), "UPDATE bank_accounts SET person_id") {
				return
			}
			saved = true // the first account's holder, 1001's, as saveAccount would write it, in the start's transaction
			if err := tx.Session(&gorm.Session{NewDB: true}).Exec("UPDATE bank_accounts SET person_id = ? WHERE id = ?",
				"FI010114A1242", ids["1001"]).Error; err != nil {
				tx.AddError(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var a models.BankAccount
		if err := db.Where("id = ?", ids["1001"]).Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		if !saved || a.PersonID != "FI010114A1242" || !a.PersonRead {
			t.Errorf("bank account 1001 saved with a holder meanwhile: person_id %q, read %t; want the saved FI010114A1242, read", a.PersonID, a.PersonRead)
		}
	})
}

// logBuffer is a log's text, written by the start and read by the test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// olderShapeAccountIDs are accountids an older version took and this one
// refuses (trustly.ErrBadData): blank, a space at an end, a control or a format
// character.
var olderShapeAccountIDs = []string{" ", "2853579240 ", "\t2853579240", "2853\x00579240", "2853\n579240", "2853\u202e579240"}

// TestOpenReadsAccountHoldersOfOlderShape: an account notification an older
// version stored with an accountid this one refuses names no holder at the start,
// as bookHeld saves no account from one: the start goes on, reads the player's
// other notifications, and logs an alert naming each such notification, once
// (the second start, its accounts read, logs none), on both databases.
func TestOpenReadsAccountHoldersOfOlderShape(t *testing.T) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		t.Run(dbName, func(t *testing.T) {
			var logs logBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			dsn := filepath.Join(t.TempDir(), "cashier.db")
			if dbName == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			db, err := store.Open(dsn, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close(db) })
			at := time.Now().UTC().Add(-time.Hour)
			p := models.Player{EndUserID: "holders-older-shape", Currency: "EUR", Country: "FI", CreatedAt: at}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			o := models.Order{MessageID: "holders-older-shape-1", Kind: models.OrderDeposit, PlayerID: p.ID,
				Amount: models.Money{Minor: 1000, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at}
			o.Refresh()
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			var older []string
			for i, accountID := range append(slices.Clone(olderShapeAccountIDs), "1001") {
				id := fmt.Sprintf("%010d", 3200000000+i)
				err := db.Exec("INSERT INTO notifications (notification_id, method, uuid, trustly_order_id, order_id, raw, answer, status, deliveries, flag, received_at, last_delivery_at)"+
					" VALUES (?, 'account', 'u', '1400000001', ?, ?, '', 'OK', 1, '', ?, ?)", id, o.ID, accountRaw(t, id, accountID, "1", "FI131052-309U"), at, at).Error
				if err != nil {
					t.Fatalf("store an account notification of accountid %q: %v", accountID, err)
				}
				if accountID != "1001" {
					older = append(older, id)
				}
			}
			err = db.Exec("INSERT INTO bank_accounts (player_id, account_id, bank, descriptor, last_digits, clearing_house, verified, source, removed, payout_failure, created_at, updated_at)"+
				" VALUES (?, '1001', 'Aktia', '**526133', '526133', 'FINLAND', ?, 'deposit', ?, '', ?, ?)", p.ID, true, false, at, at).Error
			if err != nil {
				t.Fatal(err)
			}
			logs.Reset()
			if err := store.Migrate(db); err != nil {
				t.Fatalf("start with account notifications of an older shape: %v", err)
			}
			var a models.BankAccount
			if err := db.Where("player_id = ? AND account_id = '1001'", p.ID).Take(&a).Error; err != nil {
				t.Fatal(err)
			}
			if a.PersonID != "FI131052-309U" || !a.PersonRead {
				t.Errorf("bank account 1001: person_id %q, read %t; want FI131052-309U, read", a.PersonID, a.PersonRead)
			}
			text := logs.String()
			if testing.Verbose() {
				t.Log(text)
			}
			for i, id := range older {
				if n := strings.Count(text, "notification_id="+id); n != 1 || !strings.Contains(text, "alert: stored account notification no longer fits Trustly's format") {
					t.Errorf("accountid %q: notification %s named %d times in\n%s\nwant one alert naming it", olderShapeAccountIDs[i], id, n, text)
				}
			}
			logs.Reset()
			if err := store.Migrate(db); err != nil {
				t.Fatal(err)
			}
			if text := logs.String(); strings.Contains(text, "alert:") {
				t.Errorf("second start logged\n%s\nwant no alert: the accounts are read", text)
			}
		})
	}
}
