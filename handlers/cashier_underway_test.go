package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestCashierUnderway: the cashier page names each of the player's deposits still
// waiting for the bank, and each payout on its way, in one line linking to its
// page, so a player who left the result page does not start a second deposit
// believing the first lost. A credited deposit, a checkout abandoned (by the
// janitor, or past its life before the janitor came by) and a payout paid
// (confirmed, or sent with the bank's transfer state CONFIRMED) are not
// underway; another player's deposit is not theirs.
func TestCashierUnderway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, p := ta.signedIn("underway@example.com")
		_, other := ta.signedIn("other@example.com")
		sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
		started := startedDeposits(t, db, p, 1, sek(10000))[0]
		pending := startedDeposits(t, db, p, 1, sek(20000))[0]
		credited := startedDeposits(t, db, p, 1, sek(30000))[0]
		abandoned := startedDeposits(t, db, p, 1, sek(40000))[0]
		stale := startedDeposits(t, db, p, 1, sek(50000))[0]
		startedDeposits(t, db, other, 1, sek(60000))
		now := time.Now().UTC()
		set := func(o models.Order, v map[string]any) {
			t.Helper()
			if err := db.Model(&models.Order{}).Where("id = ?", o.ID).Updates(v).Error; err != nil {
				t.Fatal(err)
			}
		}
		set(pending, map[string]any{"status": models.OrderPending, "pending_at": now})
		set(credited, map[string]any{"status": models.OrderCredited, "credited_at": now})
		set(abandoned, map[string]any{"status": models.OrderAbandoned})
		set(stale, map[string]any{"created_at": now.Add(-2 * time.Hour)})
		payout := func(status models.OrderStatus, minor int64) models.Order {
			t.Helper()
			o := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
				EndUserID: p.EndUserID, Amount: sek(minor), Status: status, SentAt: &now, CreatedAt: now}
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		sent := payout(models.OrderSent, 7000)
		payout(models.OrderConfirmed, 8000)
		set(payout(models.OrderSent, 9000), map[string]any{"transfer_state": "CONFIRMED"}) // the bank paid it

		page := cl.get("/cashier").wantStatus(http.StatusOK)
		lines := page.byTestID("underway-line")
		got := map[string]string{}
		for _, n := range lines {
			got[attr(n, "href")] = strings.Join(strings.Fields(textOf(n)), " ")
		}
		want := map[string]string{
			"/deposit/success?order=" + url.QueryEscape(started.MessageID): "A deposit of SEK 100.00 is waiting for the bank.",
			"/deposit/success?order=" + url.QueryEscape(pending.MessageID): "A deposit of SEK 200.00 is being processed.",
			payoutURL(sent.ID): "A withdrawal of SEK 70.00 is on its way to your bank.",
		}
		if len(got) != len(want) || len(lines) != len(want) {
			t.Errorf("underway lines %q; want %q", got, want)
		}
		for href, text := range want {
			if got[href] != text {
				t.Errorf("line to %s: %q; want %q (all: %q)", href, got[href], text, got)
			}
		}
	})
}
