package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRefundPageRefundedInFull: the refund page of a deposit refunded in full,
// reached by its URL or from a tab opened before, says so as the order page
// does ("Refunded in full: nothing of this deposit is left to refund.") and
// offers no form; it said only "Nothing of this deposit can be refunded now.".
// Its refunds say who made each. A second member who sends the form they opened
// before the first refunded all of it is told why it was refused (the sentence
// was only in the form, which the page no longer shows) and sees the amount and
// reason they typed, which were lost without a word.
func TestRefundPageRefundedInFull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) { s.Cashier.DB = db }})
		_, player, _ := funded(t, lv, "anna@example.com", "2000")
		var deposit models.Order
		if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
			t.Fatal(err)
		}
		words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		first, _ := lv.staffSignedIn("first@example.com", staff.RoleFinance)
		second, _ := lv.staffSignedIn("second@example.com", staff.RoleFinance)
		first.staffReauth(testPassword, "")
		second.staffReauth(testPassword, "")
		secondTab := second.get(refundPath(deposit.ID)).wantStatus(http.StatusOK)
		if !secondTab.has("refund-form") || secondTab.has("refund-refunded-in-full") {
			t.Fatal("a deposit with all of it left to refund: want the form and no refunded-in-full sentence")
		}
		first.submit(refundPath(deposit.ID), url.Values{"amount": {"2000"}, "reason": {"asked by the player"},
			"token": {first.get(refundPath(deposit.ID)).value("refund-token")}}).wantRedirect(refundPath(deposit.ID))

		page := second.get(refundPath(deposit.ID)).wantStatus(http.StatusOK)
		if page.has("refund-form") || page.has("refund-none") {
			t.Error("the refund page of a deposit refunded in full offers the form, or the generic sentence")
		}
		if got := words(page.text("refund-refunded-in-full")); got != "Refunded in full: nothing of this deposit is left to refund." {
			t.Errorf("refunded-in-full sentence %q", got)
		}
		if got := words(page.text("refund-by")); got != "first@example.com" {
			t.Errorf("the refund was made by %q; want first@example.com", got)
		}

		res := second.submit(refundPath(deposit.ID), url.Values{"amount": {"500"}, "reason": {"duplicate payment, ticket 4411"},
			"token": {secondTab.value("refund-token")}}).wantStatus(http.StatusUnprocessableEntity)
		if got := words(res.text("refund-problem")); !strings.HasPrefix(got, "At most") {
			t.Errorf("second member's refund: problem %q; want why it was refused", got)
		}
		if got := words(res.text("refund-not-sent")); got != `Your refund of 500 was not sent. Your reason: “duplicate payment, ticket 4411”` {
			t.Errorf("second member's refund: %q; want what they typed shown back", got)
		}
		if got := words(res.text("refund-refunded-in-full")); got != "Refunded in full: nothing of this deposit is left to refund." || res.has("refund-form") {
			t.Errorf("second member's refund: refunded-in-full %q, form shown %t", got, res.has("refund-form"))
		}
		if n := lv.countRows(&models.Order{}, "parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund); n != 1 {
			t.Errorf("%d refunds; want the first member's alone", n)
		}
	})
}
