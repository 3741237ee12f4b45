package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
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

// TestRefundOwnDeposit: a member may not refund a deposit of their own player
// account (the same email): a refund moves the wallet's money to the payer's bank
// as a payout does, which they may not approve, and it passes no approval. The
// deposit's order page and refund page show the sentence in place of the link and
// the form; the form sent by hand is refused (422) with it, no refund made and
// nothing reserved or audited. Another member refunds it as before.
func TestRefundOwnDeposit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) { s.Cashier.DB = db }})
		_, player, _ := funded(t, lv, "fin@example.com", "500")
		var deposit models.Order
		if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
			t.Fatal(err)
		}
		own, _ := lv.staffSignedIn("Fin@Example.com", staff.RoleFinance)
		other, _ := lv.staffSignedIn("other@example.com", staff.RoleFinance)
		own.staffReauth(testPassword, "")
		other.staffReauth(testPassword, "")

		order := own.get(orderPath(deposit.ID)).wantStatus(http.StatusOK)
		if order.has("order-refund") || !order.has("order-refund-refused") || order.text("order-refund-refused") != msgOwnDepositRefundForTest {
			t.Errorf("own deposit's order page: refund link %t, refusal shown %t; want no link and %q",
				order.has("order-refund"), order.has("order-refund-refused"), msgOwnDepositRefundForTest)
		}
		form := own.get(refundPath(deposit.ID)).wantStatus(http.StatusOK)
		if form.has("refund-form") || !form.has("refund-refused") || form.text("refund-refused") != msgOwnDepositRefundForTest {
			t.Errorf("own deposit's refund page: form %t, refusal shown %t; want no form and %q",
				form.has("refund-form"), form.has("refund-refused"), msgOwnDepositRefundForTest)
		}
		token := other.get(refundPath(deposit.ID)).value("refund-token")
		res := own.submit(refundPath(deposit.ID), url.Values{"amount": {"500"}, "reason": {"mine"}, "token": {token}}).
			wantStatus(http.StatusUnprocessableEntity)
		if !res.has("refund-problem") || res.text("refund-problem") != msgOwnDepositRefundForTest {
			t.Errorf("own deposit refunded by hand: problem shown %t; want %q", res.has("refund-problem"), msgOwnDepositRefundForTest)
		}
		refunds := func() int64 {
			return lv.countRows(&models.Order{}, "parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund)
		}
		if n, a := refunds(), lv.countRows(&staff.Audit{}, "event = ?", staff.EventRefund); n != 0 || a != 0 {
			t.Errorf("own deposit refunded by hand: %d refunds, %d audit rows; want none", n, a)
		}

		if page := other.get(orderPath(deposit.ID)); !page.has("order-refund") || page.has("order-refund-refused") {
			t.Error("another member's order page: want the refund link and no refusal")
		}
		other.submit(refundPath(deposit.ID), url.Values{"amount": {"500"}, "reason": {"asked by the player"}, "token": {token}}).
			wantRedirect(refundPath(deposit.ID))
		if n := refunds(); n != 1 {
			t.Errorf("refunded by another member: %d refunds; want one", n)
		}
	})
}

const msgOwnDepositRefundForTest = "You cannot refund this deposit: it is of the player account with your email address. Another member must decide it."

// TestResolveOwnFlags: a member may not resolve the flags of an order of their own
// player account, nor a flagged deposit-limit raise of it: a flag asks another
// pair of eyes to look (a bank account in another's name, a lookalike, a raise
// above the market's policy). The order page and the flagged list show the
// sentence in place of the forms; the forms sent by hand are refused (422) with
// it, nothing resolved or audited. Another member resolves them as before.
func TestResolveOwnFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		player := ta.player("op@example.com")
		op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
		other, _ := ta.staffSignedIn("other@example.com", staff.RoleOperator)

		storetest.SeedOrders(t, ta.DB, "f-", 1, 1, 0)
		var order models.Order
		ta.DB.Where("message_id = ?", "f-1").Take(&order)
		ta.DB.Model(&order).Updates(map[string]any{"player_id": player.ID, "flag": "account holder is not the player"})
		now := time.Now().UTC()
		raise := limits.Change{PlayerID: player.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000,
			RequestedAt: now, EffectiveAt: now.Add(24 * time.Hour), Flag: "monthly limit raised to 20 000 SEK"}
		if err := ta.DB.Create(&raise).Error; err != nil {
			t.Fatal(err)
		}
		resolutions := func() int64 {
			var n int64
			ta.DB.Model(&staff.Resolution{}).Count(&n)
			return n
		}

		page := op.get(orderPath(order.ID)).wantStatus(http.StatusOK)
		if page.has("resolve-form") || !page.has("resolve-refused") || page.text("resolve-refused") != msgOwnFlagForTest {
			t.Errorf("own order's page: resolve form %t, refusal shown %t; want no form and %q",
				page.has("resolve-form"), page.has("resolve-refused"), msgOwnFlagForTest)
		}
		flagged := op.get(flaggedPath).wantStatus(http.StatusOK)
		if flagged.has("limit-change-resolve-form") || !flagged.has("limit-change-resolve-refused") ||
			flagged.text("limit-change-resolve-refused") != msgOwnFlagForTest {
			t.Errorf("flagged list, own raise: resolve form %t, refusal shown %t; want no form and %q",
				flagged.has("limit-change-resolve-form"), flagged.has("limit-change-resolve-refused"), msgOwnFlagForTest)
		}
		for _, path := range []string{orderPath(order.ID) + "/resolve", "/admin/limit-changes/" + strconv.FormatInt(raise.ID, 10) + "/resolve"} {
			res := op.submit(path, url.Values{"note": {"looked at it myself"}}).wantStatus(http.StatusUnprocessableEntity)
			if !res.has("flash") || res.text("flash") != msgOwnFlagForTest {
				t.Errorf("POST %s on own account: want %q", path, msgOwnFlagForTest)
			}
		}
		if n, a := resolutions(), ta.countRows(&staff.Audit{}, "event = ?", staff.EventFlagResolved); n != 0 || a != 0 {
			t.Errorf("own flags resolved by hand: %d resolutions, %d audit rows; want none", n, a)
		}

		if !other.get(orderPath(order.ID)).has("resolve-form") || !other.get(flaggedPath).has("limit-change-resolve-form") {
			t.Error("another member: want the resolve forms")
		}
		other.submit(orderPath(order.ID)+"/resolve", url.Values{"note": {"the account is the player's spouse's"}}).wantRedirect(orderPath(order.ID))
		other.submit("/admin/limit-changes/"+strconv.FormatInt(raise.ID, 10)+"/resolve", url.Values{"note": {"affordability checked"}}).
			wantRedirect(flaggedPath)
		if n := resolutions(); n != 2 {
			t.Errorf("resolved by another member: %d resolutions; want two", n)
		}
	})
}

const msgOwnFlagForTest = "You cannot resolve this flag: it is about the player account with your email address. Another member must resolve it."

// TestFirstApproverRevokedNotShown: the approvals queue and the payout's order
// page name the first of two approvals only while it counts: once its member is
// disabled they say the payout needs two approvals with none given, as the
// service counts it (cashier's TestPayoutFirstApproverRevoked).
func TestFirstApproverRevokedNotShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		anna, _, acc := funded(t, lv, "anna@example.com", "20000")
		id := requestPayout(t, anna, "12000", acc.ID)
		lv.waitPayout(id, models.OrderAwaitingApproval, nil)
		bossM := lv.staff("boss@example.com", staff.RoleOwner)
		a, aM := lv.staffSignedIn("a@example.com", staff.RoleOperator)
		b, _ := lv.staffSignedIn("b@example.com", staff.RoleOperator)
		a.staffReauth(testPassword, "")
		a.submit(approvePath(id), url.Values{"reason": {"looked"}}).wantRedirect(approvalsPath)
		shown := func(want string) {
			t.Helper()
			if got := b.get(approvalsPath).text("approval-two-person"); got != want {
				t.Errorf("queue: %q; want %q", got, want)
			}
			if got := b.get(orderPath(id)).text("order-two-person"); got != want {
				t.Errorf("order page: %q; want %q", got, want)
			}
		}
		shown("Needs two approvals: approved once, by a@example.com.")
		if _, err := lv.Svc.SetStaffDisabled(context.Background(), bossM, aM.ID, true); err != nil {
			t.Fatal(err)
		}
		shown("Needs two approvals.")
	})
}

const (
	msgOwnAccountBlockForTest  = "You cannot block this player: it is the player account with your email address. Another member must decide it."
	msgOwnAccountNoteForTest   = "You cannot write a note about this player: it is the player account with your email address. Another member must write it."
	msgOwnAccountReturnForTest = "You cannot return this deposit's held money: it is of the player account with your email address. Another member must decide it."
)

// TestBlockOwnAccountPage: a member may not block their own player account (its
// email theirs, in another case and with spaces around it): their page shows
// the sentence in place of the block form, and the form sent by hand is refused
// (422) with it, the player not blocked and nothing audited. Another member
// blocks the player as before.
func TestBlockOwnAccountPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		player := ta.player("op@example.com")
		boss, _ := ta.staffSignedIn("boss@example.com", staff.RoleFinance)
		op, _ := ta.staffSignedIn(" OP@Example.com ", staff.RoleOperator)
		path := playerPath(player.ID)

		page := op.get(path).wantStatus(http.StatusOK)
		if page.has("block-form") || !page.has("block-refused") || page.text("block-refused") != msgOwnAccountBlockForTest {
			t.Errorf("own account's page: block form %t, refusal shown %t; want no form and %q",
				page.has("block-form"), page.has("block-refused"), msgOwnAccountBlockForTest)
		}
		audits := func() int64 {
			return ta.countRows(&staff.Audit{}, "player_id = ? AND event = ?", player.ID, staff.EventPlayerBlocked)
		}
		res := op.submit(path+"/block", url.Values{"reason": {"my own account"}}).wantStatus(http.StatusUnprocessableEntity)
		var p models.Player
		ta.DB.Take(&p, player.ID)
		if res.text("flash") != msgOwnAccountBlockForTest || p.Blocked || audits() != 0 {
			t.Errorf("own account blocked by hand: %q, blocked %t, %d audit rows; want %q, not blocked, none",
				res.text("flash"), p.Blocked, audits(), msgOwnAccountBlockForTest)
		}

		if page := boss.get(path); !page.has("block-form") || page.has("block-refused") {
			t.Errorf("another member's page: block form %t, refusal %t; want the form", page.has("block-form"), page.has("block-refused"))
		}
		boss.submit(path+"/block", url.Values{"reason": {"chargeback"}}).wantRedirect(path)
		ta.DB.Take(&p, player.ID)
		if !p.Blocked || audits() != 1 {
			t.Errorf("blocked by another member: blocked %t, %d audit rows; want blocked, one", p.Blocked, audits())
		}
	})
}

// TestNoteOwnAccountPage: a member may not write a note about their own player
// account: their page shows the sentence in place of the note form, and the
// form sent by hand is refused (422) with it and the note shown back, no note
// written and nothing audited. Another member's note is added as before.
func TestNoteOwnAccountPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		player := ta.player("op@example.com")
		boss, _ := ta.staffSignedIn("boss@example.com", staff.RoleFinance)
		op, _ := ta.staffSignedIn("Op@example.com", staff.RoleOperator)
		path := playerPath(player.ID)

		page := op.get(path).wantStatus(http.StatusOK)
		if page.has("note-form") || !page.has("note-refused") || page.text("note-refused") != msgOwnAccountNoteForTest {
			t.Errorf("own account's page: note form %t, refusal shown %t; want no form and %q",
				page.has("note-form"), page.has("note-refused"), msgOwnAccountNoteForTest)
		}
		notes := func() (int64, int64) {
			return ta.countRows(&staff.Note{}, "player_id = ?", player.ID),
				ta.countRows(&staff.Audit{}, "player_id = ? AND event = ?", player.ID, staff.EventPlayerNote)
		}
		res := op.submit(path+"/notes", url.Values{"note": {"source of funds checked"}}).wantStatus(http.StatusUnprocessableEntity)
		if n, a := notes(); res.text("flash") != msgOwnAccountNoteForTest || n != 0 || a != 0 {
			t.Errorf("note on own account by hand: %q, %d notes, %d audit rows; want %q, none", res.text("flash"), n, a, msgOwnAccountNoteForTest)
		}

		if page := boss.get(path); !page.has("note-form") || page.has("note-refused") {
			t.Errorf("another member's page: note form %t, refusal %t; want the form", page.has("note-form"), page.has("note-refused"))
		}
		boss.submit(path+"/notes", url.Values{"note": {"called the player"}}).wantRedirect(path)
		if n, a := notes(); n != 1 || a != 1 {
			t.Errorf("note by another member: %d notes, %d audit rows; want one of each", n, a)
		}
	})
}

// TestReturnHeldOwnAccountPage: a member may not return the held money of a
// refused deposit of their own player account: its order page shows the
// sentence in place of the return form, and the form sent by hand (after the
// re-authentication it needs) is refused (422) with it, no return made, no
// Refund sent and nothing audited. Another member returns it as before.
func TestReturnHeldOwnAccountPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-minor",
			"SandboxScenario": string(sandbox.ScenarioKYCFinishIgnored)},
			Setup: func(s *testSetup) { withPayNPlay(t, "hybrid")(s); s.Cashier.DB = db }})
		mid := startPayNPlay(lv.client(), "SE", "100")
		dep := lv.waitStatus(mid, models.OrderRefusedHeld)
		lv.Sandbox.WaitIdle(t)
		// The deposit a signed-in player started whose kyc found another person
		// (cashier's TestReturnHeldOwnAccount): the order is the player's.
		player := lv.player("fin@example.com")
		if err := lv.DB.Model(&models.Order{}).Where("id = ?", dep.ID).Update("player_id", player.ID).Error; err != nil {
			t.Fatal(err)
		}
		own, _ := lv.staffSignedIn("FIN@example.com", staff.RoleFinance)
		other, _ := lv.staffSignedIn("other@example.com", staff.RoleFinance)
		own.staffReauth(testPassword, "")
		other.staffReauth(testPassword, "")
		page := orderPath(dep.ID)

		r := own.get(page).wantStatus(http.StatusOK)
		if r.has("order-return-form") || !r.has("order-return-refused") || r.text("order-return-refused") != msgOwnAccountReturnForTest {
			t.Errorf("own deposit's order page: return form %t, refusal shown %t; want no form and %q",
				r.has("order-return-form"), r.has("order-return-refused"), msgOwnAccountReturnForTest)
		}
		token := other.get(page).value("order-return-token")
		res := own.submit(returnPath(dep.ID), url.Values{"token": {token}, "reason": {"mine"}}).wantStatus(http.StatusUnprocessableEntity)
		returns := func() int64 {
			return lv.countRows(&models.Order{}, "parent_id = ? AND kind = ? AND returns_held = ?", dep.ID, models.OrderRefund, true)
		}
		if n, a := returns(), lv.countRows(&staff.Audit{}, "event = ?", staff.EventHeldReturn); res.text("flash") != msgOwnAccountReturnForTest || n != 0 || a != 0 {
			t.Errorf("own deposit's held money returned by hand: %q, %d returns, %d audit rows; want %q, none",
				res.text("flash"), n, a, msgOwnAccountReturnForTest)
		}

		if r := other.get(page); !r.has("order-return-form") || r.has("order-return-refused") {
			t.Errorf("another member's order page: return form %t, refusal %t; want the form", r.has("order-return-form"), r.has("order-return-refused"))
		}
		other.submit(returnPath(dep.ID), url.Values{"token": {token}, "reason": {"kyc refused"}}).wantRedirect(page)
		if n := returns(); n != 1 {
			t.Errorf("returned by another member: %d returns; want one", n)
		}
	})
}
