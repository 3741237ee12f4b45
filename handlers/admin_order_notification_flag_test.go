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

// TestOrderPageShowsNotificationFlags: the order page names each notification by
// its notificationid and shows its own flag, so staff can tell which notification
// the order's flag ("notification … came again with other data") is about, where
// the page listed the notifications without either and the flag was only in the
// database. The notifications kept as unknown that name the order show theirs too.
func TestOrderPageShowsNotificationFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "nf-", 1, 1, 0)
		var o models.Order
		ta.DB.Where("message_id = ?", "nf-1").Take(&o)
		const conflict = "another credit notification with other data came under this notificationid: refused"
		ta.DB.Model(&o).Update("flag", "notification nf-n1 came again with other data: refused, not applied")
		now := time.Now().UTC()
		for _, n := range []models.Notification{
			{NotificationID: "nf-n1", OrderID: &o.ID, TrustlyOrderID: o.TrustlyOrderID, Flag: conflict},
			{NotificationID: "nf-n2", OrderID: &o.ID, TrustlyOrderID: o.TrustlyOrderID},
			{NotificationID: "nf-n3", TrustlyOrderID: o.TrustlyOrderID, Flag: conflict},
		} {
			n.Method, n.UUID, n.Raw, n.Answer, n.Status, n.Deliveries = "credit", "u", `{"method":"credit"}`, `{"result":"OK"}`, "OK", 1
			n.ReceivedAt, n.LastDeliveryAt = now, now
			if err := ta.DB.Create(&n).Error; err != nil {
				t.Fatal(err)
			}
		}

		r := cl.get(orderPath(o.ID)).wantStatus(http.StatusOK)
		for _, tt := range []struct {
			ids, flags string
			want       [][2]string
		}{
			{"notification-id", "notification-flag", [][2]string{{"nf-n1", conflict}, {"nf-n2", ""}}},
			{"unmatched-notification-id", "unmatched-notification-flag", [][2]string{{"nf-n3", conflict}}},
		} {
			ids, flags := r.byTestID(tt.ids), r.byTestID(tt.flags)
			if len(ids) != len(tt.want) || len(flags) != len(tt.want) {
				t.Fatalf("%d %s and %d %s; want %d of each", len(ids), tt.ids, len(flags), tt.flags, len(tt.want))
			}
			for i, w := range tt.want {
				if got := [2]string{textOf(ids[i]), textOf(flags[i])}; got != w {
					t.Errorf("%s row %d: got %q; want %q", tt.ids, i, got, w)
				}
			}
		}
	})
}
