package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestKYCForOrderNotPayNPlay: Trustly sends a kyc only for a Deposit that asked
// for one (RequestKYC, Pay N Play). One signed correctly for another order (a
// password player's deposit, before or after its credit, or a payout)
// is answered FINISH, so Trustly stops delivering it, kept with its order, and
// flags the order for staff; it stores no kyc decision on the order, so a
// credited deposit's result page reads as credited and a pending one is still
// credited when its credit comes. A second kyc for the order is answered and
// changes nothing either.
func TestKYCForOrderNotPayNPlay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name   string
			kind   models.OrderKind
			before []string // delivered first, answered OK
			after  string   // delivered after the kyc, answered OK
			status models.OrderStatus
			wallet int64 // the player's, at the end
		}{
			{"credited deposit", models.OrderDeposit, []string{"pending", "credit"}, "", models.OrderCredited, 10000},
			{"pending deposit, credit after", models.OrderDeposit, []string{"pending"}, "credit", models.OrderCredited, 10000},
			{"started deposit", models.OrderDeposit, nil, "", models.OrderStarted, 0},
			{"payout", models.OrderPayout, nil, "", models.OrderSent, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				var o models.Order
				if tt.kind == models.OrderPayout {
					now := time.Now().UTC()
					o = models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
						Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()),
						SentAt: &now, CreatedAt: now}
					o.Refresh()
					if err := db.Create(&o).Error; err != nil {
						t.Fatal(err)
					}
				} else {
					o = r.order(p, 10000)
				}
				for _, m := range tt.before {
					r.deliver(notify(t, key, m, o, p.EndUserID, nil), "OK")
				}
				was := r.reload(o)
				kyc := notify(t, key, trustly.MethodKYC, o, p.EndUserID,
					kycFields(fmt.Sprintf("unexpected-%d", rigNext()), swedishAdult))
				answer := r.deliver(kyc, "FINISH")
				if again := r.deliver(kyc, "FINISH"); string(again) != string(answer) {
					t.Errorf("redelivery answered %s; want the first answer %s", again, answer)
				}
				r.deliver(notify(t, key, trustly.MethodKYC, o, p.EndUserID,
					kycFields(fmt.Sprintf("unexpected-%d", rigNext()), swedishAdult)), "FINISH")
				got := r.reload(o)
				want := fmt.Sprintf("unexpected kyc notification for a %s order, not a Pay N Play deposit", tt.kind)
				if got.Flag != want {
					t.Errorf("flag %q; want %q", got.Flag, want)
				}
				got.Flag, got.UpdatedAt = was.Flag, was.UpdatedAt // the flag's write
				if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", was) {
					t.Errorf("the kyc changed the order:\ngot  %+v\nwant %+v", got, was)
				}
				var stored models.Notification
				if err := db.Where("notification_id = ?", kyc.id).Take(&stored).Error; err != nil {
					t.Fatal(err)
				}
				if stored.OrderID == nil || *stored.OrderID != o.ID || stored.Status != trustly.StatusFinish {
					t.Errorf("stored for order %v answered %s; want order %d, FINISH", stored.OrderID, stored.Status, o.ID)
				}
				if tt.after != "" {
					r.deliver(notify(t, key, tt.after, o, p.EndUserID, nil), "OK")
				}
				r.janitor()
				got = r.reload(o)
				if got.Status != tt.status || got.KYCAt != nil || got.KYCOutcome != "" || r.wallet(p) != tt.wallet {
					t.Errorf("at the end: %s, kyc at %v %q, wallet %d; want %s, no kyc, %d", got.Status, got.KYCAt, got.KYCOutcome,
						r.wallet(p), tt.status, tt.wallet)
				}
				r.audit()
			})
		}
	})
}
