package cashier_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestUnmatchedConflictAfterResolution: a notification for an unknown order that
// staff resolved, under whose notificationid another body then comes (refused and
// flagged on the notification), is back on the flagged list with that flag, and
// can be resolved again; where the list hid every notification with any
// resolution, so the refused body reached the log's alert alone, though a flag
// new on a resolved order brings the order back. A resolution covers the flag it
// saw, as an order's does.
func TestUnmatchedConflictAfterResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		op := staff.Member{Email: fmt.Sprintf("op%d@example.com", time.Now().UnixNano()), PasswordHash: "x",
			Role: staff.RoleOperator, CreatedAt: time.Now()}
		if err := db.Create(&op).Error; err != nil {
			t.Fatal(err)
		}
		unknown := models.Order{TrustlyOrderID: "7777777777", MessageID: "dep-unknown-c", Amount: models.Money{Minor: 10000, Currency: "SEK"}}
		debit := notify(t, rigTrustlyKey(), "debit", unknown, p.EndUserID, nil)
		r.deliver(debit, "FAILED")
		var stored models.Notification
		if err := db.Where("notification_id = ?", debit.id).Take(&stored).Error; err != nil {
			t.Fatal(err)
		}
		listed := func() (bool, string) {
			t.Helper()
			list, err := r.svc.FlaggedList(r.ctx, op)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range list.Notifications {
				if n.ID == stored.ID {
					return true, n.Flag
				}
			}
			return false, ""
		}
		if in, _ := listed(); !in {
			t.Fatal("the notification for an unknown order is not on the flagged list")
		}
		if _, err := r.svc.ResolveNotification(r.ctx, op, stored.ID, "no such order of ours"); err != nil {
			t.Fatal(err)
		}
		if in, _ := listed(); in {
			t.Fatal("a resolved notification is still on the flagged list")
		}

		other := notify(t, rigTrustlyKey(), "credit", unknown, p.EndUserID, map[string]any{"notificationid": debit.id})
		if _, err := r.svc.HandleNotification(r.ctx, other.raw); !errors.Is(err, cashier.ErrNotificationConflict) {
			t.Fatalf("another body under the notificationid: %v; want ErrNotificationConflict", err)
		}
		want := "another credit notification with other data came under this notificationid: refused"
		if in, flag := listed(); !in || flag != want {
			t.Errorf("after another body came: listed %t with flag %q; want listed with %q", in, flag, want)
		}
		if _, err := r.svc.ResolveNotification(r.ctx, op, stored.ID, "asked Trustly"); err != nil {
			t.Errorf("resolving the new flag: %v; want it resolved", err)
		}
		if in, _ := listed(); in {
			t.Error("the notification is still listed after its new flag was resolved")
		}
		if _, err := r.svc.ResolveNotification(r.ctx, op, stored.ID, "again"); !errors.Is(err, cashier.ErrResolvedAlready) {
			t.Errorf("resolving it a third time: %v; want ErrResolvedAlready", err)
		}
	})
}
