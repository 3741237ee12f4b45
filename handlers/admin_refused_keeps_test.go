package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"gorm.io/gorm"
)

// TestRefusedFormKeepsWhatWasTyped: a back-office form refused for a reason other
// than another member's decision (the player blocked since the page was read, a
// payout to the member's own account, no flag left to resolve, no held money to
// return, a note too long) answers 422 on the page the form came from, with the
// refusal and what the member typed shown back under "Your reason (note), not
// recorded:"; it went back with the sentence alone and the reason or note was
// lost. A form with nothing typed still goes back with the sentence, and the
// member's own first of two approvals sent again still reads as recorded. A
// block or unblock another member made first answers 409 with the reason shown
// back. An approval that sent a payout Trustly refused says so, as the approval
// it is: it read "Payout N was approved already, by <the same member>; your
// approval changed nothing."
func TestRefusedFormKeepsWhatWasTyped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
		boss, _ := lv.staffSignedIn("boss@example.com", staff.RoleOperator)
		shownBack := func(what string, res *testResponse, status int, page, want, typed string) {
			t.Helper()
			res.wantStatus(status)
			if got := words(res.text("flash")); !strings.HasPrefix(got, want) {
				t.Errorf("%s: told %q; want %q", what, got, want)
			}
			if got := res.text("not-recorded-text"); got != typed {
				t.Errorf("%s: shown back %q; want what was typed, %q", what, got, typed)
			}
			if !res.has(page) {
				t.Errorf("%s: not answered on the page the form came from (%s)", what, page)
			}
		}
		wentBack := func(what string, cl *testClient, res *testResponse, back, want string) {
			t.Helper()
			res.wantRedirect(back)
			if got := words(cl.get(back).text("flash")); !strings.HasPrefix(got, want) {
				t.Errorf("%s: flash %q; want %q", what, got, want)
			}
		}

		// A payout whose player another member blocks after op read the queue.
		anna, annaP, annaAcc := funded(t, lv, "anna@example.com", "8000")
		blocked := requestPayout(t, anna, "6000", annaAcc.ID)
		op.get(approvalsPath).wantStatus(http.StatusOK)
		boss.submit(playerPath(annaP.ID)+"/block", url.Values{"reason": {"chargebacks"}}).wantRedirect(playerPath(annaP.ID))
		const blockedSince = "The player has been blocked since asking for this payout"
		shownBack("approve, player blocked since", op.submit(approvePath(blocked), url.Values{"reason": {"known player"}}),
			http.StatusUnprocessableEntity, "approvals-title", blockedSince, "known player")
		shownBack("approve from the order page, player blocked since",
			op.submit(approvePath(blocked), url.Values{"reason": {"salary slips seen"}, "back": {orderPath(blocked)}}),
			http.StatusUnprocessableEntity, "order-title", blockedSince, "salary slips seen")
		wentBack("approve without a reason, player blocked since", op, op.submit(approvePath(blocked), url.Values{"reason": {" "}}),
			approvalsPath, blockedSince)
		if n := lv.countRows(&staff.Audit{}, "order_id = ?", blocked); n != 0 {
			t.Errorf("%d audit rows of the refused approvals; want none", n)
		}

		// Blocking a player another member blocked first, unblocking one not blocked.
		shownBack("block a blocked player", op.submit(playerPath(annaP.ID)+"/block", url.Values{"reason": {"fraud team asked"}}),
			http.StatusConflict, "player-title", "The player was blocked already, by boss@example.com; nothing changed.", "fraud team asked")
		boss.submit(playerPath(annaP.ID)+"/unblock", url.Values{"reason": {"cleared"}}).wantRedirect(playerPath(annaP.ID))
		shownBack("unblock a player not blocked", op.submit(playerPath(annaP.ID)+"/unblock", url.Values{"reason": {"documents in"}}),
			http.StatusConflict, "player-title", "The player was unblocked already, by boss@example.com; nothing changed.", "documents in")
		wentBack("unblock a player not blocked, no reason", op, op.submit(playerPath(annaP.ID)+"/unblock", url.Values{}),
			playerPath(annaP.ID), "The player was not blocked; nothing changed.")
		boss.submit(playerPath(annaP.ID)+"/block", url.Values{"reason": {"chargebacks again"}}).wantRedirect(playerPath(annaP.ID))
		wentBack("block sent twice by the same member", boss, boss.submit(playerPath(annaP.ID)+"/block", url.Values{"reason": {" chargebacks again"}}),
			playerPath(annaP.ID), "The player was blocked already; nothing changed.")
		boss.submit(playerPath(annaP.ID)+"/unblock", url.Values{"reason": {"cleared"}}).wantRedirect(playerPath(annaP.ID))
		long := strings.Repeat("é", 2001)
		shownBack("a note too long", op.submit(playerPath(annaP.ID)+"/notes", url.Values{"note": {long}}),
			http.StatusUnprocessableEntity, "player-title", "Keep the note to 2000 characters or fewer.", long)

		// A payout to the member's own player account.
		bo, _, boAcc := funded(t, lv, "bo@example.com", "8000")
		own := requestPayout(t, bo, "6000", boAcc.ID)
		self, _ := lv.staffSignedIn("bo@example.com", staff.RoleOperator)
		shownBack("approve own", self.submit(approvePath(own), url.Values{"reason": {"my own money"}}),
			http.StatusUnprocessableEntity, "approvals-title", "You cannot approve this payout", "my own money")
		shownBack("deny own", self.submit(denyPath(own), url.Values{"reason": {"changed my mind"}}),
			http.StatusUnprocessableEntity, "approvals-title", "You cannot deny this payout", "changed my mind")

		// An order with no flag, a notification of a known order, a limit change
		// without a flag.
		shownBack("resolve an order without a flag", op.submit(orderPath(own)+"/resolve", url.Values{"note": {"looked at it"}}),
			http.StatusUnprocessableEntity, "order-title", "This order has no flag waiting to be resolved.", "looked at it")
		wentBack("resolve without a note", op, op.submit(orderPath(own)+"/resolve", url.Values{"note": {"  "}}), orderPath(own), "Write a note.")
		now := time.Now().UTC()
		n := models.Notification{NotificationID: "n-known", Method: "credit", UUID: "u", TrustlyOrderID: "987", OrderID: &own,
			Raw: `{"method":"credit"}`, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
		if err := lv.DB.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		shownBack("resolve a notification of a known order",
			op.submit("/admin/notifications/"+strconv.FormatInt(n.ID, 10)+"/resolve", url.Values{"note": {"checked the order"}}),
			http.StatusUnprocessableEntity, "flagged-title", "This notification has nothing waiting to be resolved.", "checked the order")
		change := limits.Change{PlayerID: annaP.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 100000,
			RequestedAt: now, EffectiveAt: now}
		if err := lv.DB.Create(&change).Error; err != nil {
			t.Fatal(err)
		}
		shownBack("resolve a limit change without a flag",
			op.submit("/admin/limit-changes/"+strconv.FormatInt(change.ID, 10)+"/resolve", url.Values{"note": {"spoke to her"}}),
			http.StatusUnprocessableEntity, "flagged-title", "This limit change has nothing waiting to be resolved.", "spoke to her")

		// A return of held money from a deposit that holds none.
		var dep models.Order
		if err := lv.DB.Where("player_id = ? AND kind = ?", annaP.ID, models.OrderDeposit).Take(&dep).Error; err != nil {
			t.Fatal(err)
		}
		op.staffReauth(testPassword, "")
		shownBack("return of a deposit holding nothing",
			op.submit(returnPath(dep.ID), url.Values{"token": {models.NewMessageID(models.OrderRefund)}, "reason": {"payer asked"}}),
			http.StatusUnprocessableEntity, "order-title", "Only a refused deposit whose credit is held", "payer asked")

		// The member's own first of two approvals sent again is recorded already.
		cara, _, caraAcc := funded(t, lv, "cara@example.com", "30000")
		double := requestPayout(t, cara, "12000", caraAcc.ID)
		op.submit(approvePath(double), url.Values{"reason": {"salary"}}).wantRedirect(approvalsPath)
		wentBack("first approval sent again", op, op.submit(approvePath(double), url.Values{"reason": {"salary"}}),
			approvalsPath, "You have approved this payout already")

		// An approval that sends a payout Trustly refuses.
		dan, _, danAcc := funded(t, lv, "dan@example.com", "8000")
		refusedByTrustly := requestPayout(t, dan, "6000", danAcc.ID)
		if err := lv.Sandbox.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutRejected); err != nil {
			t.Fatal(err)
		}
		wentBack("approval Trustly refuses", op, op.submit(approvePath(refusedByTrustly), url.Values{"reason": {"checked"}}), approvalsPath,
			"Payout "+strconv.FormatInt(refusedByTrustly, 10)+" approved, but Trustly refused it")
		if n := lv.countRows(&staff.Audit{}, "order_id = ? AND event = ? AND reason = ?", refusedByTrustly, staff.EventPayoutApproved, "checked"); n != 1 {
			t.Errorf("%d approval audit rows with the reason; want 1", n)
		}
		lv.waitPayout(refusedByTrustly, models.OrderFailed, nil)
	})
}
