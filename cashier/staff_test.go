package cashier_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// audits returns the audit rows of event, oldest first.
func audits(t *testing.T, db *gorm.DB, event staff.Event) []staff.Audit {
	t.Helper()
	var rows []staff.Audit
	if err := db.Where("event = ?", event).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestEnsureOwner: the configured owner is created once, restored to owner,
// enabled and the configured password when changed in the back office, its
// sessions ended by a new password; a player of that email stays a player.
func TestEnsureOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		if _, err := svc.Register(ctx, anna()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := svc.EnsureOwner(ctx, "Anna@Example.com", "owner password 1"); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(audits(t, db, staff.EventOwnerEnsured)); n != 1 {
			t.Errorf("%d audit rows after creating the owner and ensuring it again; want 1", n)
		}
		m, err := svc.AuthenticateStaff(ctx, "anna@example.com", "owner password 1", "")
		if err != nil || m.Role != staff.RoleOwner {
			t.Fatalf("AuthenticateStaff(owner) = %+v, %v; want an owner", m, err)
		}
		if p, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery"); err != nil || p.Role != models.RolePlayer {
			t.Errorf("the player of the same email: %+v, %v; want a player, unchanged", p, err)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "owner password 1"); err == nil {
			t.Error("the owner's password signs in a player")
		}

		// Demoted and disabled in the back office: the configuration restores it.
		db.Model(&staff.Member{}).Where("id = ?", m.ID).Updates(map[string]any{"role": staff.RoleViewer, "disabled": true})
		if err := svc.EnsureOwner(ctx, "anna@example.com", "owner password 2"); err != nil {
			t.Fatal(err)
		}
		after, err := svc.StaffMember(ctx, m.ID)
		if err != nil || after.Role != staff.RoleOwner || after.Disabled || after.SessionVersion != m.SessionVersion+1 {
			t.Errorf("restored owner %+v, %v; want an enabled owner with its sessions ended", after, err)
		}
		if _, err := svc.AuthenticateStaff(ctx, "anna@example.com", "owner password 1", ""); err == nil {
			t.Error("the old owner password still works")
		}
		if err := svc.EnsureOwner(ctx, "boss@example.com", "short"); err == nil {
			t.Error("EnsureOwner accepted a short password")
		}
	})
}

// TestAuditAppendOnly: the database refuses to update, delete or truncate audit
// rows, on SQLite and PostgreSQL, and a migration run again keeps it so.
func TestAuditAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if err := store.Migrate(db); err != nil { // twice: the triggers must be repeatable
			t.Fatal(err)
		}
		if err := staff.Record(ctx, db, time.Now(), staff.Audit{Event: staff.EventStaffCreated, SubjectID: 7, Reason: "kept"}); err != nil {
			t.Fatal(err)
		}
		for _, sql := range []string{
			"UPDATE audits SET reason = 'changed'",
			"DELETE FROM audits",
		} {
			if err := db.Exec(sql).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v; want refused as append-only", sql, err)
			}
		}
		if err := db.Model(&staff.Audit{}).Where("subject_id = ?", 7).Update("reason", "changed").Error; err == nil {
			t.Error("GORM Update of an audit row succeeded")
		}
		if db.Dialector.Name() == "postgres" {
			if err := db.Exec("TRUNCATE audits").Error; err == nil {
				t.Error("TRUNCATE audits succeeded")
			}
		}
		var rows []staff.Audit
		db.Find(&rows)
		if len(rows) != 1 || rows[0].Reason != "kept" {
			t.Errorf("audit rows %+v; want the one row, unchanged", rows)
		}
	})
}

// TestRetireAdminPlayers: an admin player left by an older version is a plain
// player after migration, signed out, and not a staff member.
func TestRetireAdminPlayers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("UPDATE players SET role = 'admin' WHERE id = ?", p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Player(ctx, p.ID)
		if err != nil || got.Role != models.RolePlayer || got.SessionVersion != p.SessionVersion+1 {
			t.Errorf("old admin after migration: role %q version %d, %v; want player, version %d", got.Role, got.SessionVersion, err, p.SessionVersion+1)
		}
		if _, err := svc.AuthenticateStaff(ctx, p.Email, "correct horse battery", ""); err == nil {
			t.Error("the old admin signs in as staff")
		}
	})
}

// TestStaffAccountsAudited: every change to a staff account writes exactly one
// audit row in its transaction; a change to nothing writes none; only owners
// manage accounts, and the role is read from the database.
func TestStaffAccountsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		owner, err := svc.AddStaff(ctx, "owner@example.com", "owner password 1", staff.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		count := func() int64 {
			var n int64
			db.Model(&staff.Audit{}).Count(&n)
			return n
		}
		step := func(what string, want int64, f func() error) {
			t.Helper()
			before := count()
			if err := f(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got := count() - before; got != want {
				t.Errorf("%s: %d audit rows; want %d", what, got, want)
			}
		}
		var op staff.Member
		step("create", 1, func() (err error) {
			op, err = svc.CreateStaff(ctx, owner, "op@example.com", "operator password", staff.RoleOperator)
			return err
		})
		step("role change", 1, func() error { _, err := svc.SetStaffRole(ctx, owner, op.ID, staff.RoleFinance); return err })
		step("same role again", 0, func() error { _, err := svc.SetStaffRole(ctx, owner, op.ID, staff.RoleFinance); return err })
		step("disable", 1, func() error { _, err := svc.SetStaffDisabled(ctx, owner, op.ID, true); return err })
		step("disable again", 0, func() error { _, err := svc.SetStaffDisabled(ctx, owner, op.ID, true); return err })
		step("enable", 1, func() error { _, err := svc.SetStaffDisabled(ctx, owner, op.ID, false); return err })
		step("sign in", 1, func() error {
			_, err := svc.AuthenticateStaff(ctx, "op@example.com", "operator password", "")
			return err
		})
		step("sign out", 1, func() error { return svc.EndStaffSessions(ctx, op) })

		rows := audits(t, db, staff.EventRoleChanged)
		if len(rows) != 1 || rows[0].StaffID != owner.ID || rows[0].Role != staff.RoleOwner || rows[0].SubjectID != op.ID ||
			!strings.Contains(rows[0].Before, `"operator"`) || !strings.Contains(rows[0].After, `"finance"`) || atOffset(rows[0].At) != 0 {
			t.Errorf("role change audit %+v", rows)
		}

		// Not an owner, or an owner only in the struct: refused, nothing written.
		before := count()
		fake := op
		fake.Role = staff.RoleOwner
		if _, err := svc.CreateStaff(ctx, fake, "x@example.com", "some password 1", staff.RoleViewer); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a finance member claiming owner: %v; want ErrNotAllowed", err)
		}
		if _, err := svc.SetStaffRole(ctx, owner, owner.ID, staff.RoleViewer); err == nil {
			t.Error("an owner changed their own role")
		}
		if _, err := svc.CreateStaff(ctx, owner, "op@example.com", "operator password", staff.RoleViewer); err == nil {
			t.Error("a second account with the same email")
		}
		if count() != before {
			t.Errorf("refused changes wrote %d audit rows", count()-before)
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "wrong password!", ""); err == nil {
			t.Error("a wrong password signs in")
		}
		svc.SetStaffDisabled(ctx, owner, op.ID, true)
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "operator password", ""); err == nil {
			t.Error("a disabled member signs in")
		}
	})
}

// TestPayoutTwoPersonApproval: a payout above TwoPersonAbove is sent only on the
// approval of a second, different staff member; the first approval is recorded
// and audited, the same member approving again is refused, and each decision
// writes one audit row in its transaction.
func TestPayoutTwoPersonApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		first, second := e.admin(), e.staff(staff.RoleFinance)

		big, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 8000))
		if err != nil || !e.svc.NeedsTwoApprovals(big) {
			t.Fatalf("request: %+v, %v; want a payout that needs two approvals", big, err)
		}
		// Another player's: with the 8 000 of the last 24 hours it would need two.
		q := e.player("SE")
		small, err := e.svc.RequestPayout(e.ctx, q, e.deposit(q, 20000).ID, e.money(q, 6000))
		if err != nil || e.svc.NeedsTwoApprovals(small) {
			t.Fatalf("request: %+v, %v; want a payout that needs one approval", small, err)
		}

		got, err := e.svc.ApprovePayout(e.ctx, first, big.ID, "known player")
		if err != nil || got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil {
			t.Fatalf("first approval: %s, %v; want still awaiting approval", got.Status, err)
		}
		_, err = e.svc.ApprovePayout(e.ctx, first, big.ID, "again")
		wantProblem(t, err, "You have approved this payout already")
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls after one approval; want 0", n)
		}
		queue, err := e.svc.ApprovalQueue(e.ctx, second)
		if err != nil || len(queue) != 2 || queue[0].Order.ID != big.ID || !queue[0].TwoPerson ||
			len(queue[0].Approvers) != 1 || queue[0].Approvers[0].ID != first.ID || queue[0].Player.ID != p.ID {
			t.Fatalf("queue %+v, %v; want the big payout first with one approver", queue, err)
		}

		got, err = e.svc.ApprovePayout(e.ctx, second, big.ID, "checked too")
		if err != nil || got.ApprovedAt == nil || got.DecidedBy != second.ID || got.SentAt == nil {
			t.Fatalf("second approval: %+v, %v; want approved by the second member and sent", got, err)
		}
		e.waitStatus(big, models.OrderConfirmed)
		if _, err := e.svc.ApprovePayout(e.ctx, first, small.ID, ""); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(small, models.OrderConfirmed)
		if n := e.apiCalls("AccountPayout"); n != 2 {
			t.Errorf("%d AccountPayout calls; want 2", n)
		}

		votes := audits(t, db, staff.EventPayoutFirstVote)
		approved := audits(t, db, staff.EventPayoutApproved)
		if len(votes) != 1 || votes[0].StaffID != first.ID || votes[0].OrderID != big.ID || votes[0].PlayerID != p.ID ||
			votes[0].Reason != "known player" {
			t.Errorf("first-approval audit %+v", votes)
		}
		if len(approved) != 2 || approved[0].StaffID != second.ID || approved[0].OrderID != big.ID ||
			!strings.Contains(approved[0].Before, `"awaiting-approval"`) || !strings.Contains(approved[0].After, `"approved_at"`) ||
			approved[1].OrderID != small.ID {
			t.Errorf("approval audits %+v", approved)
		}
	})
}

// TestPayoutTwoPersonTakeover: an owner who approved a payout first, then set a
// temporary password for another member (or reset their second factor), cannot
// sign in as them and give the second approval: it is refused, for 24 hours after
// the reset, even after a password change under the member's name (the change a
// temporary password forces on whoever uses it); a third member's approval sends
// the payout. Nor the other way round: the reset member approving first and the
// owner second. A refusal writes nothing and sends nothing.
func TestPayoutTwoPersonTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		boss, b, d, c := e.staff(staff.RoleOwner), e.staff(staff.RoleOperator), e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		var payouts []models.Order
		for range 2 {
			p := e.player("SE")
			account := e.deposit(p, 20000)
			for range 2 {
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 8000))
				if err != nil || !e.svc.NeedsTwoApprovals(o) {
					t.Fatalf("request: %+v, %v; want a payout that needs two approvals", o, err)
				}
				payouts = append(payouts, o)
			}
		}
		byPassword, byTOTP, reverse, fresh := payouts[0], payouts[1], payouts[2], payouts[3]
		const refused = "You cannot give the second approval of this payout"
		approve := func(m staff.Member, o models.Order) (models.Order, error) {
			t.Helper()
			return e.svc.ApprovePayout(e.ctx, m, o.ID, "checked")
		}
		refusedAlone := func(m staff.Member, o models.Order) {
			t.Helper()
			var before int64
			db.Model(&staff.Audit{}).Count(&before)
			_, err := approve(m, o)
			wantProblem(t, err, refused)
			var after, approvals int64
			db.Model(&staff.Audit{}).Count(&after)
			db.Model(&staff.Approval{}).Where("order_id = ?", o.ID).Count(&approvals)
			got := e.reload(o)
			if after != before || approvals != 1 || got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil {
				t.Errorf("after a refused approval: %d audit rows (was %d), %d approvals, %s; want nothing written, still waiting",
					after, before, approvals, got.Status)
			}
		}

		// The temporary password, and the password change it forces.
		if _, err := approve(boss, byPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetStaffPassword(e.ctx, boss, b.ID, "a temporary one 1"); err != nil {
			t.Fatal(err)
		}
		refusedAlone(b, byPassword)
		if _, err := e.svc.ChangeStaffPassword(e.ctx, b, "a temporary one 1", "", "b's own password"); err != nil {
			t.Fatal(err)
		}
		refusedAlone(b, byPassword)

		// Another member's second factor, reset by the owner after approving first.
		if err := db.Model(&staff.Member{}).Where("id = ?", d.ID).
			Updates(map[string]any{"totp_secret": "sealed", "totp_enabled": true}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := approve(boss, byTOTP); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ResetStaffTOTP(e.ctx, boss, d.ID); err != nil {
			t.Fatal(err)
		}
		refusedAlone(d, byTOTP)

		// The member reset approving first, the owner who reset them second.
		if _, err := approve(b, reverse); err != nil {
			t.Fatal(err)
		}
		refusedAlone(boss, reverse)
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls after refused approvals; want 0", n)
		}

		// A genuinely different member: sent.
		if got, err := approve(c, byPassword); err != nil || got.DecidedBy != c.ID || got.SentAt == nil {
			t.Fatalf("third member's approval: %+v, %v; want approved by them and sent", got, err)
		}
		e.waitStatus(byPassword, models.OrderConfirmed)

		// A day after the resets, the member is a second approver again; an owner's
		// approval with a member never reset was one all along.
		e.clock.Advance(24*time.Hour - time.Minute)
		refusedAlone(d, byTOTP)
		e.clock.Advance(2 * time.Minute)
		if got, err := approve(d, byTOTP); err != nil || got.DecidedBy != d.ID || got.SentAt == nil {
			t.Fatalf("approval a day after the reset: %+v, %v; want sent", got, err)
		}
		e.waitStatus(byTOTP, models.OrderConfirmed)
		if _, err := approve(boss, fresh); err != nil {
			t.Fatal(err)
		}
		if got, err := approve(c, fresh); err != nil || got.SentAt == nil {
			t.Fatalf("approval by a member never reset: %+v, %v; want sent", got, err)
		}
		e.waitStatus(fresh, models.OrderConfirmed)
	})
}

// TestPayoutTwoPersonCreatedMember: an owner who adds a staff member on the Staff
// page chose their password, so can sign in as them: for 24 hours after the
// creation the new member cannot give the second approval of a payout the owner
// approved first, nor the owner of one the new member approved first, and the
// queue shows each of them the sentence that names the creation in place of the
// button; a third member's approval sends it, and a day later the new member's
// does. A member added from the command line (AddStaff, by the system) was
// created by nobody: an owner's approval and theirs are two.
func TestPayoutTwoPersonCreatedMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		boss, c := e.staff(staff.RoleOwner), e.staff(staff.RoleOperator)
		var payouts []models.Order
		for i := range 3 {
			p := e.player("SE")
			account := e.deposit(p, 20000)
			for range 2 - i/2 {
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 8000))
				if err != nil || !e.svc.NeedsTwoApprovals(o) {
					t.Fatalf("request: %+v, %v; want a payout that needs two approvals", o, err)
				}
				payouts = append(payouts, o)
			}
		}
		forward, reverse, byCLI, later, unrelated := payouts[0], payouts[1], payouts[2], payouts[3], payouts[4]
		const (
			createdYou = "You cannot give the second approval of this payout: the staff member who gave the first " +
				"approval created your staff account in the last 24 hours."
			youCreated = "You cannot give the second approval of this payout: you created the staff account of the " +
				"staff member who gave the first approval in the last 24 hours."
		)
		approve := func(m staff.Member, o models.Order) (models.Order, error) {
			t.Helper()
			return e.svc.ApprovePayout(e.ctx, m, o.ID, "checked")
		}
		// refused wants m's approval of o refused with want, nothing written, and
		// the queue showing m the same sentence in place of the button.
		refused := func(m staff.Member, o models.Order, want string) {
			t.Helper()
			queue, err := e.svc.ApprovalQueue(e.ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			shown := false
			for _, a := range queue {
				if a.Order.ID == o.ID {
					shown = a.Refusal != nil && strings.HasPrefix(a.Refusal.Message, want)
				}
			}
			if !shown {
				t.Errorf("the queue offers staff %d the second approval of payout %d, or without %q", m.ID, o.ID, want)
			}
			var before int64
			db.Model(&staff.Audit{}).Count(&before)
			_, err = approve(m, o)
			wantProblem(t, err, want)
			var after, approvals int64
			db.Model(&staff.Audit{}).Count(&after)
			db.Model(&staff.Approval{}).Where("order_id = ?", o.ID).Count(&approvals)
			got := e.reload(o)
			if after != before || approvals != 1 || got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil {
				t.Errorf("after a refused approval: %d audit rows (was %d), %d approvals, %s; want nothing written, still waiting",
					after, before, approvals, got.Status)
			}
		}

		// The owner approves first, adds a member with a password of their choosing
		// and signs in as them.
		if _, err := approve(boss, forward); err != nil {
			t.Fatal(err)
		}
		added, err := e.svc.CreateStaff(e.ctx, boss, "added@example.com", "the owner's choice 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateStaff(e.ctx, "added@example.com", "the owner's choice 1", ""); err != nil {
			t.Fatalf("signing in with the password the owner chose: %v", err)
		}
		refused(added, forward, createdYou)
		// A payout another member approved first is theirs to approve all the same.
		if _, err := approve(c, unrelated); err != nil {
			t.Fatal(err)
		}
		queue, err := e.svc.ApprovalQueue(e.ctx, added)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range queue {
			if a.Order.ID == unrelated.ID && a.Refusal != nil {
				t.Errorf("the queue refuses the new member the second approval after another member's: %s", a.Refusal.Message)
			}
		}

		// The new member approves first, the owner who added them second.
		if _, err := approve(added, reverse); err != nil {
			t.Fatal(err)
		}
		refused(boss, reverse, youCreated)
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls after refused approvals; want 0", n)
		}

		// A member added from the command line: nobody's creation.
		cli, err := e.svc.AddStaff(e.ctx, "cli@example.com", "typed at the shell", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := approve(boss, byCLI); err != nil {
			t.Fatal(err)
		}
		if got, err := approve(cli, byCLI); err != nil || got.DecidedBy != cli.ID || got.SentAt == nil {
			t.Fatalf("second approval by a member added from the command line: %+v, %v; want sent", got, err)
		}
		e.waitStatus(byCLI, models.OrderConfirmed)

		// A genuinely different member: sent.
		if got, err := approve(c, reverse); err != nil || got.DecidedBy != c.ID || got.SentAt == nil {
			t.Fatalf("third member's approval: %+v, %v; want approved by them and sent", got, err)
		}
		e.waitStatus(reverse, models.OrderConfirmed)

		// A day after the creation, the new member is a second approver.
		e.clock.Advance(24*time.Hour - time.Minute)
		refused(added, forward, createdYou)
		e.clock.Advance(2 * time.Minute)
		if got, err := approve(added, forward); err != nil || got.DecidedBy != added.ID || got.SentAt == nil {
			t.Fatalf("approval a day after the creation: %+v, %v; want sent", got, err)
		}
		e.waitStatus(forward, models.OrderConfirmed)
		if _, err := approve(added, later); err != nil {
			t.Fatal(err)
		}
		if got, err := approve(boss, later); err != nil || got.SentAt == nil {
			t.Fatalf("the owner's second approval a day after the creation: %+v, %v; want sent", got, err)
		}
		e.waitStatus(later, models.OrderConfirmed)
	})
}

// TestPayoutOwnAccount: a staff member whose email is a player's (compared trimmed
// and in any case) cannot approve that player's payout, neither one approval nor
// the first or second of two: it is refused with a sentence, nothing is written and
// nothing is sent, and another member's approvals send it. A Pay N Play player
// has no email, which is no one's: their payout is approved as before.
func TestPayoutOwnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.TwoPersonAbove = models.Money{Minor: 700000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		self, other, third := e.staff(staff.RoleOwner), e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		own := e.player("SE")
		account := e.deposit(own, 20000)
		single := e.awaitingApproval(own, account.ID, 6000)
		double, err := e.svc.RequestPayout(e.ctx, own, account.ID, e.money(own, 3000))
		if err != nil || !e.svc.NeedsTwoApprovals(double) {
			t.Fatalf("request: %+v, %v; want a payout that needs two approvals", double, err)
		}
		emails := func(staffEmail, playerEmail string) {
			t.Helper()
			if err := db.Model(&staff.Member{}).Where("id = ?", self.ID).Update("email", staffEmail).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Model(&models.Player{}).Where("id = ?", own.ID).Update("email", playerEmail).Error; err != nil {
				t.Fatal(err)
			}
		}
		const refused = "You cannot approve this payout: it is to the player account with your email address."
		refusedAlone := func(o models.Order, approvals int64) {
			t.Helper()
			var before int64
			db.Model(&staff.Audit{}).Count(&before)
			_, err := e.svc.ApprovePayout(e.ctx, self, o.ID, "mine")
			wantProblem(t, err, refused)
			var after, n int64
			db.Model(&staff.Audit{}).Count(&after)
			db.Model(&staff.Approval{}).Where("order_id = ?", o.ID).Count(&n)
			got := e.reload(o)
			if after != before || n != approvals || got.Status != models.OrderAwaitingApproval || got.ApprovedAt != nil {
				t.Errorf("after a refused approval: %d audit rows (was %d), %d approvals, %s; want nothing written, still waiting",
					after, before, n, got.Status)
			}
		}
		for _, tt := range [][2]string{{own.Email, own.Email}, {"  " + strings.ToUpper(own.Email), own.Email},
			{own.Email, strings.ToUpper(own.Email[:1]) + own.Email[1:] + " "}} {
			emails(tt[0], tt[1])
			refusedAlone(single, 0)
			refusedAlone(double, 0)
		}
		if _, err := e.svc.ApprovePayout(e.ctx, other, double.ID, "first"); err != nil {
			t.Fatal(err)
		}
		refusedAlone(double, 1)
		if n := e.apiCalls("AccountPayout"); n != 0 {
			t.Fatalf("%d AccountPayout calls after refused approvals; want 0", n)
		}
		for _, o := range []models.Order{single, double} {
			if got, err := e.svc.ApprovePayout(e.ctx, third, o.ID, "checked"); err != nil || got.SentAt == nil {
				t.Fatalf("another member's approval of %d: %+v, %v; want sent", o.ID, got, err)
			}
			e.waitStatus(o, models.OrderConfirmed)
		}

		pnp := e.player("SE")
		if err := db.Model(&models.Player{}).Where("id = ?", pnp.ID).Update("email", gorm.Expr("NULL")).Error; err != nil {
			t.Fatal(err)
		}
		pnpAccount := e.deposit(pnp, 10000)
		o := e.awaitingApproval(pnp, pnpAccount.ID, 6000)
		if got, err := e.svc.ApprovePayout(e.ctx, self, o.ID, "checked"); err != nil || got.SentAt == nil {
			t.Fatalf("approval of a Pay N Play player's payout: %+v, %v; want sent", got, err)
		}
	})
}

// atOffset is t's offset from UTC in seconds.
func atOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// TestStaffSecretsSealed: a second-factor secret is stored sealed, never as the
// base32 secret an authenticator app holds, and signs in only under the key it
// was sealed with and on the member it was sealed for. A plaintext secret an older
// version stored is refused until SealStaffSecrets seals it, once.
func TestStaffSecretsSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		if err := svc.EnsureOwner(ctx, "owner@example.com", "owner password 1"); err != nil {
			t.Fatal(err)
		}
		owner, err := svc.AuthenticateStaff(ctx, "owner@example.com", "owner password 1", "")
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		stored := func(id int64) string {
			t.Helper()
			var m staff.Member
			if err := db.Where("id = ?", id).Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m.TOTPSecret
		}
		sealed := stored(owner.ID)
		if !staff.Sealed(sealed) || sealed == "" || strings.Contains(sealed, e.Secret) {
			t.Fatalf("stored %q for secret %s; want it sealed", sealed, e.Secret)
		}
		if again, err := svc.StartTOTP(ctx, owner); err != nil || again.Secret != e.Secret {
			t.Fatalf("enrolment shown again: %q, %v; want the same secret", again.Secret, err)
		}
		// An unfinished enrolment under another key (CASHIER_TOTP_KEY changed) is
		// replaced by a fresh one, not a dead end.
		rekeyed := playersService(t, db, bytes.Repeat([]byte{7}, 32)...)
		fresh, err := rekeyed.StartTOTP(ctx, owner)
		if err != nil || fresh.Secret == e.Secret {
			t.Fatalf("enrolment under another key: %q, %v; want a new secret", fresh.Secret, err)
		}
		if err := db.Model(&staff.Member{}).Where("id = ?", owner.ID).Update("totp_secret", sealed).Error; err != nil {
			t.Fatal(err)
		}
		code := func(secret string) string {
			t.Helper()
			c, err := totp.GenerateCode(secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := svc.ConfirmTOTP(ctx, owner, code(e.Secret)); err != nil {
			t.Fatal(err)
		}
		signIn := func(svc *cashier.Service, email, secret string) error {
			t.Helper()
			if err := db.Model(&staff.Member{}).Where("email = ?", email).Update("totp_last_step", 0).Error; err != nil {
				t.Fatal(err)
			}
			_, err := svc.AuthenticateStaff(ctx, email, "owner password 1", code(secret))
			return err
		}
		if err := signIn(svc, "owner@example.com", e.Secret); err != nil {
			t.Fatalf("sign-in with the sealed secret: %v", err)
		}

		// Another key: the secret does not open, which is an error, not a wrong code.
		var problem *models.Problem
		other := playersService(t, db, bytes.Repeat([]byte{9}, 32)...)
		if err := signIn(other, "owner@example.com", e.Secret); err == nil || errors.As(err, &problem) {
			t.Errorf("sign-in under another key: %v; want an error that is not a wrong code", err)
		}
		// The owner's sealed secret copied onto another member opens for nobody.
		if _, err := svc.AddStaff(ctx, "viewer@example.com", "owner password 1", staff.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&staff.Member{}).Where("email = ?", "viewer@example.com").
			Updates(map[string]any{"totp_secret": sealed, "totp_enabled": true}).Error; err != nil {
			t.Fatal(err)
		}
		if err := signIn(svc, "viewer@example.com", e.Secret); err == nil {
			t.Error("a sealed secret copied onto another member signs them in")
		}

		// An older version's plaintext secret: refused, then sealed once at start.
		if err := db.Model(&staff.Member{}).Where("id = ?", owner.ID).Update("totp_secret", e.Secret).Error; err != nil {
			t.Fatal(err)
		}
		if err := signIn(svc, "owner@example.com", e.Secret); !errors.Is(err, staff.ErrNotSealed) {
			t.Errorf("sign-in with a plaintext secret: %v; want ErrNotSealed", err)
		}
		for i, want := range []int{1, 0} {
			if n, err := svc.SealStaffSecrets(ctx); err != nil || n != want {
				t.Fatalf("SealStaffSecrets run %d = %d, %v; want %d", i+1, n, err, want)
			}
		}
		if s := stored(owner.ID); !staff.Sealed(s) || strings.Contains(s, e.Secret) {
			t.Errorf("after SealStaffSecrets: %q; want it sealed", s)
		}
		if err := signIn(svc, "owner@example.com", e.Secret); err != nil {
			t.Errorf("sign-in once sealed: %v", err)
		}
	})
}

// TestStaffSecretColumnWidened: a database an older version made, whose
// totp_secret column held 64 characters, takes sealed secrets once migrated.
func TestStaffSecretColumnWidened(t *testing.T) {
	db := storetest.Postgres(t)
	if err := db.Exec("ALTER TABLE staff ALTER COLUMN totp_secret TYPE varchar(64)").Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(db); err != nil {
		t.Fatal(err)
	}
	m := staff.Member{Email: "owner@example.com", PasswordHash: "x", Role: staff.RoleOwner, CreatedAt: time.Now(),
		TOTPSecret: "sealed1:" + strings.Repeat("A", 200)}
	if err := db.Create(&m).Error; err != nil {
		t.Fatalf("a sealed secret in the migrated column: %v", err)
	}
}

// TestChangeStaffPassword: a member changes their own password on their current
// one and, with a second factor, a current code, which is then used up; every
// session of theirs ends (the version goes up), the old password stops working and
// the change is audited. A wrong current password or code, a short new password or
// the same one changes nothing; a disabled member cannot.
func TestChangeStaffPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		m, err := svc.AddStaff(ctx, "op@example.com", "operator password 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		base := time.Now() // codes of fixed steps, whenever the test crosses a step's end
		at := func(d time.Duration) string {
			c, err := totp.GenerateCode(e.Secret, base.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := svc.ConfirmTOTP(ctx, m, at(-30*time.Second)); err != nil {
			t.Fatal(err)
		}
		m, _ = svc.StaffMember(ctx, m.ID)
		var problem *models.Problem
		for name, try := range map[string][3]string{
			"wrong current password": {"operator password 2", at(0), "a new password 1"},
			"wrong code":             {"operator password 1", "000000", "a new password 1"},
			"no code":                {"operator password 1", "", "a new password 1"},
			"short new password":     {"operator password 1", at(0), "short"},
			"the same password":      {"operator password 1", at(0), "operator password 1"},
		} {
			if _, err := svc.ChangeStaffPassword(ctx, m, try[0], try[1], try[2]); !errors.As(err, &problem) {
				t.Errorf("%s: %v; want a *models.Problem", name, err)
			}
		}
		if after, _ := svc.StaffMember(ctx, m.ID); after.PasswordHash != m.PasswordHash || after.SessionVersion != m.SessionVersion {
			t.Fatal("a refused change changed the account")
		}
		changed, err := svc.ChangeStaffPassword(ctx, m, "operator password 1", at(0), "a new password 1")
		if err != nil {
			t.Fatal(err)
		}
		if changed.SessionVersion != m.SessionVersion+1 {
			t.Errorf("session version %d → %d; want one more: every session ends", m.SessionVersion, changed.SessionVersion)
		}
		if n := len(audits(t, db, staff.EventPasswordChanged)); n != 1 {
			t.Errorf("%d audit rows; want 1", n)
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "operator password 1", at(30*time.Second)); err == nil {
			t.Error("the old password still signs in")
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "a new password 1", at(0)); err == nil {
			t.Error("the code the change used signs in again")
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "a new password 1", at(30*time.Second)); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if err := db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("disabled", true).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ChangeStaffPassword(ctx, changed, "a new password 1", at(30*time.Second), "a newer password 1"); err == nil {
			t.Error("a disabled member changed their password")
		}
	})
}

// TestSetStaffPassword: an owner's temporary password replaces a member's, ends
// their sessions and makes them choose their own, which clears the mark; the
// owner cannot set their own, and a member below owner cannot set anyone's.
func TestSetStaffPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		owner, err := svc.AddStaff(ctx, "owner@example.com", "owner password 1", staff.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		op, err := svc.AddStaff(ctx, "op@example.com", "operator password 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetStaffPassword(ctx, owner, owner.ID, "a temporary one 1"); err == nil {
			t.Error("an owner set their own temporary password")
		}
		if _, err := svc.SetStaffPassword(ctx, op, owner.ID, "a temporary one 1"); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("an operator setting a password: %v; want ErrNotAllowed", err)
		}
		set, err := svc.SetStaffPassword(ctx, owner, op.ID, "a temporary one 1")
		if err != nil {
			t.Fatal(err)
		}
		if !set.MustChangePassword || set.SessionVersion != op.SessionVersion+1 || len(audits(t, db, staff.EventPasswordReset)) != 1 {
			t.Errorf("after a temporary password: %+v; want it marked, the sessions ended, one audit row", set)
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", "operator password 1", ""); err == nil {
			t.Error("the forgotten password still signs in")
		}
		own, err := svc.ChangeStaffPassword(ctx, set, "a temporary one 1", "", "my own password 1")
		if err != nil || own.MustChangePassword {
			t.Errorf("after choosing their own: %+v, %v; want the mark cleared", own, err)
		}
	})
}

// TestOwnersChangingEachOtherKeepAnOwner: two owners who demote or disable each
// other at the same moment leave an enabled owner: the second change waits for the
// first (both rows are locked before the author is checked) and then finds its
// author may no longer manage staff. A barrier holds each change just before its
// UPDATE until the other arrives too, or for a second (SQLite runs one write
// transaction at a time, so there the second never arrives).
func TestOwnersChangingEachOtherKeepAnOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, action := range []string{"demote", "disable"} {
			t.Run(action, func(t *testing.T) {
				svc, ctx := playersService(t, db), context.Background()
				a, err := svc.AddStaff(ctx, action+"-a@example.com", "owner password 1", staff.RoleOwner)
				if err != nil {
					t.Fatal(err)
				}
				b, err := svc.AddStaff(ctx, action+"-b@example.com", "owner password 1", staff.RoleOwner)
				if err != nil {
					t.Fatal(err)
				}
				var arrived sync.WaitGroup
				arrived.Add(2)
				barrier := "test:barrier-" + action
				if err := db.Callback().Update().Before("gorm:update").Register(barrier, func(tx *gorm.DB) {
					if tx.Statement.Table == "staff" {
						arrived.Done()
						done := make(chan struct{})
						go func() { arrived.Wait(); close(done) }()
						select {
						case <-done:
						case <-time.After(time.Second):
						}
					}
				}); err != nil {
					t.Fatal(err)
				}
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, pair := range [][2]staff.Member{{a, b}, {b, a}} {
					wg.Go(func() {
						if action == "demote" {
							_, errs[i] = svc.SetStaffRole(ctx, pair[0], pair[1].ID, staff.RoleViewer)
						} else {
							_, errs[i] = svc.SetStaffDisabled(ctx, pair[0], pair[1].ID, true)
						}
					})
				}
				wg.Wait()
				if err := db.Callback().Update().Remove(barrier); err != nil {
					t.Fatal(err)
				}
				var owners int64
				db.Model(&staff.Member{}).Where("id IN ? AND role = ? AND disabled = ?", []int64{a.ID, b.ID}, staff.RoleOwner, false).Count(&owners)
				if owners != 1 || (errs[0] == nil) == (errs[1] == nil) {
					t.Errorf("%s each other at once: errors %v; %d enabled owners left, want 1 and one error", action, errs, owners)
				}
			})
		}
	})
}

// TestLastOwnerKept: a change that would leave no enabled owner is refused with a
// sentence, whoever makes it; with another owner it is made.
func TestLastOwnerKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		a, err := svc.AddStaff(ctx, "a@example.com", "owner password 1", staff.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		var problem *models.Problem
		if _, err := svc.SetStaffRoleAsSystem(ctx, a.ID, staff.RoleViewer); !errors.As(err, &problem) {
			t.Fatalf("demoting the last owner: %v; want a *models.Problem", err)
		}
		if m, _ := svc.StaffMember(ctx, a.ID); m.Role != staff.RoleOwner {
			t.Errorf("the last owner is %s; want owner", m.Role)
		}
		if _, err := svc.AddStaff(ctx, "b@example.com", "owner password 1", staff.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if m, err := svc.SetStaffRoleAsSystem(ctx, a.ID, staff.RoleViewer); err != nil || m.Role != staff.RoleViewer {
			t.Errorf("demoting an owner beside another: %+v, %v; want a viewer", m, err)
		}
	})
}

// TestStaffCodesLocked: wrong codes after the right password count against the
// account in one conditional statement, so that five sent at once lock its code
// check as five in a row do: then even the right code is refused, with the same
// problem, until the lock ends; wrong passwords do not count. (Its ten failures,
// the re-authentication's included, would also use up the account's budget of
// failed sign-ins, TestStaffPasswordChecksCountAsSignIns, which is raised here to
// see the code lock alone.)
func TestStaffCodesLocked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := signInService(t, db, time.Now, 20), context.Background()
		m, err := svc.AddStaff(ctx, "op@example.com", "operator password 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		code := func(d time.Duration) string {
			c, err := totp.GenerateCode(e.Secret, time.Now().Add(d))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := svc.ConfirmTOTP(ctx, m, code(-30*time.Second)); err != nil {
			t.Fatal(err)
		}
		wrong := "000000"
		if wrong == code(-30*time.Second) || wrong == code(0) || wrong == code(30*time.Second) {
			wrong = "111111"
		}
		for range 3 {
			if _, err := svc.AuthenticateStaff(ctx, m.Email, "not the password", wrong); problemMessage(err) == "" {
				t.Fatalf("a wrong password: %v; want a problem", err)
			}
		}
		var wg sync.WaitGroup
		for range staff.MaxCodeFailures {
			wg.Go(func() {
				if _, err := svc.AuthenticateStaff(ctx, m.Email, "operator password 1", wrong); problemMessage(err) == "" {
					t.Errorf("a wrong code: %v; want a problem", err)
				}
			})
		}
		wg.Wait()
		got, _ := svc.StaffMember(ctx, m.ID)
		if got.FailedCodes != 0 || got.CodesLockedUntil == nil || got.CodesLockedUntil.Sub(time.Now()) < staff.CodeLockout-time.Minute {
			t.Fatalf("after %d wrong codes at once: %d failures, locked until %v; want 0 and a quarter of an hour from now",
				staff.MaxCodeFailures, got.FailedCodes, got.CodesLockedUntil)
		}
		_, err = svc.AuthenticateStaff(ctx, m.Email, "operator password 1", code(0))
		if msg := problemMessage(err); msg != "Email, password or code is wrong." {
			t.Errorf("the right code while locked: %v; want the sign-in's one problem", err)
		}
		if err := svc.Reauthenticate(ctx, m, "operator password 1", code(0)); problemMessage(err) == "" {
			t.Errorf("re-authenticating with the right code while locked: %v; want a problem", err)
		}
		db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("codes_locked_until", time.Now().Add(-time.Second).UTC())
		if _, err := svc.AuthenticateStaff(ctx, m.Email, "operator password 1", code(0)); err != nil {
			t.Errorf("the right code after the lock: %v", err)
		}
	})
}

// TestCreatedStaffPasswordTemporary: the password of an account an owner adds on
// the Staff page is the owner's choice, so it is a temporary one, as after a
// reset: the member must choose their own before any other page, and the audit
// row of the creation says so. An account added from the command line keeps the
// password its operator chose.
func TestCreatedStaffPasswordTemporary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		owner, err := svc.AddStaff(ctx, "owner@example.com", "owner password 1", staff.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		if owner.MustChangePassword {
			t.Error("an account added from the command line must change its password")
		}
		added, err := svc.CreateStaff(ctx, owner, "op@example.com", "the owner's choice 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := svc.StaffMember(ctx, added.ID)
		if err != nil || !added.MustChangePassword || !stored.MustChangePassword {
			t.Errorf("added on an owner's word: returned %v, stored %v (%v); want a temporary password", added.MustChangePassword, stored.MustChangePassword, err)
		}
		rows := audits(t, db, staff.EventStaffCreated)
		if len(rows) != 2 || !strings.Contains(rows[1].After, `"temporary_password":true`) || strings.Contains(rows[0].After, `"temporary_password":true`) {
			t.Errorf("creation audits %+v; want the owner's creation marked temporary, the command line's not", rows)
		}
		// Signing in works; choosing their own ends the temporary state.
		m, err := svc.AuthenticateStaff(ctx, "op@example.com", "the owner's choice 1", "")
		if err != nil || !m.MustChangePassword {
			t.Fatalf("sign-in with the owner's choice: %+v, %v", m, err)
		}
	})
}

// TestNotesAndResolutionsAppendOnly: the database refuses to update, delete or
// truncate a note on a player or a resolution of a flag, on SQLite and
// PostgreSQL, as it refuses the audit's rows, and a migration run again keeps it
// so: staff relied on what was written then, and the audit row of a note keeps
// only its id and its first 500 bytes, so a note edited later rewrote history.
func TestNotesAndResolutionsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		if err := store.Migrate(db); err != nil { // twice: the triggers must be repeatable
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := db.Create(&staff.Note{PlayerID: 1, StaffID: 2, StaffEmail: "op@example.com", Text: "kept", At: now}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&staff.Resolution{OrderID: 3, Note: "kept", StaffID: 2, StaffEmail: "op@example.com", At: now}).Error; err != nil {
			t.Fatal(err)
		}
		stmts := []string{"UPDATE player_notes SET text = 'changed'", "DELETE FROM player_notes",
			"UPDATE flag_resolutions SET note = 'changed'", "DELETE FROM flag_resolutions"}
		if db.Dialector.Name() == "postgres" {
			stmts = append(stmts, "TRUNCATE player_notes", "TRUNCATE flag_resolutions")
		}
		for _, sql := range stmts {
			if err := db.Exec(sql).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v; want refused as append-only", sql, err)
			}
		}
		var notes []staff.Note
		var resolutions []staff.Resolution
		db.Find(&notes)
		db.Find(&resolutions)
		if len(notes) != 1 || notes[0].Text != "kept" || len(resolutions) != 1 || resolutions[0].Note != "kept" {
			t.Errorf("notes %+v, resolutions %+v; want the one of each, unchanged", notes, resolutions)
		}
	})
}
