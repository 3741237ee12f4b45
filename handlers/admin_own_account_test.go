package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestUnblockOwnAccount: a member whom another member blocked as a player (their
// player account has their email, in another case and with spaces around it) may
// not unblock it: their page shows the sentence in place of the unblock form, and
// the form sent by hand is refused (422) with it, the player still blocked and
// nothing audited. Another member unblocks the player as before.
func TestUnblockOwnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		player := ta.player("op@example.com")
		boss, _ := ta.staffSignedIn("boss@example.com", staff.RoleFinance)
		op, _ := ta.staffSignedIn(" OP@Example.com ", staff.RoleOperator)
		path := playerPath(player.ID)
		boss.submit(path+"/block", url.Values{"reason": {"problem gambling"}}).wantRedirect(path)

		page := op.get(path).wantStatus(http.StatusOK)
		if page.has("unblock-form") || !page.has("unblock-refused") || page.text("unblock-refused") != msgOwnAccountUnblockForTest {
			t.Errorf("own account's page: unblock form %t, refusal shown %t; want no form and %q",
				page.has("unblock-form"), page.has("unblock-refused"), msgOwnAccountUnblockForTest)
		}
		audits := func() int64 {
			var n int64
			ta.DB.Model(&staff.Audit{}).Where("player_id = ? AND event = ?", player.ID, staff.EventPlayerUnblocked).Count(&n)
			return n
		}
		res := op.submit(path+"/unblock", url.Values{"reason": {"all fine"}}).wantStatus(http.StatusUnprocessableEntity)
		var p models.Player
		ta.DB.Take(&p, player.ID)
		if res.text("flash") != msgOwnAccountUnblockForTest || !p.Blocked || audits() != 0 {
			t.Errorf("own account unblocked by hand: %q, blocked %t, %d audit rows; want %q, still blocked, none",
				res.text("flash"), p.Blocked, audits(), msgOwnAccountUnblockForTest)
		}

		if page := boss.get(path); !page.has("unblock-form") || page.has("unblock-refused") {
			t.Errorf("another member's page: unblock form %t, refusal %t; want the form", page.has("unblock-form"), page.has("unblock-refused"))
		}
		boss.submit(path+"/unblock", url.Values{"reason": {"settled"}}).wantRedirect(path)
		ta.DB.Take(&p, player.ID)
		if p.Blocked || audits() != 1 {
			t.Errorf("unblocked by another member: blocked %t, %d audit rows; want unblocked, one", p.Blocked, audits())
		}
	})
}

const msgOwnAccountUnblockForTest = "You cannot unblock this player: it is the player account with your email address. Another member must decide it."
