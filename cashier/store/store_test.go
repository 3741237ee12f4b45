package store_test

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
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

// oldPlayer is the players table as it was before Pay N Play: email unique,
// person_id with a plain index, both written as "" when empty.
type oldPlayer struct {
	ID          int64  `gorm:"primaryKey"`
	EndUserID   string `gorm:"size:64;not null;uniqueIndex"`
	Email       string `gorm:"size:254;uniqueIndex"`
	Country     string `gorm:"size:2;not null"`
	Currency    string `gorm:"size:3;not null"`
	PersonID    string `gorm:"size:64;index"`
	KYCEntityID string `gorm:"size:64;index"`
	CreatedAt   time.Time
}

func (oldPlayer) TableName() string { return "players" }

// TestOpenUpgradesPlayers: a database from before Pay N Play, whose players all
// hold "" as personid, opens; afterwards players without an email or a personid
// can be many, and an email or a personid that is present is still unique.
func TestOpenUpgradesPlayers(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
		raw  func(dsn string) gorm.Dialector
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") },
			func(dsn string) gorm.Dialector {
				sqliteDSN, err := store.SQLiteDSN(dsn)
				if err != nil {
					panic(err) // a plain path always has one
				}
				return sqlite.Open(sqliteDSN)
			}},
		{"postgres", func(t *testing.T) string { return storetest.PostgresDSN(t) },
			func(dsn string) gorm.Dialector { return postgres.Open(dsn) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			old, err := gorm.Open(db.raw(dsn), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if err := old.AutoMigrate(&oldPlayer{}); err != nil {
				t.Fatal(err)
			}
			for i, email := range []string{"a@example.com", "b@example.com"} {
				p := oldPlayer{EndUserID: fmt.Sprintf("old-%d", i), Email: email, Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
				if err := old.Create(&p).Error; err != nil {
					t.Fatal(err)
				}
			}
			store.Close(old)

			cur, err := store.Open(dsn, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("open a database from before Pay N Play: %v", err)
			}
			defer store.Close(cur)
			var kept []models.Player
			if err := cur.Order("id").Find(&kept).Error; err != nil || len(kept) != 2 || kept[0].Email != "a@example.com" || kept[0].PersonID != "" {
				t.Fatalf("players after the upgrade: %+v, %v", kept, err)
			}
			add := func(endUserID, email, personID string) error {
				return cur.Create(&models.Player{EndUserID: endUserID, Email: email, PersonID: personID, Country: "SE",
					Currency: "SEK", CreatedAt: time.Now()}).Error
			}
			for i := range 2 {
				if err := add(fmt.Sprintf("pnp-%d", i), "", ""); err != nil {
					t.Fatalf("a second player without email or personid: %v", err)
				}
			}
			if err := add("pnp-2", "", "SE197901311246"); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct{ name, email, personID string }{
				{"a taken personid", "", "SE197901311246"}, {"a taken email", "a@example.com", ""},
			} {
				if err := add("pnp-x", tt.email, tt.personID); !errors.Is(err, gorm.ErrDuplicatedKey) {
					t.Errorf("%s: got %v; want a duplicate key", tt.name, err)
				}
			}
			var stored models.Player
			if err := cur.Where("end_user_id = ?", "pnp-0").Take(&stored).Error; err != nil || stored.Email != "" || stored.PersonID != "" {
				t.Errorf("player without email: %+v, %v", stored, err)
			}
			var nulls int64
			cur.Model(&models.Player{}).Where("email IS NULL AND person_id IS NULL").Count(&nulls)
			if nulls != 2 {
				t.Errorf("%d players with NULL email and personid; want the 2 added without", nulls)
			}
		})
	}
}

// TestPoolKeepsConnections: a burst of concurrent statements, as a burst of
// notifications makes, closes no connection for want of room among the idle
// ones, so the next burst does not open new ones (on PostgreSQL a new server
// process each, whose statements are prepared again).
func TestPoolKeepsConnections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					// Each holds a connection for a while, without a write
					// transaction: on SQLite eight BEGIN IMMEDIATEs at once,
					// which no cashier writer makes (they take store.WriteLock
					// first), wait for each other in SQLite's busy handler
					// holding all four connections, while the one in the lock
					// waits for a fifth to prepare its statement, until the busy
					// timeout ends it with "database is locked".
					err := db.Connection(func(conn *gorm.DB) error {
						var n int64
						if err := conn.Raw("SELECT COUNT(*) FROM orders").Scan(&n).Error; err != nil {
							return err
						}
						time.Sleep(5 * time.Millisecond)
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		if s := sqlDB.Stats(); s.MaxIdleClosed != 0 {
			t.Fatalf("%d connections closed for want of idle room (%d open at most); want none", s.MaxIdleClosed, s.MaxOpenConnections)
		}
	})
}

// TestOpenKeysNames: the players an older version wrote without a name key get
// one at the next start: a kyc finds a password player without a personid by it.
func TestOpenKeysNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for i, p := range []models.Player{
			{FirstName: "Matti", LastName: "Meikäläinen", Country: "FI"},
			{FirstName: "Åsa", LastName: "Öberg-Lindqvist", Country: "SE", PersonID: "SE197901311246"},
			{Country: "FI"},
		} {
			p.EndUserID, p.Currency, p.CreatedAt = fmt.Sprintf("keys-%d", i), "EUR", time.Now()
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
		}
		// As an older version left them.
		if err := db.Exec("UPDATE players SET name_key = ''").Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var got []models.Player
		if err := db.Order("id").Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"meikalainen|matti", "oberg lindqvist|asa", "|"} {
			if got[i].NameKey != want {
				t.Errorf("player %q %q: name key %q; want %q", got[i].FirstName, got[i].LastName, got[i].NameKey, want)
			}
		}
	})
}

// TestOpenMarksAddedSelections: an account selection whose account notification
// an older version applied (the account saved, nothing set on the order) reads
// account-added after the next start, when from the notification's first receipt,
// also one the janitor had abandoned; one without an account notification, and
// a deposit with one, are left as they were.
func TestOpenMarksAddedSelections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		p := models.Player{EndUserID: "sel-migrate", Currency: "SEK", Country: "SE", CreatedAt: time.Now()}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		received := time.Date(2026, 1, 20, 14, 42, 0, 0, time.UTC)
		started := received.Add(-time.Minute)
		abandoned := received.Add(time.Hour)
		order := func(mid string, kind models.OrderKind, status models.OrderStatus, abandonedAt *time.Time, methods ...string) models.Order {
			o := models.Order{MessageID: mid, Kind: kind, PlayerID: p.ID, Amount: models.Money{Currency: "SEK"}, Status: status,
				StartedAt: &started, AbandonedAt: abandonedAt, CreatedAt: started, UpdatedAt: started}
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			for i, m := range methods {
				at := received.Add(time.Duration(i) * time.Minute)
				n := models.Notification{NotificationID: fmt.Sprintf("%s-%d", mid, i), Method: m, UUID: "u", TrustlyOrderID: "t-" + mid,
					OrderID: &o.ID, Raw: "{}", ReceivedAt: at, LastDeliveryAt: at}
				if err := db.Create(&n).Error; err != nil {
					t.Fatal(err)
				}
			}
			return o
		}
		added := order("sel-added", models.OrderSelectAccount, models.OrderStarted, nil, "account", "account")
		late := order("sel-late", models.OrderSelectAccount, models.OrderAbandoned, &abandoned, "account")
		silent := order("sel-silent", models.OrderSelectAccount, models.OrderAbandoned, &abandoned)
		cancelled := order("sel-cancel", models.OrderSelectAccount, models.OrderFailed, nil, "cancel")
		deposit := order("dep-account", models.OrderDeposit, models.OrderStarted, nil, "account")
		for range 2 { // idempotent
			if err := store.Migrate(db); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			o     models.Order
			want  models.OrderStatus
			added bool
		}{
			{added, models.OrderAccountAdded, true},
			{late, models.OrderAccountAdded, true},
			{silent, models.OrderAbandoned, false},
			{cancelled, models.OrderFailed, false},
			{deposit, models.OrderStarted, false},
		} {
			var got models.Order
			if err := db.Where("id = ?", tt.o.ID).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want || (got.AccountAddedAt != nil) != tt.added ||
				(tt.added && !got.AccountAddedAt.Equal(received)) {
				t.Errorf("%s after the start: %s, added at %v; want %s, added %t at %v", tt.o.MessageID, got.Status, got.AccountAddedAt, tt.want, tt.added, received)
			}
			// What Refresh derives agrees with what the migration wrote.
			refreshed := got
			refreshed.Refresh()
			if tt.added && refreshed.Status != got.Status {
				t.Errorf("%s: stored %s, Refresh derives %s", tt.o.MessageID, got.Status, refreshed.Status)
			}
		}
	})
}

// TestOpenMarksSignedInLogins: at the start, Pay N Play logins whose kyc said
// CONTINUE and whose browser an older version signed in without marking them
// (left 'Checkout started', abandoned by the janitor, or failed after a cancel)
// are marked signed-in, as Refresh derives; a login whose browser never signed
// in, a refused one and a Pay N Play deposit that signed in are left as they are.
func TestOpenMarksSignedInLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		p := models.Player{EndUserID: "login-migrate", Currency: "SEK", Country: "SE", CreatedAt: time.Now()}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 20, 14, 42, 0, 0, time.UTC)
		order := func(mid string, login bool, kyc string, status models.OrderStatus, signedIn bool, set func(o *models.Order)) models.Order {
			o := models.Order{MessageID: mid, Kind: models.OrderDeposit, PlayerID: p.ID, Amount: models.Money{Currency: "SEK"},
				Status: status, PayNPlay: true, LoginOnly: login, KYCOutcome: kyc, KYCAt: &at, StartedAt: &at, CreatedAt: at, UpdatedAt: at}
			if signedIn {
				o.SignedInAt = &at
			}
			if set != nil {
				set(&o)
			}
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		started := order("dep-login-started", true, models.KYCContinue, models.OrderStarted, true, nil)
		abandoned := order("dep-login-abandoned", true, models.KYCContinue, models.OrderAbandoned, true, func(o *models.Order) { o.AbandonedAt = &at })
		cancelled := order("dep-login-cancel", true, models.KYCContinue, models.OrderFailed, true, func(o *models.Order) { o.CancelledAt = &at })
		gone := order("dep-login-gone", true, models.KYCContinue, models.OrderAbandoned, false, func(o *models.Order) { o.AbandonedAt = &at })
		refused := order("dep-login-refused", true, models.KYCFinish, models.OrderFailed, false, func(o *models.Order) { o.CancelledAt = &at })
		deposit := order("dep-pnp-deposit", false, models.KYCContinue, models.OrderStarted, true, nil)
		for range 2 { // idempotent
			if err := store.Migrate(db); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			o    models.Order
			want models.OrderStatus
		}{
			{started, models.OrderSignedIn},
			{abandoned, models.OrderSignedIn},
			{cancelled, models.OrderSignedIn},
			{gone, models.OrderAbandoned},
			{refused, models.OrderFailed},
			{deposit, models.OrderStarted},
		} {
			var got models.Order
			if err := db.Where("id = ?", tt.o.ID).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			// What Refresh derives agrees with what the migration wrote.
			refreshed := got
			refreshed.Refresh()
			if got.Status != tt.want || refreshed.Status != got.Status {
				t.Errorf("%s after the start: %s, Refresh derives %s; want %s", tt.o.MessageID, got.Status, refreshed.Status, tt.want)
			}
		}
	})
}

// TestOpenMarksRefusedLogins: at the start, Pay N Play logins whose kyc said
// FINISH and that an older version left 'Checkout started' (no cancel came) or
// abandoned by the janitor are marked failed, as Refresh derives from the FINISH,
// and so are refused Pay N Play deposits ("Deposit & play") on which no money
// came, left started, pending or abandoned, or whose held debit leaves nothing
// to return (a debit alone, or one after the held credit), left pending or failed.
// A refused deposit whose credit came and is held to be returned, left pending or
// failed after a cancel, is marked refused-held. A login refused and then
// cancelled stays failed; a login whose kyc said CONTINUE, one without a kyc, a
// deposit whose credit is held for a kyc still to come and deposits whose kyc said
// CONTINUE or has not come are left as they are.
func TestOpenMarksRefusedLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		at := time.Date(2026, 1, 20, 14, 42, 0, 0, time.UTC)
		order := func(mid string, login bool, kyc string, status models.OrderStatus, set func(o *models.Order)) models.Order {
			o := models.Order{MessageID: mid, Kind: models.OrderDeposit, Amount: models.Money{Currency: "SEK"},
				Status: status, PayNPlay: true, LoginOnly: login, KYCOutcome: kyc, StartedAt: &at, CreatedAt: at, UpdatedAt: at}
			if kyc != "" {
				o.KYCAt = &at
			}
			if set != nil {
				set(&o)
			}
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		abandon := func(o *models.Order) { o.AbandonedAt = &at }
		started := order("dep-refused-started", true, models.KYCFinish, models.OrderStarted, nil)
		abandoned := order("dep-refused-abandoned", true, models.KYCFinish, models.OrderAbandoned, abandon)
		cancelled := order("dep-refused-cancel", true, models.KYCFinish, models.OrderFailed, func(o *models.Order) { o.CancelledAt = &at })
		gone := order("dep-continue-gone", true, models.KYCContinue, models.OrderAbandoned, abandon)
		silent := order("dep-nokyc-gone", true, "", models.OrderAbandoned, abandon)
		deposit := order("dep-refused-deposit", false, models.KYCFinish, models.OrderAbandoned, abandon)
		depositStarted := order("dep-refused-deposit-started", false, models.KYCFinish, models.OrderStarted, nil)
		depositPending := order("dep-refused-deposit-pending", false, models.KYCFinish, models.OrderPending, func(o *models.Order) { o.PendingAt = &at })
		creditHeld := order("dep-refused-credit-held", false, models.KYCFinish, models.OrderPending, func(o *models.Order) { o.CreditHeldAt = &at })
		creditHeldGone := order("dep-refused-credit-held-gone", false, models.KYCFinish, models.OrderPending, func(o *models.Order) {
			o.CreditHeldAt, o.AbandonedAt = &at, &at
		})
		debitHeld := order("dep-refused-debit-held", false, models.KYCFinish, models.OrderPending, func(o *models.Order) { o.DebitHeldAt = &at })
		creditHeldCancelled := order("dep-refused-credit-held-cancel", false, models.KYCFinish, models.OrderFailed, func(o *models.Order) {
			o.CreditHeldAt, o.CancelledAt = &at, &at
		})
		bothHeld := order("dep-refused-both-held", false, models.KYCFinish, models.OrderPending, func(o *models.Order) {
			o.CreditHeldAt, o.DebitHeldAt = &at, &at
		})
		bothHeldCancelled := order("dep-refused-both-held-cancel", false, models.KYCFinish, models.OrderFailed, func(o *models.Order) {
			o.CreditHeldAt, o.DebitHeldAt, o.CancelledAt = &at, &at, &at
		})
		heldNoKYC := order("dep-nokyc-credit-held", false, "", models.OrderPending, func(o *models.Order) { o.CreditHeldAt = &at })
		depositGone := order("dep-continue-deposit-gone", false, models.KYCContinue, models.OrderAbandoned, abandon)
		depositSilent := order("dep-nokyc-deposit-gone", false, "", models.OrderAbandoned, abandon)
		for range 2 { // idempotent
			if err := store.Migrate(db); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			o    models.Order
			want models.OrderStatus
		}{
			{started, models.OrderFailed},
			{abandoned, models.OrderFailed},
			{cancelled, models.OrderFailed},
			{gone, models.OrderAbandoned},
			{silent, models.OrderAbandoned},
			{deposit, models.OrderFailed},
			{depositStarted, models.OrderFailed},
			{depositPending, models.OrderFailed},
			{creditHeld, models.OrderRefusedHeld},
			{creditHeldGone, models.OrderRefusedHeld},
			{creditHeldCancelled, models.OrderRefusedHeld},
			{debitHeld, models.OrderFailed},
			{bothHeld, models.OrderFailed},
			{bothHeldCancelled, models.OrderFailed},
			{heldNoKYC, models.OrderPending},
			{depositGone, models.OrderAbandoned},
			{depositSilent, models.OrderAbandoned},
		} {
			var got models.Order
			if err := db.Where("id = ?", tt.o.ID).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			refreshed := got
			refreshed.Refresh()
			if got.Status != tt.want || refreshed.Status != got.Status {
				t.Errorf("%s after the start: %s, Refresh derives %s; want %s", tt.o.MessageID, got.Status, refreshed.Status, tt.want)
			}
		}
	})
}

// TestOpenAddsBreakTokens: a breaks table an older version made, append-only and
// without the form token, opens: its rows are kept with no token, a token is then
// unique (the same form cannot take two breaks), breaks without one can be many,
// and the table still refuses changes.
func TestOpenAddsBreakTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// As an older version left it: no column, no index; the triggers in place.
		for _, stmt := range []string{"DROP INDEX idx_breaks_token", "ALTER TABLE breaks DROP COLUMN token"} {
			if err := db.Exec(stmt).Error; err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC().Truncate(time.Second)
		if err := db.Exec("INSERT INTO breaks (player_id, kind, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?)",
			1, breaks.TimeOut24h, now, now.Add(24*time.Hour), now).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatalf("open a breaks table from before form tokens: %v", err)
		}
		var old []breaks.Break
		if err := db.Find(&old).Error; err != nil || len(old) != 1 || old[0].Token != nil || old[0].Kind != breaks.TimeOut24h {
			t.Fatalf("breaks after the upgrade: %+v, %v; want the old one, without a token", old, err)
		}
		token := models.NewBreakToken()
		add := func(token *string) error {
			return db.Create(&breaks.Break{PlayerID: 1, Kind: breaks.TimeOut7d, StartsAt: now, CreatedAt: now, Token: token}).Error
		}
		for _, tok := range []*string{nil, nil, &token} {
			if err := add(tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := add(&token); !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("a second break with one form's token: %v; want a duplicate key", err)
		}
		if err := db.Exec("UPDATE breaks SET token = NULL").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE after the upgrade: %v; want refused as append-only", err)
		}
	})
}
