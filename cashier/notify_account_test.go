package cashier_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestAccountNotificationOnPayout: Trustly sends account notifications for
// deposits and account selections (API.md §5.4), never for a payout. One that
// names a payout saves no bank account for its player, whom a verified account
// from a deposit would otherwise be paid out to (the closed-loop account of Pay N
// Play is the latest such), and flags the payout; the same notification for the
// player's deposit saves the account, so the test can fail.
func TestAccountNotificationOnPayout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		now := time.Now().UTC()
		payout := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
			Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()),
			SentAt: &now, CreatedAt: now}
		payout.Refresh()
		if err := db.Create(&payout).Error; err != nil {
			t.Fatal(err)
		}
		accounts := func() int64 {
			var n int64
			if err := db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		r.deliver(notify(t, rigTrustlyKey(), "account", payout, "", nil), "OK")
		got := r.reload(payout)
		if n := accounts(); n != 0 || got.Status != models.OrderSent || got.Flag != "unexpected account notification for a payout order" {
			t.Errorf("after an account notification for a payout: %d bank accounts, payout %s %q; want none, sent, flagged", n, got.Status, got.Flag)
		}
		r.deliver(notify(t, rigTrustlyKey(), "account", r.order(p, 10000), "", nil), "OK")
		if n := accounts(); n != 1 {
			t.Errorf("after an account notification for a deposit: %d bank accounts; want 1", n)
		}
		r.audit()
	})
}

// TestAccountNotificationLongValues: an account notification whose attributes are
// longer than we keep (a bank or descriptor over 100 characters, last digits over
// 16, a clearing house over 32) is answered OK at once and saves the account with
// them cut to that length, on PostgreSQL as on SQLite, where the full text used to
// fail PostgreSQL's column and the notification was never answered. One whose
// accountid is longer than any we can keep (64 characters) saves nothing, since a
// cut accountid would name another account to pay out to, and flags the order;
// it is answered OK too, and the selection it names is not marked added.
func TestAccountNotificationLongValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		long := func(c string, n int) string { return strings.Repeat(c, n) }
		p := r.player()
		o := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), "account", o, "", map[string]any{"attributes": map[string]any{
			"bank": long("Å", 120), "descriptor": long("*", 120), "lastdigits": long("1", 20), "clearinghouse": long("C", 40)}}), "OK")
		var a models.BankAccount
		if err := db.Where("player_id = ?", p.ID).Take(&a).Error; err != nil {
			t.Fatalf("no account saved: %v", err)
		}
		if utf8.RuneCountInString(a.Bank) > 100 || !strings.HasPrefix(long("Å", 120), a.Bank) || a.Bank == "" ||
			a.Descriptor != long("*", 100) || a.LastDigits != long("1", 16) || a.ClearingHouse != long("C", 32) || a.AccountID != "2853579240" {
			t.Errorf("saved %+v; want the attributes cut to 100, 100, 16 and 32 characters", a)
		}

		for _, kind := range []models.OrderKind{models.OrderDeposit, models.OrderSelectAccount} {
			p := r.player()
			o := r.order(p, 10000)
			if kind == models.OrderSelectAccount {
				if err := db.Model(&o).Updates(map[string]any{"kind": kind, "amount_minor": 0, "message_id": models.NewMessageID(kind)}).Error; err != nil {
					t.Fatal(err)
				}
				o = r.reload(o)
			}
			r.deliver(notify(t, rigTrustlyKey(), "account", o, "", map[string]any{"accountid": long("7", 65)}), "OK")
			var n int64
			db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&n)
			got := r.reload(o)
			if n != 0 || !strings.Contains(got.Flag, "accountid of 65 characters") || got.AccountAddedAt != nil {
				t.Errorf("%s: accountid of 65 characters: %d accounts, flag %q, added %v; want none saved, flagged, not added", kind, n, got.Flag, got.AccountAddedAt)
			}
		}
	})
}
