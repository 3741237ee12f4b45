package handlers

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestFlaggedShowsRefusedNotifications: a copy of a genuine credit with text
// shifted between its keys, signed with Trustly's key and posted to the
// notification URL, is answered 400 and kept for staff, but no page showed it:
// staff learnt of it from the log alone. The flagged page lists it now, with its
// notificationid, method, orderid, messageid linked to its order, deliveries, why
// it was refused and its raw body as text; its order's page lists it too, and the
// home counts it among what waits. With none, the flagged page says so.
func TestFlaggedShowsRefusedNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.TrustlyKey = &notifyTrustlyKey().PublicKey
		})
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		r := cl.get(flaggedPath).wantStatus(http.StatusOK)
		if got := r.text("refused-empty"); got != "No notification was refused for its data." || r.has("refused") {
			t.Errorf("flagged page with none refused: %q; want the sentence and no row", got)
		}
		if r := cl.get("/admin").wantStatus(http.StatusOK); r.has("home-refused") {
			t.Error("the home counts refused notifications where there are none")
		}

		storetest.SeedOrders(t, ta.DB, "rs-", 2, 1, 0)
		var o models.Order
		ta.DB.Where("message_id = ?", "rs-1").Take(&o)
		credit := signNote(t, notifyTrustlyKey(), "credit", "3100000001", uuid.NewString(), o, "rs-player", nil)
		shifted := reshapeNote(t, credit.raw, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		})
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, "/trustly/notify/"+testNotifyToken, bytes.NewReader(shifted))
			req.Header.Set("Content-Type", "application/json")
			ta.client().do(req).wantStatus(http.StatusBadRequest)
		}

		r = cl.get(flaggedPath).wantStatus(http.StatusOK)
		if r.has("refused-empty") || len(r.byTestID("refused")) != 1 {
			t.Fatalf("flagged page: %d refused rows, empty %t; want 1 row", len(r.byTestID("refused")), r.has("refused-empty"))
		}
		for id, want := range map[string]string{"refused-notification-id": "3100000001", "refused-messageid": "rs-1",
			"refused-deliveries": "2", "refused-raw": string(shifted)} {
			if got := r.text(id); got != want {
				t.Errorf("flagged page %s: got %q; want %q", id, got, want)
			}
		}
		if got := r.text("refused-orderid"); !strings.HasPrefix(got, o.TrustlyOrderID+"timestamp") {
			t.Errorf("orderid %q; want the body's, %s swallowing the timestamp", got, o.TrustlyOrderID)
		}
		if r.text("refused-reason") == "" {
			t.Error("no reason shown")
		}
		links := r.byTestID("refused-order")
		if len(links) != 1 || attr(links[0], "href") != orderPath(o.ID) {
			t.Errorf("links %d; want one to %s", len(links), orderPath(o.ID))
		}

		r = cl.get(orderPath(o.ID)).wantStatus(http.StatusOK)
		if rows := r.byTestID("refused"); len(rows) != 1 || r.text("refused-raw") != string(shifted) {
			t.Errorf("order page: %d refused rows; want the shifted copy", len(rows))
		}
		var other models.Order
		ta.DB.Where("message_id = ?", "rs-2").Take(&other)
		if r := cl.get(orderPath(other.ID)).wantStatus(http.StatusOK); r.has("refused") {
			t.Error("an order no refused body names shows one")
		}

		if got := cl.get("/admin").wantStatus(http.StatusOK).text("home-refused"); !strings.Contains(got, "1 notification refused for its data") {
			t.Errorf("home: %q; want 1 notification refused for its data", got)
		}
	})
}
