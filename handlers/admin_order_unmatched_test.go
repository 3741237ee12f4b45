package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestOrderPageShowsUnmatchedNotifications: a notification kept as unknown
// (OrderID nil: its messageid was another order's, or none, API.md §5) that names
// an order's Trustly orderid is shown on that order's page, marked as not applied,
// its raw body as text, where the order's flag named it and the page listed only
// the notifications applied to it; one naming another orderid is not, and an order
// without an orderid shows none.
func TestOrderPageShowsUnmatchedNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "u-", 3, 1, 0)
		var o, other models.Order
		ta.DB.Where("message_id = ?", "u-3").Take(&o) // Trustly orderid u-t3
		ta.DB.Where("message_id = ?", "u-2").Take(&other)
		ta.DB.Model(&other).Update("trustly_order_id", "")
		now := time.Now().UTC()
		for i, tt := range []struct{ orderID, raw string }{
			{"u-t3", `{"method":"credit","params":{"data":{"orderid":"u-t3","messageid":"<script>alert(1)</script>"}}}`},
			{"u-t1", `{"method":"credit","params":{"data":{"orderid":"u-t1"}}}`},
			{"", `{"method":"credit","params":{"data":{}}}`},
		} {
			n := models.Notification{NotificationID: "un-" + strconv.Itoa(i), Method: "credit", UUID: "u", TrustlyOrderID: tt.orderID,
				Raw: tt.raw, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := ta.DB.Create(&n).Error; err != nil {
				t.Fatal(err)
			}
		}

		r := cl.get(orderPath(o.ID)).wantStatus(http.StatusOK)
		rows := r.byTestID("unmatched-notification")
		if len(rows) != 1 {
			t.Fatalf("%d notifications kept as unknown on the page of the order of u-t3; want 1", len(rows))
		}
		if got := r.text("unmatched-notification-raw"); !strings.Contains(got, `"messageid":"<script>alert(1)</script>"`) ||
			strings.Contains(r.Body, "<script>alert(1)") {
			t.Errorf("raw %q; want the body as text, escaped in the page", got)
		}
		if r.has("notification") {
			t.Error("the notification kept as unknown is listed among those applied to the order")
		}
		if r := cl.get(orderPath(other.ID)).wantStatus(http.StatusOK); r.has("unmatched-notification") {
			t.Error("an order without a Trustly orderid shows notifications kept as unknown")
		}
	})
}
