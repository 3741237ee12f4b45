package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestPayoutApprovalWindowHTTP: over HTTP, with approval above 5 000 and two
// approvals above 10 000, a player's payouts of 3 000 and 2 000 go at once (5 000
// in 24 hours is not above), 4 000 more waits (9 000) and 2 000 more needs two
// approvals (11 000). The withdrawal form says the payouts of 24 hours count
// together, and the approvals queue and the order page tell staff the sum that
// decided, which a payout whose amount was all there was does not show.
func TestPayoutApprovalWindowHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		cl, _, acc := funded(t, lv, "anna@example.com", "30000")
		if form := cl.get("/payout").wantStatus(http.StatusOK).Body; !strings.Contains(form, enText("payout.approval_above", "Amount", models.Money{Minor: 500000, Currency: "SEK"})) ||
			!strings.Contains(form, "Your withdrawals of the last 24 hours count together.") {
			t.Errorf("the withdrawal form does not say the payouts of 24 hours count together")
		}
		first := requestPayout(t, cl, "3000", acc.ID)
		lv.waitPayout(first, models.OrderConfirmed, nil)
		lv.waitPayout(requestPayout(t, cl, "2000", acc.ID), models.OrderConfirmed, nil)
		one := requestPayout(t, cl, "4000", acc.ID)
		lv.waitPayout(one, models.OrderAwaitingApproval, nil)
		if got := cl.get("/payouts/" + strconv.FormatInt(one, 10)).text("payout-state"); got != cashier.PayoutTextAwaitingApproval {
			t.Errorf("the player's page of the 4 000: %q; want %q", got, cashier.PayoutTextAwaitingApproval)
		}
		two := requestPayout(t, cl, "2000", acc.ID)
		lv.waitPayout(two, models.OrderAwaitingApproval, nil)

		words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		sek := func(major int64) string { return words(models.Money{Minor: major * 100, Currency: "SEK"}.Display()) }
		op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
		r := op.get(approvalsPath).wantStatus(http.StatusOK)
		rows := r.byTestID("approval")
		if len(rows) != 2 {
			t.Fatalf("%d payouts in the queue; want the 4 000 and the 2 000", len(rows))
		}
		for i, want := range []struct {
			id        int64
			window    int64
			twoPerson bool
		}{{one, 9000, false}, {two, 11000, true}} {
			row := &testResponse{t: t, doc: rows[i], what: "approval"}
			if got := attr(rows[i], "data-order"); got != strconv.FormatInt(want.id, 10) {
				t.Fatalf("row %d is payout %s; want %d", i, got, want.id)
			}
			if got, wantText := words(row.text("approval-window")), "With the player's payouts of the 24 hours before it: "+sek(want.window)+"."; got != wantText {
				t.Errorf("payout %d: %q; want %q", want.id, got, wantText)
			}
			if got := row.has("approval-two-person"); got != want.twoPerson {
				t.Errorf("payout %d: two approvals %t; want %t", want.id, got, want.twoPerson)
			}
		}
		page := op.get(orderPath(two)).wantStatus(http.StatusOK)
		if got := words(page.text("order-window")); got != sek(11000) || !page.has("order-two-person") {
			t.Errorf("the 2 000's order page: sum %q, two approvals %t; want %q and two", got, page.has("order-two-person"), sek(11000))
		}
		if page := op.get(orderPath(first)).wantStatus(http.StatusOK); page.has("order-window") {
			t.Errorf("the first payout's page shows a sum: %q; want none (its amount was all there was)", page.text("order-window"))
		}
	})
}
