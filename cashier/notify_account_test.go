package cashier_test

import (
	"fmt"
	"testing"
	"time"

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
