package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"gorm.io/gorm"
)

// ownEmail gives the staff member m the email of player p, in another case and
// with spaces around it: ownAccount compares them trimmed and in any case.
func (e *payEnv) ownEmail(m staff.Member, p models.Player) {
	e.t.Helper()
	if err := e.db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("email", "  "+strings.ToUpper(p.Email)+" ").Error; err != nil {
		e.t.Fatal(err)
	}
}

// playerRow reads player id as stored.
func (e *payEnv) playerRow(id int64) models.Player {
	e.t.Helper()
	var p models.Player
	if err := e.db.Where("id = ?", id).Take(&p).Error; err != nil {
		e.t.Fatal(err)
	}
	return p
}

// auditsOf counts the audit rows of event about player playerID.
func (e *payEnv) auditsOf(event staff.Event, playerID int64) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&staff.Audit{}).Where("event = ? AND player_id = ?", event, playerID).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestBlockOwnAccount: a staff member may not block their own player account
// (the same email): SetPlayerBlocked refuses with a sentence in the transaction
// that reads the player, and nothing is written: the player is not blocked,
// their sessions go on and no audit row is written. Another member blocks them
// as before.
func TestBlockOwnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		self, other := e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		e.ownEmail(self, p)

		_, changed, err := e.svc.SetPlayerBlocked(e.ctx, self, p.ID, true, "my own account")
		wantProblem(t, err, "You cannot block this player: it is the player account with your email address. Another member must decide it.")
		got := e.playerRow(p.ID)
		if changed || got.Blocked || got.SessionVersion != p.SessionVersion || e.auditsOf(staff.EventPlayerBlocked, p.ID) != 0 {
			t.Errorf("own account blocked: changed %t, blocked %t, session version %d (was %d), %d audit rows; want nothing written",
				changed, got.Blocked, got.SessionVersion, p.SessionVersion, e.auditsOf(staff.EventPlayerBlocked, p.ID))
		}

		if _, changed, err := e.svc.SetPlayerBlocked(e.ctx, other, p.ID, true, "chargeback"); err != nil || !changed {
			t.Fatalf("another member's block: changed %t, %v; want blocked", changed, err)
		}
		if got := e.playerRow(p.ID); !got.Blocked || e.auditsOf(staff.EventPlayerBlocked, p.ID) != 1 {
			t.Errorf("blocked by another member: blocked %t, %d audit rows; want blocked, one", got.Blocked, e.auditsOf(staff.EventPlayerBlocked, p.ID))
		}
	})
}

// TestNoteOwnAccount: a staff member may not write a note about their own
// player account: notes are what other members read before deciding about the
// player. AddPlayerNote refuses with a sentence, no note and no audit row
// written; another member's note is added as before.
func TestNoteOwnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		self, other := e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		e.ownEmail(self, p)
		notes := func() int64 {
			var n int64
			db.Model(&staff.Note{}).Where("player_id = ?", p.ID).Count(&n)
			return n
		}

		_, err := e.svc.AddPlayerNote(e.ctx, self, p.ID, "source of funds checked")
		wantProblem(t, err, "You cannot write a note about this player: it is the player account with your email address. Another member must write it.")
		if n, a := notes(), e.auditsOf(staff.EventPlayerNote, p.ID); n != 0 || a != 0 {
			t.Errorf("note on own account: %d notes, %d audit rows; want none", n, a)
		}

		if _, err := e.svc.AddPlayerNote(e.ctx, other, p.ID, "called the player"); err != nil {
			t.Fatalf("another member's note: %v", err)
		}
		if n, a := notes(), e.auditsOf(staff.EventPlayerNote, p.ID); n != 1 || a != 1 {
			t.Errorf("note by another member: %d notes, %d audit rows; want one of each", n, a)
		}
	})
}

// TestReturnHeldOwnAccount: a staff member may not return the held money of a
// refused deposit of their own player account (a signed-in player's deposit
// whose kyc found another person, the bank having paid all the same): it goes to
// a bank account with no approval, as a refund does. The return form says so
// in place of the return (HeldReturnForm.Refused), and ReturnHeldOnce refuses
// with the sentence under the deposit's lock: no return made, no Refund call, no
// audit row. Another member returns it as before.
func TestReturnHeldOwnAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "hybrid")
		self, other := e.staff(staff.RoleFinance), e.staff(staff.RoleFinance)
		asa := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		first, err := e.as("se-adult").StartDeposit(e.ctx, asa, e.money(asa, 100), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitOrder(first, models.OrderCredited)
		svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult2",
			"SandboxScenario": string(sandbox.ScenarioKYCFinishIgnored)})
		order, err := svc.StartDeposit(e.ctx, asa, e.money(asa, 40), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		dep := e.waitStatus(order, models.OrderRefusedHeld)
		e.sb.WaitIdle(t)
		if dep.PlayerID != asa.ID {
			t.Fatalf("refused deposit of player %d; want the player's own, %d", dep.PlayerID, asa.ID)
		}
		e.ownEmail(self, asa)
		const refused = "You cannot return this deposit's held money: it is of the player account with your email address. Another member must decide it."

		f, err := e.svc.HeldReturnFor(e.ctx, self, dep.ID, "")
		if err != nil || f.Refused != refused {
			t.Errorf("own deposit's return form: refused %q, %v; want %q", f.Refused, err, refused)
		}
		_, err = e.svc.ReturnHeldOnce(e.ctx, self, dep.ID, f.Token, "mine")
		wantProblem(t, err, refused)
		var audits int64
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventHeldReturn).Count(&audits)
		if n, calls := len(e.returnsOf(dep)), e.apiCalls("Refund"); n != 0 || calls != 0 || audits != 0 {
			t.Errorf("own deposit's held money returned: %d returns, %d Refund calls, %d audit rows; want none", n, calls, audits)
		}
		if got := e.reload(dep); got.Status != models.OrderRefusedHeld {
			t.Errorf("own deposit after the refusal: %s; want refused-held", got.Status)
		}

		g, err := e.svc.HeldReturnFor(e.ctx, other, dep.ID, "")
		if err != nil || g.Refused != "" || !g.Offered {
			t.Fatalf("another member's return form: %+v, %v; want offered, not refused", g, err)
		}
		if _, err := e.svc.ReturnHeldOnce(e.ctx, other, dep.ID, g.Token, "kyc found another person"); err != nil {
			t.Fatalf("another member's return: %v", err)
		}
		if n := len(e.returnsOf(dep)); n != 1 {
			t.Errorf("returned by another member: %d returns; want one", n)
		}
	})
}
