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

// TestSameMemberResolvesAgain: a member who sends the same resolution form twice
// (a double click, the form sent again after a slow answer) with the same note is
// answered as the first time: back to the page with "… resolved.", one resolution
// recorded. The 409 saying who resolved it first, with the note shown back as not
// recorded, had told them their note was lost when it was kept. The same member
// with another note, or another member with the same note, is still told theirs
// changed nothing, and shown it back.
func TestSameMemberResolvesAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.DB = db }})
		words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		member, _ := lv.staffSignedIn("first@example.com", staff.RoleOperator)
		other, _ := lv.staffSignedIn("second@example.com", staff.RoleOperator)
		again := func(what, path, back, note, want string) {
			t.Helper()
			member.submit(path, url.Values{"note": {note}}).wantRedirect(back)
			member.submit(path, url.Values{"note": {"  " + note + " "}}).wantRedirect(back)
			if got := words(member.get(back).wantStatus(http.StatusOK).text("flash")); got != want {
				t.Errorf("%s sent again: told %q; want %q", what, got, want)
			}
			res := member.submit(path, url.Values{"note": {note + ", and more"}}).wantStatus(http.StatusConflict)
			if got := res.text("not-recorded-text"); got != note+", and more" {
				t.Errorf("%s sent again with another note: shown back %q; want it", what, got)
			}
			if !strings.Contains(words(res.text("flash")), "resolved already, by first@example.com") {
				t.Errorf("%s sent again with another note: told %q; want who resolved it", what, res.text("flash"))
			}
			// Another member's form with the very same note is theirs, not a resend.
			res = other.submit(path, url.Values{"note": {note}}).wantStatus(http.StatusConflict)
			if got := res.text("not-recorded-text"); got != note {
				t.Errorf("%s sent by another member with the same note: shown back %q; want it", what, got)
			}
		}

		storetest.SeedOrders(t, lv.DB, "f-", 1, 1, 0)
		var flagged models.Order
		lv.DB.Where("message_id = ?", "f-1").Take(&flagged)
		lv.DB.Model(&flagged).Update("flag", "credit for another amount")
		oid := strconv.FormatInt(flagged.ID, 10)
		again("an order's flags", orderPath(flagged.ID)+"/resolve", orderPath(flagged.ID), "bank rounding",
			"The flags of order "+oid+" are resolved.")

		now := time.Now().UTC()
		n := models.Notification{NotificationID: "n-unknown", Method: "credit", UUID: "u", TrustlyOrderID: "987",
			Raw: `{"method":"credit"}`, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
		if err := lv.DB.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		nid := strconv.FormatInt(n.ID, 10)
		again("a notification", "/admin/notifications/"+nid+"/resolve", flaggedPath, "test message",
			"Notification "+nid+" is resolved.")

		_, p := lv.signedIn("cara@example.com")
		raise := limits.Change{PlayerID: p.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000,
			RequestedAt: now, EffectiveAt: now.Add(24 * time.Hour), Flag: "monthly limit raised to 20 000 SEK"}
		if err := lv.DB.Create(&raise).Error; err != nil {
			t.Fatal(err)
		}
		rid := strconv.FormatInt(raise.ID, 10)
		again("a limit raise", "/admin/limit-changes/"+rid+"/resolve", flaggedPath, "affordability checked",
			"The limit raise "+rid+" is resolved.")

		if got := lv.countRows(&staff.Resolution{}, "1 = 1"); got != 3 {
			t.Errorf("%d resolutions; want one each", got)
		}
		if got := lv.countRows(&staff.Audit{}, "event = ?", staff.EventFlagResolved); got != 3 {
			t.Errorf("%d resolution audit rows; want one each", got)
		}
	})
}
