package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestFlaggedShowsResolvedRefused: a notification refused for its data that
// names no order of ours, once resolved, left the Flagged page and showed
// nowhere but in the audit log. The Flagged page now has a section of the
// refused notifications resolved, the latest resolution first, for every member
// who may open the page: each with who resolved it, when (in the member's zone),
// after how many deliveries and the note, its body, and no order link when it
// names none; a sentence when none is resolved, and past ResolvedRefusedShown a
// notice pointing to the audit log's resolutions. One delivered again leaves it
// for the list of those waiting.
func TestFlaggedShowsResolvedRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.TrustlyKey = &notifyTrustlyKey().PublicKey
		})
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
		// A credit for an order that is not ours, its orderid swallowing the
		// timestamp: signed by Trustly, refused for its data, naming no order.
		stranger := models.Order{MessageID: "dep-not-ours", TrustlyOrderID: "9999999999", Kind: models.OrderDeposit,
			Amount: models.Money{Minor: 10000, Currency: "SEK"}}
		credit := signNote(t, notifyTrustlyKey(), "credit", "3200000077", uuid.NewString(), stranger, "nobody", nil)
		shifted := reshapeNote(t, credit.raw, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		})
		deliver := func() {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, "/trustly/notify/"+testNotifyToken, bytes.NewReader(shifted))
			req.Header.Set("Content-Type", "application/json")
			ta.client().do(req).wantStatus(http.StatusBadRequest)
		}
		deliver()
		var row models.RefusedNotification
		ta.DB.Take(&row)

		for _, c := range []*testClient{viewer, op} {
			if r := c.get(flaggedPath).wantStatus(http.StatusOK); !r.has("refused-resolved-empty") || r.has("refused-resolved") {
				t.Errorf("before any resolution: empty sentence %t, rows %d; want the sentence and no row",
					r.has("refused-resolved-empty"), len(r.byTestID("refused-resolved")))
			}
		}
		op.submit(refusedResolvePath(row.ID), url.Values{"note": {"a copy of nothing of ours"}}).wantRedirect(flaggedPath)

		for _, c := range []*testClient{viewer, op} {
			r := c.get(flaggedPath).wantStatus(http.StatusOK)
			if r.has("refused") || !r.has("refused-empty") {
				t.Error("the resolved one is still among those waiting")
			}
			if rows := r.byTestID("refused-resolved"); len(rows) != 1 || r.has("refused-resolved-empty") {
				t.Fatalf("resolved section: %d rows, empty sentence %t; want the one row", len(rows), r.has("refused-resolved-empty"))
			}
			by := r.text("refused-resolved-by")
			for _, want := range []string{"op@example.com", "a copy of nothing of ours", "after 1 deliveries", "(UTC)"} {
				if !strings.Contains(by, want) {
					t.Errorf("resolution %q; want it to say %q", by, want)
				}
			}
			if got := r.text("refused-resolved-messageid"); got != "dep-not-ours" || r.has("refused-resolved-order") {
				t.Errorf("messageid %q, order link %t; want dep-not-ours unlinked", got, r.has("refused-resolved-order"))
			}
			if got := r.text("refused-resolved-raw"); got != string(shifted) {
				t.Errorf("raw %q; want the body as it came", got)
			}
			if r.has("refused-resolved-more") {
				t.Error("a notice of more resolved ones with one")
			}
			if forms := r.forms(); forms[refusedResolvePath(row.ID)] != "" {
				t.Errorf("a resolve form for a resolved one: %v", forms)
			}
		}

		// Past the bound: a notice pointing to the audit log's resolutions.
		now := time.Now().UTC()
		for i := range cashier.ResolvedRefusedShown {
			n := models.RefusedNotification{Digest: fmt.Sprintf("%064d", i), NotificationID: fmt.Sprint("bulk-", i), Method: "credit",
				Raw: "{}", Reason: "bulk", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := ta.DB.Create(&n).Error; err != nil {
				t.Fatal(err)
			}
			if err := ta.DB.Create(&staff.Resolution{RefusedNotificationID: n.ID, Deliveries: 1, Flag: "bulk", Note: "bulk",
				StaffID: 1, StaffEmail: "op@example.com", At: now.Add(time.Hour)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		r := viewer.get(flaggedPath)
		if n := len(r.byTestID("refused-resolved")); n != cashier.ResolvedRefusedShown || !r.has("refused-resolved-more") {
			t.Fatalf("%d resolved rows, notice %t; want %d and the notice", n, r.has("refused-resolved-more"), cashier.ResolvedRefusedShown)
		}
		if href := attr(r.byTestID("refused-resolved-audit")[0], "href"); href != "/admin/audit?event=flag.resolved" {
			t.Errorf("the notice links %q; want the audit log's resolutions", href)
		}
		viewer.get("/admin/audit?event=flag.resolved").wantStatus(http.StatusOK)
		if err := ta.DB.Where("reason = ?", "bulk").Delete(&models.RefusedNotification{}).Error; err != nil {
			t.Fatal(err)
		}

		// Delivered again: it waits again, and is not among the resolved.
		deliver()
		r = op.get(flaggedPath)
		if len(r.byTestID("refused")) != 1 || r.has("refused-resolved") || !r.has("refused-resolved-empty") {
			t.Errorf("redelivered: %d waiting, %d resolved; want it waiting alone", len(r.byTestID("refused")), len(r.byTestID("refused-resolved")))
		}
	})
}
