package handlers

import (
	"net/http"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestPayoutFailedMoneyNotBackLabel: a payout the bank failed (payoutfailed)
// whose money Trustly's credit has not brought back yet reads "Failed — money
// not back yet" on its order page and in the transactions list (whose rows the
// player's page, the CSV's status_name, a deposit's refunds and the approvals
// history share), where it read "Failed" as one whose money is back does,
// though the player reads "the money will come back to your balance" and the
// wallet holds none of it. One whose credit came reads "Failed" as before. A
// confirmed one whose transfer state says the bank failed it since reads so too
// (TestStaffLabelBankFailedAgrees), where it read plain "Confirmed".
func TestPayoutFailedMoneyNotBackLabel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "pf-", 7, 1, 0) // pf-1, pf-4 and pf-7 are payouts of player 2
		now := time.Now().UTC()
		for _, tt := range []struct {
			id  string
			set map[string]any
		}{
			{"pf-1", map[string]any{"status": models.OrderFailed, "sent_at": now, "payout_failed_at": now}},
			{"pf-4", map[string]any{"status": models.OrderFailed, "sent_at": now, "payout_failed_at": now, "credited_at": now, "returned_at": now}},
			{"pf-7", map[string]any{"status": models.OrderConfirmed, "sent_at": now, "confirmed_at": now, "transfer_state": "FAILED"}},
		} {
			if err := ta.DB.Model(&models.Order{}).Where("message_id = ?", tt.id).Updates(tt.set).Error; err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]string{"pf-1": "Failed — money not back yet", "pf-4": "Failed",
			"pf-7": "Confirmed — then failed by the bank, money not back yet"}
		for id, label := range want {
			var o models.Order
			ta.DB.Where("message_id = ?", id).Take(&o)
			if got := cl.get(orderPath(o.ID)).wantStatus(http.StatusOK).text("order-status"); got != label {
				t.Errorf("order page of %s: status %q; want %q", id, got, label)
			}
		}
		for _, path := range []string{transactionsPath + "?kind=payout"} {
			r := cl.get(path).wantStatus(http.StatusOK)
			got := map[string]bool{}
			for _, n := range r.byTestID("tx-status") {
				got[textOf(n)] = true
			}
			for _, label := range want {
				if !got[label] {
					t.Errorf("%s: no row reads %q; rows read %v", path, label, got)
				}
			}
		}
	})
}
