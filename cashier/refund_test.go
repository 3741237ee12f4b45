package cashier_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// lastDeposit is the player's newest deposit order.
func (e *payEnv) lastDeposit(p models.Player) models.Order {
	e.t.Helper()
	var o models.Order
	if err := e.db.Where("player_id = ? AND kind = ?", p.ID, models.OrderDeposit).Order("id DESC").Take(&o).Error; err != nil {
		e.t.Fatal(err)
	}
	return o
}

// sandboxRefunds counts the refunds of dep the sandbox executed: its settled
// Refund transactions under the deposit's messageid in AccountLedger.
func (e *payEnv) sandboxRefunds(dep models.Order) int {
	e.t.Helper()
	day := time.Now().UTC()
	rows, err := e.sb.Client(e.t).AccountLedger(e.ctx, trustly.AccountLedgerParams{FromDate: day.AddDate(0, 0, -1).Format("2006-01-02"),
		ToDate: day.AddDate(0, 0, 2).Format("2006-01-02"), Currency: dep.Amount.Currency})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.MessageID == dep.MessageID && r.TransactionType == "Refund" {
			n++
		}
	}
	return n
}

// refundNotes lists the stored notifications linked to refund, by method.
func (e *payEnv) refundNotes(refund models.Order) []string {
	e.t.Helper()
	var methods []string
	e.db.Model(&models.Notification{}).Where("order_id = ?", refund.ID).Order("id").Pluck("method", &methods)
	return methods
}

// TestRefund: a finance member refunds part of a credited deposit, then the rest;
// each refund reserves and sends its money once, Trustly's payoutconfirmation,
// sent under the deposit's orderid, confirms the refund and is linked to it, and
// the deposit is not flagged. More than is left, more than the wallet holds, a
// deposit that is not credited and another currency are refused with nothing
// reserved or sent.
func TestRefund(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// The delayed deposit below must still be pending when its refund is
		// asked for, however loaded the machine: its credit comes 3 s after the
		// pending, not sandboxtest's 200 ms, which a loaded CI machine outran.
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.LateDelay = 3 * time.Second })
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)

		half, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 400), "asked by the player")
		if err != nil || half.SentAt == nil || half.ParentID != dep.ID || half.Kind != models.OrderRefund {
			t.Fatalf("refund 400: %+v, %v; want a sent refund of the deposit", half, err)
		}
		e.wantMoney(p, 60000, 0)
		half = e.waitStatus(half, models.OrderConfirmed)
		if got := e.refundNotes(half); len(got) != 1 || got[0] != trustly.MethodPayoutConfirmation {
			t.Errorf("notifications of the refund %v; want [payoutconfirmation]", got)
		}
		if d := e.reload(dep); d.Flag != "" || d.Status != models.OrderCredited {
			t.Errorf("deposit after a refund: %s, flag %q; want credited without flags", d.Status, d.Flag)
		}

		_, err = e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 700), "")
		wantProblem(t, err, "At most 600,00\u00a0SEK of this deposit can still be refunded.")
		_, err = e.svc.RefundDeposit(e.ctx, fin, dep.ID, models.Money{Minor: 100, Currency: "EUR"}, "")
		wantProblem(t, err, "A refund is made in the deposit's currency, SEK.")
		_, err = e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 0), "")
		wantProblem(t, err, "Enter an amount above zero")

		rest, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 600), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(rest, models.OrderConfirmed)
		_, err = e.svc.RefundDeposit(e.ctx, fin, dep.ID, models.Money{Minor: 1, Currency: "SEK"}, "")
		wantProblem(t, err, "At most 0,00\u00a0SEK")
		e.wantMoney(p, 0, 0)
		if n := e.sandboxRefunds(dep); n != 2 || e.apiCalls("Refund") != 2 {
			t.Errorf("refunds at Trustly %d in %d calls; want 2 in 2", n, e.apiCalls("Refund"))
		}

		// The wallet must hold the refund: a second deposit, mostly paid out.
		e.deposit(p, 500)
		dep2 := e.lastDeposit(p)
		account := e.deposit(p, 100) // 600 in the wallet
		if _, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 450)); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.RefundDeposit(e.ctx, fin, dep2.ID, e.money(p, 200), "")
		wantProblem(t, err, "The player's balance holds only 150,00\u00a0SEK")

		// A refund's id, or a payout's, is not a deposit; nor is a deposit not credited.
		if _, err := e.svc.RefundDeposit(e.ctx, fin, half.ID, e.money(p, 1), ""); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("refund of a refund: %v; want ErrOrderNotFound", err)
		}
		// The sandbox credits an auto-completed deposit at once, sometimes before
		// StartDeposit returns; this one's credit comes LateDelay (3 s) later.
		delayed := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": string(sandbox.ScenarioDepositDelayed)})
		pending, err := delayed.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if pending.Status == models.OrderCredited {
			t.Fatal("a delayed deposit credited at once")
		}
		_, err = e.svc.RefundDeposit(e.ctx, fin, pending.ID, e.money(p, 1), "")
		wantProblem(t, err, "Only a credited deposit can be refunded.")
		e.waitFor("the last deposit credited", func() bool { return e.reload(pending).Status == models.OrderCredited })

		var refunds, audits int64
		db.Model(&models.Order{}).Where("kind = ?", models.OrderRefund).Count(&refunds)
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventRefund).Count(&audits)
		if refunds != 2 || audits != 2 {
			t.Errorf("%d refund orders and %d audit rows; want 2 and 2 (none for a refused refund)", refunds, audits)
		}
		e.wantMoney(p, 15000+10000, 0) // the payout was sent; the last deposit credited
	})
}

// TestRefundRoles: an operator refunds up to the currency's RefundOperatorMax, a
// finance member more; a viewer none. Each refund writes one audit row naming who
// made it, with the refundable amount before and after.
func TestRefundRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.RefundOperatorMax = models.Money{Minor: 50000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		op, fin, viewer := e.staff(staff.RoleOperator), e.staff(staff.RoleFinance), e.staff(staff.RoleViewer)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 2000)
		dep := e.lastDeposit(p)

		if _, err := e.svc.RefundDeposit(e.ctx, viewer, dep.ID, e.money(p, 10), ""); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("viewer refunds: %v; want ErrNotAllowed", err)
		}
		_, err := e.svc.RefundDeposit(e.ctx, op, dep.ID, models.Money{Minor: 50001, Currency: "SEK"}, "")
		wantProblem(t, err, "Refunds above 500,00\u00a0SEK need a finance member.")
		byOp, err := e.svc.RefundDeposit(e.ctx, op, dep.ID, e.money(p, 500), "goodwill")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 1500), ""); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 0, 0)
		var rows []staff.Audit
		db.Where("event = ?", staff.EventRefund).Order("id").Find(&rows)
		if len(rows) != 2 || rows[0].StaffID != op.ID || rows[1].StaffID != fin.ID || rows[0].OrderID != byOp.ID ||
			rows[0].PlayerID != p.ID || rows[0].Reason != "goodwill" ||
			!strings.Contains(rows[0].Before, `"refundable":"2000.00"`) || !strings.Contains(rows[0].After, `"refundable":"1500.00"`) {
			t.Errorf("audit rows %+v; want the operator's then the finance member's, with refundable before and after", rows)
		}
	})
}

// TestRefundConcurrent: refunds of one deposit sent at the same moment never
// together exceed it, although the wallet (two deposits) could pay them all: the
// refundable amount is counted under the deposit's lock in the transaction that
// reserves each refund. The rest are refused before any reservation or call.
func TestRefundConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.deposit(p, 1000)

		errs := raceRefunds(e, fin, dep.ID, e.money(p, 300), 6)
		ok := 0
		for _, err := range errs {
			var problem *models.Problem
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &problem) || !strings.HasPrefix(problem.Message, "At most "):
				t.Errorf("refund: %v; want success or 'At most …'", err)
			}
		}
		var refunds int64
		db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
		if ok != 3 || refunds != 3 || e.apiCalls("Refund") != 3 {
			t.Fatalf("%d refunds succeeded, %d stored, %d sent; want 3 of 300 from a deposit of 1000", ok, refunds, e.apiCalls("Refund"))
		}
		e.wantMoney(p, 200000-90000, 0)
		if n := e.sandboxRefunds(dep); n != 3 {
			t.Errorf("refunds at Trustly %d; want 3", n)
		}
	})
}

// TestRefundBounce: a refund the bank returns (payoutconfirmation, then credit,
// both under the deposit's orderid) gives its money back to the wallet once, and
// the deposit can be refunded again. Every notification delivered again, and a
// second credit under another notificationid, change nothing; that credit is
// flagged on the deposit as matching none of its refunds, as it does.
func TestRefundBounce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)

		svc := e.scenario(sandbox.ScenarioPayoutBounce)
		refund, err := svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 400), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("the refund returned", func() bool { return e.reload(refund).ReturnedAt != nil })
		if err := e.sb.Sandbox.WaitIdle(e.ctx); err != nil {
			t.Fatal(err)
		}
		refund = e.reload(refund)
		if refund.Status != models.OrderFailed || refund.ConfirmedAt == nil || refund.Flag != "" {
			t.Errorf("bounced refund: %s confirmed %v flag %q; want failed after its confirmation, no flag", refund.Status, refund.ConfirmedAt, refund.Flag)
		}
		if got := e.refundNotes(refund); strings.Join(got, ",") != "payoutconfirmation,credit" {
			t.Errorf("notifications of the refund %v; want payoutconfirmation, credit", got)
		}
		e.wantMoney(p, 100000, 0)
		for _, n := range e.notes(dep.TrustlyOrderID) {
			e.apply(n.raw)
		}
		third := e.forge(trustly.MethodCredit, dep, p, map[string]any{"amount": "400.00"})
		e.apply(third)
		e.wantMoney(p, 100000, 0)
		// The deposit's credit was booked once and so was the refund's coming back:
		// this third credit is neither, and the flag says so, not "more than one
		// credit notification: only the first was booked".
		want := "credit for 400.00 SEK after this deposit's own matches none of its refunds waiting to come back from the bank: not booked"
		if d := e.reload(dep); !d.Flags()[want] || strings.Contains(d.Flag, "more than one credit") {
			t.Errorf("deposit flag %q; want only %q", d.Flag, want)
		}
		// Delivered again, it books nothing and flags nothing more; one of the same
		// amount in another currency books nothing either.
		flagged := e.reload(dep).Flag
		e.apply(third)
		e.wantMoney(p, 100000, 0)
		if d := e.reload(dep); d.Flag != flagged {
			t.Errorf("deposit flag after the third credit again %q; want it as it was, %q", d.Flag, flagged)
		}
		e.apply(e.forge(trustly.MethodCredit, dep, p, map[string]any{"amount": "400.00", "currency": "EUR"}))
		e.wantMoney(p, 100000, 0)
		if d := e.reload(dep); !strings.Contains(d.Flag, "400.00 EUR") {
			t.Errorf("deposit flag after a credit in EUR %q; want one naming 400.00 EUR", d.Flag)
		}
		if _, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 1000), ""); err != nil {
			t.Errorf("refund the whole deposit after the bounce: %v", err)
		}
		e.wantMoney(p, 0, 0)
	})
}

// TestRefundNotesAnyOrder: Trustly's notifications of a refund whose Refund answer
// was lost (payoutconfirmation, payoutfailed, credit), in every order and each
// twice, end the same: sent, then returned once, nothing left reserved.
func TestRefundNotesAnyOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 5000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notifications below arrive
		for _, perm := range permutationsOf([]string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit}) {
			e.lose.Store(1)
			refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 100), "")
			if err != nil || refund.Status != models.OrderSending {
				t.Fatalf("answer lost: %s, %v; want sending", refund.Status, err)
			}
			wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
			notes := map[string][]byte{}
			for _, m := range perm {
				notes[m] = e.forge(m, dep, p, map[string]any{"amount": "100.00"})
			}
			for round := range 2 {
				for _, m := range perm {
					e.apply(notes[m])
				}
				got := e.reload(refund)
				if got.Status != models.OrderFailed || got.SentAt == nil || got.ReturnedAt == nil || got.ReleasedAt != nil {
					t.Fatalf("%v round %d: %s sent %v returned %v released %v; want failed, sent and returned", perm, round, got.Status,
						got.SentAt, got.ReturnedAt, got.ReleasedAt)
				}
				e.wantMoney(p, wallet+10000, 0)
			}
		}
		if d := e.reload(dep); d.Flag != "" {
			t.Errorf("deposit flag %q; want none", d.Flag)
		}
	})
}

// TestRefundUnknownOutcome: a Refund whose answer is lost is never sent again
// (Refund has no MessageID: a resend would be a second refund). The check asks
// GetWithdrawals at most once per 15 minutes about the deposit, once for both of
// its refunds: a refund Trustly has is booked as sent at the first check; one
// that never reached Trustly stays reserved until a day after the call, and is
// then released once.
func TestRefundUnknownOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true)

		e.lose.Store(1) // Trustly has it; its answer is lost
		arrived, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
		if err != nil || arrived.Status != models.OrderSending {
			t.Fatalf("answer lost: %s, %v; want sending", arrived.Status, err)
		}
		lost := e.lostRefund(fin, dep, e.money(p, 300))
		e.wantMoney(p, 40000, 60000)

		for _, step := range []struct {
			advance time.Duration
			checks  int
			lost    models.OrderStatus
		}{{time.Minute, 1, models.OrderSending}, {5 * time.Minute, 1, models.OrderSending},
			{cashier.RefundRefusedAfter, 2, models.OrderFailed}, {time.Hour, 2, models.OrderFailed}} {
			e.clock.Advance(step.advance)
			if err := e.svc.ResumePayouts(e.ctx); err != nil {
				t.Fatal(err)
			}
			if a, l := e.reload(arrived), e.reload(lost); a.Status != models.OrderSent || l.Status != step.lost || l.LedgerChecks != step.checks {
				t.Fatalf("after %s: arrived %s, lost %s after %d checks; want sent, %s after %d", step.advance, a.Status, l.Status,
					l.LedgerChecks, step.lost, step.checks)
			}
		}
		if e.apiCalls("Refund") != 1 || e.sandboxRefunds(dep) != 1 || e.apiCalls("GetWithdrawals") != 2 {
			t.Errorf("Refund calls %d, refunds at Trustly %d, GetWithdrawals %d; want 1, 1, 2", e.apiCalls("Refund"),
				e.sandboxRefunds(dep), e.apiCalls("GetWithdrawals"))
		}
		e.wantMoney(p, 70000, 0)
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, map[string]any{"amount": "300.00"}))
		if a, l := e.reload(arrived), e.reload(lost); a.Status != models.OrderConfirmed || l.Status != models.OrderFailed {
			t.Errorf("after the payoutconfirmation: arrived %s, lost %s; want confirmed, failed", a.Status, l.Status)
		}
		e.wantMoney(p, 70000, 0)
	})
}

// TestRefundConfirmationGoesToAcceptedRefund: two refunds of one amount from one
// deposit, the first whose call never reached Trustly (outcome unknown), the
// second accepted. Trustly's one payoutconfirmation is the accepted refund's, not
// the older unknown one's; the unknown one is released once GetWithdrawals lists
// only one refund a day later, and the player has lost one refund's amount, once.
func TestRefundConfirmationGoesToAcceptedRefund(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notification below arrives

		lost := e.lostRefund(fin, dep, e.money(p, 300))
		sent, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
		if err != nil || sent.Status != models.OrderSent {
			t.Fatalf("accepted: %s, %v; want sent", sent.Status, err)
		}
		e.apply(e.forge(trustly.MethodPayoutConfirmation, dep, p, map[string]any{"amount": "300.00"}))
		if l, s := e.reload(lost), e.reload(sent); l.ConfirmedAt != nil || s.ConfirmedAt == nil {
			t.Errorf("confirmation applied to the unknown refund (%v) instead of the accepted one (%v)", l.ConfirmedAt, s.ConfirmedAt)
		}

		e.clock.Advance(cashier.RefundRefusedAfter + time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if l := e.reload(lost); l.ReleasedAt == nil {
			t.Errorf("the refund Trustly never had: %s, released %v; want released", l.Status, l.ReleasedAt)
		}
		e.wantMoney(p, 70000, 0) // Trustly carried out one refund of 300.00
	})
}

// operatorLimited is a payEnv whose operators may refund up to 1 000 SEK of a
// deposit in all.
func operatorLimited(t *testing.T, db *gorm.DB) *payEnv {
	t.Helper()
	e := newPayEnv(t, db)
	l := e.cfg.Limits["SEK"]
	l.RefundOperatorMax = models.Money{Minor: 100000, Currency: "SEK"}
	e.cfg.Limits["SEK"] = l
	e.svc = e.service(nil)
	return e
}

// operatorTotal is the refusal of an operator's refund of a deposit of which
// refunded (minor units of SEK) is refunded already, under a limit of 1 000 SEK.
func operatorTotal(refunded, left string) string {
	return "Refunds of a deposit by operators are limited to 1\u00a0000,00\u00a0SEK in all; " + refunded +
		"\u00a0SEK of this deposit is refunded already, so an operator may refund at most " + left + "\u00a0SEK more."
}

// TestRefundOperatorTotal: RefundOperatorMax bounds what operators refund of one
// deposit in all, not each refund: an operator's refunds, split or not, stop where
// the deposit's refunds reach the limit exactly (one minor unit more is refused),
// and a refused one reserves, sends and audits nothing. Refunds by finance count
// towards it, and finance refunds past it.
func TestRefundOperatorTotal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := operatorLimited(t, db)
		op, fin := e.staff(staff.RoleOperator), e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 5000)
		dep := e.lastDeposit(p)

		wallet, made := int64(500000), 0
		for i, step := range []struct {
			by      staff.Member
			minor   int64
			problem string // "" when the refund is made
		}{
			{op, 40000, ""},
			{op, 60001, operatorTotal("400,00", "600,00")},
			{op, 60000, ""}, // 1 000,00 in all: the limit exactly
			{op, 1, operatorTotal("1\u00a0000,00", "0,00")},
			{op, 100000, operatorTotal("1\u00a0000,00", "0,00")},
			{fin, 50000, ""},
			{op, 1, operatorTotal("1\u00a0500,00", "0,00")},
		} {
			refund, err := e.svc.RefundDeposit(e.ctx, step.by, dep.ID, models.Money{Minor: step.minor, Currency: "SEK"}, "")
			if step.problem != "" {
				var problem *models.Problem
				if !errors.As(err, &problem) || problem.Message != step.problem || problem.Field != "amount" ||
					problem.ID != "problem.refund_operator_total" {
					t.Fatalf("step %d, %s refunds %d: got %#v; want the Problem %q", i, step.by.Role, step.minor, err, step.problem)
				}
			} else if err != nil || refund.SentAt == nil {
				t.Fatalf("step %d, %s refunds %d: %s, %v; want it sent", i, step.by.Role, step.minor, refund.Status, err)
			} else {
				wallet -= step.minor
				made++
			}
			var refunds, audits int64
			db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
			db.Model(&staff.Audit{}).Where("event = ?", staff.EventRefund).Count(&audits)
			if int(refunds) != made || int(audits) != made || e.apiCalls("Refund") != made {
				t.Fatalf("step %d: %d refunds, %d audit rows, %d Refund calls; want %d of each", i, refunds, audits, e.apiCalls("Refund"), made)
			}
			e.wantMoney(p, wallet, 0)
		}
	})
}

// TestRefundOperatorTotalCountsLikeRefundable: what operators may refund of a
// deposit counts its refunds as the refundable amount does: one Trustly refused
// (released) and one the bank gave back (payoutfailed, then credit) count for
// nothing, one sent or still in flight counts.
func TestRefundOperatorTotalCountsLikeRefundable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := operatorLimited(t, db)
		op := e.staff(staff.RoleOperator)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 3000)
		dep := e.lastDeposit(p)

		refused, err := e.refusing(0).RefundDeposit(e.ctx, op, dep.ID, e.money(p, 800), "")
		wantProblem(t, err, "Trustly refused the refund")
		if got := e.reload(refused); got.ReleasedAt == nil {
			t.Fatalf("refused refund %s, released %v; want released", got.Status, got.ReleasedAt)
		}
		failed, err := e.scenario(sandbox.ScenarioPayoutFailed).RefundDeposit(e.ctx, op, dep.ID, e.money(p, 900), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("the failed refund returned", func() bool { return e.reload(failed).ReturnedAt != nil })
		e.wantMoney(p, 300000, 0)

		e.hold.Store(true) // the next refunds stay unconfirmed
		if sent, err := e.svc.RefundDeposit(e.ctx, op, dep.ID, e.money(p, 700), ""); err != nil || sent.Status != models.OrderSent {
			t.Fatalf("refund 700 after a refused and a failed refund: %s, %v; want it sent", sent.Status, err)
		}
		e.lose.Store(1) // the next one in flight: its answer is lost
		inFlight, err := e.svc.RefundDeposit(e.ctx, op, dep.ID, e.money(p, 300), "")
		if err != nil || inFlight.Status != models.OrderSending {
			t.Fatalf("refund 300: %s, %v; want sending", inFlight.Status, err)
		}
		_, err = e.svc.RefundDeposit(e.ctx, op, dep.ID, models.Money{Minor: 1, Currency: "SEK"}, "")
		var problem *models.Problem
		if want := operatorTotal("1\u00a0000,00", "0,00"); !errors.As(err, &problem) || problem.Message != want {
			t.Fatalf("refund 0,01 after 700 sent and 300 in flight: %v; want %q", err, want)
		}
		e.wantMoney(p, 200000, 30000) // 700 sent, 300 still reserved
	})
}

// TestRefundOperatorConcurrent: operators' refunds of one deposit sent at the same
// moment never together exceed RefundOperatorMax: it is counted under the
// deposit's lock in the transaction that reserves each refund.
func TestRefundOperatorConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := operatorLimited(t, db)
		op := e.staff(staff.RoleOperator)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 5000)
		dep := e.lastDeposit(p)

		errs := raceRefunds(e, op, dep.ID, e.money(p, 300), 6)
		ok := 0
		for _, err := range errs {
			var problem *models.Problem
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &problem) || problem.Message != operatorTotal("900,00", "100,00"):
				t.Errorf("refund: %v; want success or the operators' limit", err)
			}
		}
		var refunds int64
		db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
		if ok != 3 || refunds != 3 || e.apiCalls("Refund") != 3 {
			t.Fatalf("%d refunds succeeded, %d stored, %d sent; want 3 of 300 under a limit of 1 000", ok, refunds, e.apiCalls("Refund"))
		}
		e.wantMoney(p, 500000-90000, 0)
	})
}

// raceRefunds sends tries refunds of amount of deposit depID by by at once, and
// returns their errors.
func raceRefunds(e *payEnv, by staff.Member, depID int64, amount models.Money, tries int) []error {
	var wg sync.WaitGroup
	errs := make([]error, tries)
	start := make(chan struct{})
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = e.svc.RefundDeposit(e.ctx, by, depID, amount, "")
		}()
	}
	close(start)
	wg.Wait()
	return errs
}
