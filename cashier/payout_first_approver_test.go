package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestPayoutFirstApproverRevoked: the first of two approvals counts only while
// its member may still decide payouts. A member disabled since (their sessions
// ended, they may do nothing), or whose role was lowered to viewer, is no longer
// one of the two: the next approval is the first again and the payout waits for
// another member, where it was sent on one approval of someone still allowed.
// Once the member may decide again, their approval counts again.
func TestPayoutFirstApproverRevoked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		boss := e.staff(staff.RoleOwner)
		a, b, c := e.staff(staff.RoleOperator), e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		var payouts []models.Order
		for range 2 {
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 8000))
			if err != nil || !e.svc.NeedsTwoApprovals(o) {
				t.Fatalf("request: %+v, %v; want a payout that needs two approvals", o, err)
			}
			payouts = append(payouts, o)
		}
		disabled, demoted := payouts[0], payouts[1]
		for _, o := range payouts {
			if _, err := e.svc.ApprovePayout(e.ctx, a, o.ID, "checked"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.SetStaffDisabled(e.ctx, boss, a.ID, true); err != nil {
			t.Fatal(err)
		}
		waits := func(o models.Order, who string) {
			t.Helper()
			got := e.reload(o)
			var first int64
			db.Model(&staff.Audit{}).Where("order_id = ? AND event = ?", o.ID, staff.EventPayoutFirstVote).Count(&first)
			if got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil || first != 2 {
				t.Errorf("%s: payout %d %s, %d first approvals audited; want it waiting, the approval audited as a first one",
					who, o.ID, got.Status, first)
			}
		}
		if _, err := e.svc.ApprovePayout(e.ctx, b, disabled.ID, "checked too"); err != nil {
			t.Fatal(err)
		}
		waits(disabled, "approved after the first approver was disabled")
		if o, err := e.svc.ApprovePayout(e.ctx, c, disabled.ID, "checked as well"); err != nil || o.ApprovedAt == nil {
			t.Errorf("a third member's approval: %+v, %v; want it sent", o.Status, err)
		}

		if _, err := e.svc.SetStaffDisabled(e.ctx, boss, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStaffRole(e.ctx, boss, a.ID, staff.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ApprovePayout(e.ctx, b, demoted.ID, "checked too"); err != nil {
			t.Fatal(err)
		}
		waits(demoted, "approved after the first approver became a viewer")
		if _, err := e.svc.SetStaffRole(e.ctx, boss, a.ID, staff.RoleOperator); err != nil {
			t.Fatal(err)
		}
		// b approved while a's approval did not count, so b's is the first; a's
		// counts again now, so a third approval would be by a or b: refused.
		_, err := e.svc.ApprovePayout(e.ctx, b, demoted.ID, "again")
		wantProblem(t, err, "You have approved this payout already")
	})
}

// TestPayoutTwoPersonResetWhileDisabled: the day a reset of credentials keeps its
// author and its subject from being the two approvers of a payout is the day in
// which the subject could come back and notice. An owner who resets a disabled
// member's password (who can notice nothing), waits the day out, enables them and
// signs in as them is one person: enabling an account counts as the resets do,
// for 24 hours, in either direction; then the member approves as before.
func TestPayoutTwoPersonResetWhileDisabled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		boss, b := e.staff(staff.RoleOwner), e.staff(staff.RoleOperator)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		var payouts []models.Order
		for range 2 {
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 8000))
			if err != nil || !e.svc.NeedsTwoApprovals(o) {
				t.Fatalf("request: %+v, %v; want a payout that needs two approvals", o, err)
			}
			payouts = append(payouts, o)
		}
		forward, reverse := payouts[0], payouts[1]
		if _, err := e.svc.SetStaffDisabled(e.ctx, boss, b.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStaffPassword(e.ctx, boss, b.ID, "a temporary one 1"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(25 * time.Hour)
		if _, err := e.svc.SetStaffDisabled(e.ctx, boss, b.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ChangeStaffPassword(e.ctx, b, "a temporary one 1", "", "b's own password"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ApprovePayout(e.ctx, boss, forward.ID, "checked"); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.ApprovePayout(e.ctx, b, forward.ID, "checked too")
		wantProblem(t, err, "You cannot give the second approval of this payout: the staff member who gave the first "+
			"approval enabled your staff account in the last 24 hours.")
		if _, err := e.svc.ApprovePayout(e.ctx, b, reverse.ID, "checked"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ApprovePayout(e.ctx, boss, reverse.ID, "checked too")
		wantProblem(t, err, "You cannot give the second approval of this payout: you enabled the staff account of the "+
			"staff member who gave the first approval in the last 24 hours.")
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls after refused approvals; want 0", n)
		}
		e.clock.Advance(24 * time.Hour)
		if got, err := e.svc.ApprovePayout(e.ctx, b, forward.ID, "checked too"); err != nil || got.SentAt == nil {
			t.Errorf("approval a day after the enabling: %+v, %v; want sent", got.Status, err)
		}
	})
}
