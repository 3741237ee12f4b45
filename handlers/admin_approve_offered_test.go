package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// The sentences ApprovePayout refuses with, which the pages show in place of the
// approve button.
const (
	saidFirstApprover = "You have approved this payout already; it needs a second staff member's approval."
	saidResetByFirst  = "You cannot give the second approval of this payout: the staff member who gave the first " +
		"approval reset your password or second factor in the last 24 hours. Another member must approve it."
	saidResetFirst = "You cannot give the second approval of this payout: you reset the password or second factor " +
		"of the staff member who gave the first approval in the last 24 hours. Another member must approve it."
	saidOwnAccount = "You cannot approve this payout: it is to the player account with your email address. " +
		"Another member must approve it."
)

// TestApproveOfferedOnlyWhereAllowed: the approvals queue and a payout's order page
// offer the approve button only to a member whose approval the service would
// take; any other sees, in its place, the sentence the service refuses with: the
// member who gave the first of two approvals, a second approver whose second
// factor the first approver reset in the last 24 hours, a first approver who reset
// the second's password, and a member whose email is the player's. The deny form
// stays for all of them but the last, other members see the button (and who approved first),
// and the same approval sent by hand is refused with that sentence, writing
// nothing.
func TestApproveOfferedOnlyWhereAllowed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		ctx := context.Background()
		anna, _, acc := funded(t, lv, "anna@example.com", "30000")
		firstByBoss := requestPayout(t, anna, "12000", acc.ID)
		firstByB := requestPayout(t, anna, "12000", acc.ID)
		bo, _, boAcc := funded(t, lv, "bo@example.com", "10000")
		own := requestPayout(t, bo, "6000", boAcc.ID)
		for _, id := range []int64{firstByBoss, firstByB, own} {
			lv.waitPayout(id, models.OrderAwaitingApproval, nil)
		}

		boss, bossM := lv.staffSignedIn("boss@example.com", staff.RoleOwner)
		b, bM := lv.staffSignedIn("b@example.com", staff.RoleOperator)
		cM := lv.staff("c@example.com", staff.RoleOperator)
		d, _ := lv.staffSignedIn("d@example.com", staff.RoleOperator)
		self, _ := lv.staffSignedIn("bo@example.com", staff.RoleFinance)
		reauth := func(cl *testClient) {
			t.Helper()
			cl.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {approvalsPath}}).wantRedirect(approvalsPath)
		}
		reauth(boss)
		boss.submit(approvePath(firstByBoss), url.Values{"reason": {"looked"}}).wantRedirect(approvalsPath)
		reauth(b)
		b.submit(approvePath(firstByB), url.Values{"reason": {"looked"}}).wantRedirect(approvalsPath)
		// The owner, having approved one first, resets c's second factor; and resets
		// the password of b, who approved the other first.
		if err := db.Model(&staff.Member{}).Where("id = ?", cM.ID).
			Updates(map[string]any{"totp_secret": "sealed", "totp_enabled": true}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := lv.Svc.ResetStaffTOTP(ctx, bossM, cM.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := lv.Svc.SetStaffPassword(ctx, bossM, bM.ID, "a temporary one 1"); err != nil {
			t.Fatal(err)
		}
		c := lv.client()
		c.staffSignIn("c@example.com", testPassword, "")

		for _, tt := range []struct {
			name  string
			cl    *testClient
			order int64
			said  string // "" when the approve button is offered
		}{
			{"first approver", boss, firstByBoss, saidFirstApprover},
			{"second factor reset by the first approver", c, firstByBoss, saidResetByFirst},
			{"another member", d, firstByBoss, ""},
			{"not the player's own", self, firstByBoss, ""},
			{"reset the first approver's password", boss, firstByB, saidResetFirst},
			{"no reset between them", c, firstByB, ""},
			{"the player's own", self, own, saidOwnAccount},
			{"another member, one approval", d, own, ""},
		} {
			id := strconv.FormatInt(tt.order, 10)
			var row *testResponse
			for _, n := range tt.cl.get(approvalsPath).wantStatus(http.StatusOK).byTestID("approval") {
				if attr(n, "data-order") == id {
					row = &testResponse{t: t, doc: n, what: "approval " + id}
				}
			}
			if row == nil {
				t.Fatalf("%s: payout %s not in the queue", tt.name, id)
			}
			page := tt.cl.get(orderPath(tt.order)).wantStatus(http.StatusOK)
			for _, where := range []struct {
				name                string
				r                   *testResponse
				approve, deny, note string
			}{{"queue", row, "approve", "deny", "approval-cannot-approve"},
				{"order page", page, "order-approve", "order-deny", "order-cannot-approve"}} {
				r := where.r
				// A member may deny any payout but their own (TestDecisionRefusalsShownUpFront).
				deny := tt.said != saidOwnAccount
				if r.has(where.approve) != (tt.said == "") || r.has(where.deny) != deny || r.has(where.note) != (tt.said != "") {
					t.Errorf("%s, %s: approve button %t, deny button %t, sentence %t; want approve %t, deny %t, sentence %t",
						tt.name, where.name, r.has(where.approve), r.has(where.deny), r.has(where.note), tt.said == "", deny, tt.said != "")
				} else if tt.said != "" && r.text(where.note) != tt.said {
					t.Errorf("%s, %s: %q; want %q", tt.name, where.name, r.text(where.note), tt.said)
				}
			}
		}
		if got := d.get(orderPath(firstByBoss)).text("order-two-person"); got != "Needs two approvals: approved once, by boss@example.com." {
			t.Errorf("order page for another member: %q; want who approved first", got)
		}

		// Sent by hand all the same: refused with the sentence on the page the form
		// came from, the reason typed shown back, nothing written; the member's own
		// first approval sent again is recorded already, and goes back to say so.
		reauth(c)
		reauth(boss)
		for _, tt := range []struct {
			cl        *testClient
			order     int64
			approvals int64
			said      string
		}{{c, firstByBoss, 1, saidResetByFirst}, {boss, firstByB, 1, saidResetFirst}, {boss, firstByBoss, 1, saidFirstApprover},
			{self, own, 0, saidOwnAccount}} {
			var before, after, approvals int64
			db.Model(&staff.Audit{}).Count(&before)
			res := tt.cl.submit(approvePath(tt.order), url.Values{"reason": {"by hand"}, "back": {orderPath(tt.order)}})
			if tt.said == saidFirstApprover {
				res.wantRedirect(orderPath(tt.order))
				if got := tt.cl.get(orderPath(tt.order)).text("flash"); got != tt.said {
					t.Errorf("approval of %d sent by hand: %q; want %q", tt.order, got, tt.said)
				}
			} else if res.wantStatus(http.StatusUnprocessableEntity); res.text("flash") != tt.said ||
				res.text("not-recorded-text") != "by hand" || !res.has("order-title") {
				t.Errorf("approval of %d sent by hand: %q, reason shown back %q, order page %t; want %q, \"by hand\" on the order page",
					tt.order, res.text("flash"), res.text("not-recorded-text"), res.has("order-title"), tt.said)
			}
			db.Model(&staff.Audit{}).Count(&after)
			db.Model(&staff.Approval{}).Where("order_id = ?", tt.order).Count(&approvals)
			if o := lv.waitPayout(tt.order, models.OrderAwaitingApproval, nil); after != before || approvals != tt.approvals || o.ApprovedAt != nil {
				t.Errorf("after the refused approval of %d: %d audit rows (was %d), %d approvals; want nothing written",
					tt.order, after, before, approvals)
			}
		}

		d.submit(approvePath(own), url.Values{"reason": {"checked"}}).wantRedirect(approvalsPath)
		lv.waitPayout(own, models.OrderConfirmed, nil)
	})
}
