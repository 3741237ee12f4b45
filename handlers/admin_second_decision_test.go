package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestSecondMemberToldWhoDecided: two members act on the same thing at once, each
// with a note, from pages read before either acted: a waiting payout (deny, or
// approve, one the other denied or approved), an order's flags, a notification
// for an unknown order and a flagged limit raise. The second is told who acted
// first and that theirs changed nothing (409, on the page the form came from),
// and sees the reason or note they typed, which nothing records; a second denial
// read "Payout N denied; the money is back in the player's balance." as if it
// were theirs, the others a sentence naming no one, and every note was dropped.
// The first member's decision stands alone: one audit row, one resolution.
func TestSecondMemberToldWhoDecided(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
		}})
		words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		first, _ := lv.staffSignedIn("first@example.com", staff.RoleOperator)
		second, _ := lv.staffSignedIn("second@example.com", staff.RoleOperator)
		told := func(what string, res *testResponse, want, typed string) {
			t.Helper()
			res.wantStatus(http.StatusConflict)
			if got := words(res.text("flash")); got != want {
				t.Errorf("%s: second member told %q; want %q", what, got, want)
			}
			if got := res.text("not-recorded-text"); got != typed {
				t.Errorf("%s: shown back %q; want what they typed, %q", what, got, typed)
			}
		}

		anna, _, annaAcc := funded(t, lv, "anna@example.com", "8000")
		denied := requestPayout(t, anna, "6000", annaAcc.ID)
		bo, _, boAcc := funded(t, lv, "bo@example.com", "8000")
		approved := requestPayout(t, bo, "6000", boAcc.ID)
		second.get(approvalsPath).wantStatus(http.StatusOK) // the queue, read before either acts

		first.submit(denyPath(denied), url.Values{"reason": {"fraud check"}}).wantRedirect(approvalsPath)
		d := strconv.FormatInt(denied, 10)
		told("deny a denied payout", second.submit(denyPath(denied), url.Values{"reason": {"duplicate request"}}),
			"Payout "+d+" was denied already, by first@example.com; your denial changed nothing.", "duplicate request")
		told("approve a denied payout", second.submit(approvePath(denied), url.Values{"reason": {"checked the account"}}),
			"Payout "+d+" was denied already, by first@example.com; your approval changed nothing.", "checked the account")
		if n := lv.countRows(&staff.Audit{}, "order_id = ?", denied); n != 1 {
			t.Errorf("%d audit rows of payout %d; want the first member's denial alone", n, denied)
		}
		var o models.Order
		if err := lv.DB.Take(&o, denied).Error; err != nil || o.Reason != "fraud check" {
			t.Errorf("denied payout's reason %q, %v; want the first member's", o.Reason, err)
		}

		first.submit(approvePath(approved), url.Values{"reason": {"known player"}}).wantRedirect(approvalsPath)
		a := strconv.FormatInt(approved, 10)
		res := second.submit(denyPath(approved), url.Values{"reason": {"too large"}, "back": {orderPath(approved)}})
		told("deny an approved payout from its order page", res,
			"Payout "+a+" was approved already, by first@example.com; your denial changed nothing.", "too large")
		if !res.has("order-title") && !strings.Contains(res.Body, "data-testid=\"order-") {
			t.Error("the refusal of a denial sent from the order page is not on the order page")
		}

		storetest.SeedOrders(t, lv.DB, "f-", 1, 1, 0)
		var flagged models.Order
		lv.DB.Where("message_id = ?", "f-1").Take(&flagged)
		lv.DB.Model(&flagged).Update("flag", "credit for another amount")
		first.submit(orderPath(flagged.ID)+"/resolve", url.Values{"note": {"bank rounding"}}).wantRedirect(orderPath(flagged.ID))
		told("resolve a resolved order", second.submit(orderPath(flagged.ID)+"/resolve", url.Values{"note": {"called Trustly: fine"}}),
			"The flags of order "+strconv.FormatInt(flagged.ID, 10)+" were resolved already, by first@example.com.", "called Trustly: fine")

		now := time.Now().UTC()
		n := models.Notification{NotificationID: "n-unknown", Method: "credit", UUID: "u", TrustlyOrderID: "987",
			Raw: `{"method":"credit"}`, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
		if err := lv.DB.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		nid := strconv.FormatInt(n.ID, 10)
		first.submit("/admin/notifications/"+nid+"/resolve", url.Values{"note": {"test message"}}).wantRedirect(flaggedPath)
		told("resolve a resolved notification", second.submit("/admin/notifications/"+nid+"/resolve", url.Values{"note": {"ignored it"}}),
			"Notification "+nid+" was resolved already, by first@example.com.", "ignored it")

		_, p := lv.signedIn("cara@example.com")
		raise := limits.Change{PlayerID: p.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000,
			RequestedAt: now, EffectiveAt: now.Add(24 * time.Hour), Flag: "monthly limit raised to 20 000 SEK"}
		if err := lv.DB.Create(&raise).Error; err != nil {
			t.Fatal(err)
		}
		rid := strconv.FormatInt(raise.ID, 10)
		first.submit("/admin/limit-changes/"+rid+"/resolve", url.Values{"note": {"affordability checked"}}).wantRedirect(flaggedPath)
		told("resolve a resolved limit raise", second.submit("/admin/limit-changes/"+rid+"/resolve", url.Values{"note": {"spoke to the player"}}),
			"The limit raise "+rid+" was resolved already, by first@example.com.", "spoke to the player")
		if n := lv.countRows(&staff.Resolution{}, "1 = 1"); n != 3 {
			t.Errorf("%d resolutions; want the first member's three", n)
		}
	})
}
