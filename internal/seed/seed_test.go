package seed_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/seed"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

var small = seed.Config{Players: 40, Orders: 600, Transfers: 3000, Seed: 7,
	Until: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}

// TestSeed: a small seeding writes exactly the rows asked for, and they are
// what the cashier would have written: the ledger audit is clean, no wallet is
// below zero and nothing stays reserved, each order's status follows from its
// events and its transfers are exactly those its events book, identity numbers
// are valid, ids grow with time, and the cashier reads the seeded players' pages
// and carries on writing after the seeded ids.
func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		stats, err := seed.Run(ctx, db, small)
		if err != nil {
			t.Fatal(err)
		}
		count := func(table string) int {
			var n int64
			if err := db.Table(table).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		for table, want := range map[string]int{"players": small.Players, "orders": small.Orders,
			"transfers": small.Transfers, "entries": 2 * small.Transfers, "notifications": stats.Notifications,
			"api_calls": small.Orders, "bank_accounts": stats.BankAccounts, "balances": stats.Balances} {
			if got := count(table); got != want || want == 0 {
				t.Errorf("%s: %d rows; want %d", table, got, want)
			}
		}
		if stats.Statuses["deposit credited"] == 0 || stats.Statuses["payout confirmed"] == 0 || len(stats.Statuses) < 5 {
			t.Errorf("statuses %v; want deposits and payouts in several final states", stats.Statuses)
		}
		if err := ledger.New(db).Audit(ctx); err != nil {
			t.Fatal(err)
		}
		var bad []models.Balance
		db.Where("(account LIKE 'player:%:wallet' AND minor < 0) OR (account LIKE 'player:%:reserved' AND minor <> 0)").Find(&bad)
		if len(bad) > 0 {
			t.Errorf("balances below zero or still reserved: %+v", bad)
		}

		var orders []models.Order
		db.Order("id").Find(&orders)
		var transfers []models.Transfer
		db.Order("id").Find(&transfers)
		refs := map[string]bool{}
		for i, tr := range transfers {
			refs[tr.Reference] = true
			if i > 0 && tr.CreatedAt.Before(transfers[i-1].CreatedAt) {
				t.Fatalf("transfer %d is older than transfer %d", tr.ID, transfers[i-1].ID)
			}
		}
		booked := 0
		for i, o := range orders {
			if i > 0 && o.CreatedAt.Before(orders[i-1].CreatedAt) {
				t.Fatalf("order %d is older than order %d", o.ID, orders[i-1].ID)
			}
			again := o
			again.Refresh()
			if again.Status != o.Status || again.Flag != o.Flag || o.Flag != "" {
				t.Errorf("order %d: %s %q; Refresh says %s %q", o.ID, o.Status, o.Flag, again.Status, again.Flag)
			}
			events := map[string]bool{"credit": o.Kind == models.OrderDeposit && o.CreditedAt != nil,
				"debit": o.DebitedAt != nil, "reserve": o.Kind == models.OrderPayout, "send": o.SentAt != nil,
				"release": o.ReleasedAt != nil, "return": o.ReturnedAt != nil}
			for event, want := range events {
				if refs[o.Reference(event)] != want {
					t.Errorf("order %d (%s %s): transfer %s booked %t; want %t", o.ID, o.Kind, o.Status, o.Reference(event), !want, want)
				}
				if want {
					booked++
				}
			}
		}
		var games int64
		db.Model(&models.Transfer{}).Where("reference LIKE 'game:%'").Count(&games)
		if booked+int(games) != small.Transfers {
			t.Errorf("%d transfers of orders and %d of play; want %d in all", booked, games, small.Transfers)
		}

		var players []models.Player
		db.Order("id").Find(&players)
		for i, p := range players {
			if i > 0 && p.CreatedAt.Before(players[i-1].CreatedAt) {
				t.Fatalf("player %d registered before player %d", p.ID, players[i-1].ID)
			}
			if p.Currency != models.Markets[p.Country].Currency || !strings.Contains("SE FI EE NL", p.Country) {
				t.Errorf("player %d: %s in %s", p.ID, p.Currency, p.Country)
			}
			if p.Country == "NL" {
				continue
			}
			id, err := paynplay.ParsePersonID("", p.PersonID)
			if err != nil || id.String() != p.PersonID || id.BirthDate() != p.DateOfBirth {
				t.Errorf("player %d: person id %q (%v), born %s", p.ID, p.PersonID, err, p.DateOfBirth)
			}
		}
		var orphans int64
		db.Model(&models.Notification{}).Where("order_id IS NULL OR NOT EXISTS (SELECT 1 FROM orders WHERE orders.id = notifications.order_id AND orders.trustly_order_id = notifications.trustly_order_id)").Count(&orphans)
		if orphans > 0 {
			t.Errorf("%d notifications without their order", orphans)
		}

		// The cashier reads the seeded players' pages, and writes after the seeded ids.
		svc := service(t, db)
		for _, p := range []models.Player{players[0], players[len(players)-1]} {
			h, err := svc.History(ctx, p)
			if err != nil || len(h.Orders) == 0 || len(h.Movements) == 0 || h.Wallet.Currency != p.Currency {
				t.Errorf("history of player %d: %d orders, %d movements, wallet %v, %v", p.ID, len(h.Orders), len(h.Movements), h.Wallet, err)
			}
			if _, err := svc.DepositLimits(ctx, p); err != nil {
				t.Error(err)
			}
		}
		p, err := svc.Register(ctx, models.Registration{Email: "new@example.com", Password: "a fine password",
			FirstName: "New", LastName: "Player", Country: "NL"})
		if err != nil || p.ID != int64(small.Players+1) {
			t.Errorf("a new player after seeding: id %d, %v; want %d", p.ID, err, small.Players+1)
		}
		if _, err := seed.Run(ctx, db, small); err == nil || !strings.Contains(err.Error(), "empty database") {
			t.Errorf("seeding again: %v; want a refusal", err)
		}
	})
}

// service is a cashier on db whose Trustly is nowhere.
func service(t *testing.T, db *gorm.DB) *cashier.Service {
	t.Helper()
	key, err := trustly.LoadPrivateKey("../../trustly/testdata/test-merchant-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "u", Password: "p",
		PrivateKey: key, TrustlyKey: &key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: key, TrustlyKey: &key.PublicKey,
		Log:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "token"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestSeedDeterministic: the same Config writes the same rows; another seed
// writes others.
func TestSeedDeterministic(t *testing.T) {
	digest := func(cfg seed.Config) string {
		db := storetest.SQLite(t)
		if _, err := seed.Run(context.Background(), db, cfg); err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for _, table := range []string{"players", "bank_accounts", "deposit_limit_changes", "breaks", "orders",
			"api_calls", "transfers", "entries", "notifications", "balances"} {
			var rows []map[string]any
			if err := db.Table(table).Order("1").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				fmt.Fprintf(h, "%s %v\n", table, r)
			}
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	cfg := small
	cfg.Players, cfg.Orders, cfg.Transfers = 10, 100, 400
	first, again := digest(cfg), digest(cfg)
	cfg.Seed++
	if other := digest(cfg); first != again || first == other {
		t.Errorf("digests %s, %s, with another seed %s; want the first two equal, the third different", first, again, other)
	}
}
