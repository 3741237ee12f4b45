package cashier_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/reconcile"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// refusedHeld is a Pay N Play deposit of 50.00 SEK by a minor, refused by the
// kyc (FINISH), whose bank paid all the same (the sandbox's kyc-finish-ignored):
// refused-held, its credit held at Trustly, booked nowhere.
func (e *payEnv) refusedHeld() models.Order {
	e.t.Helper()
	svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-minor",
		"SandboxScenario": string(sandbox.ScenarioKYCFinishIgnored)})
	amount := models.Money{Minor: 5000, Currency: "SEK"}
	o, err := svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	got := e.waitStatus(o, models.OrderRefusedHeld)
	if got.Flag != models.FlagHeldCreditRefused || got.PlayerID != 0 {
		e.t.Fatalf("refused deposit: flag %q, player %d; want %q, nobody's", got.Flag, got.PlayerID, models.FlagHeldCreditRefused)
	}
	return got
}

// returnsOf lists deposit dep's returns of held money, oldest first.
func (e *payEnv) returnsOf(dep models.Order) []models.Order {
	e.t.Helper()
	var out []models.Order
	if err := e.db.Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Order("id").Find(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	for _, r := range out {
		if !r.ReturnsHeld || r.PlayerID != 0 {
			e.t.Errorf("return %d of deposit %d: returns held %t, player %d; want a return of held money, nobody's", r.ID, dep.ID, r.ReturnsHeld, r.PlayerID)
		}
	}
	return out
}

// wantNothingBooked checks that no money was booked anywhere: held money was in
// no wallet, and its return takes from and gives back to none.
func (e *payEnv) wantNothingBooked() {
	e.t.Helper()
	var transfers, entries, players int64
	e.db.Model(&models.Transfer{}).Count(&transfers)
	e.db.Table("entries").Count(&entries)
	e.db.Model(&models.Player{}).Count(&players)
	if transfers != 0 || entries != 0 || players != 0 {
		e.t.Errorf("%d transfers, %d entries, %d players; want none: nothing of held money is booked", transfers, entries, players)
	}
}

// wantDeposit checks a refused deposit's status, flag and whether a return is offered.
func (e *payEnv) wantDeposit(what string, by staff.Member, dep models.Order, status models.OrderStatus, offered bool) {
	e.t.Helper()
	got := e.reload(dep)
	flag := models.FlagHeldCreditRefused
	if status == models.OrderRefusedReturned {
		flag = models.FlagHeldCreditReturned
	}
	if got.Status != status || got.Flag != flag {
		e.t.Errorf("%s: deposit %s, flag %q; want %s, flag %q", what, got.Status, got.Flag, status, flag)
	}
	f, err := e.svc.HeldReturnFor(e.ctx, by, dep.ID, "")
	if err != nil || f.Offered != offered || f.Amount != (models.Money{Minor: 5000, Currency: "SEK"}) {
		e.t.Errorf("%s: return form %+v, %v; want 50.00 SEK, offered %t", what, f, err, offered)
	}
}

// TestHeldReturn: staff return a refused deposit's held credit to the payer
// with Trustly's Refund of the deposit, for the held credit's amount. Two forms
// sent at once on two instances, and one form sent twice, make one return and
// one Refund call; the payoutconfirmation Trustly sends under the deposit's
// orderid confirms it. The deposit reads refused-returned, its flag no longer
// asks for a return, no return is offered again, and nothing is ever booked: no
// transfer, no player. A member who may not refund is refused.
func TestHeldReturn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure", retryWhileHeld(t))
		fin, viewer := e.staff(staff.RoleFinance), e.staff(staff.RoleViewer)

		// A refused deposit whose bank did not pay holds nothing to return.
		svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-minor"})
		nothing, err := svc.StartPayNPlay(e.ctx, &models.Money{Minor: 5000, Currency: "SEK"}, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitOrder(nothing, models.OrderFailed)
		_, err = e.svc.ReturnHeldOnce(e.ctx, fin, nothing.ID, models.NewMessageID(models.OrderRefund), "")
		wantProblem(t, err, "Only a refused deposit whose credit is held can have its money returned to the payer.")

		dep := e.refusedHeld()
		e.wantDeposit("held", fin, dep, models.OrderRefusedHeld, true)

		if _, err := e.svc.ReturnHeldOnce(e.ctx, viewer, dep.ID, models.NewMessageID(models.OrderRefund), ""); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a viewer's return: %v; want ErrNotAllowed", err)
		}
		if _, err := e.svc.HeldReturnFor(e.ctx, viewer, dep.ID, ""); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a viewer's return form: %v; want ErrNotAllowed", err)
		}

		other := e.service(nil) // a second instance on the same database
		form1, _ := e.svc.HeldReturnFor(e.ctx, fin, dep.ID, "")
		form2, _ := other.HeldReturnFor(e.ctx, fin, dep.ID, "")
		type result struct {
			order models.Order
			err   error
		}
		results := make([]result, 4)
		var wg sync.WaitGroup
		e.hold.Store(true) // Trustly's notifications wait: the return's own answer makes the deposit returned
		for i, call := range []struct {
			svc   *cashier.Service
			token string
		}{{e.svc, form1.Token}, {other, form1.Token}, {other, form2.Token}, {e.svc, form2.Token}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := call.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, call.token, "kyc refused: underage")
				results[i] = result{o, err}
			}()
		}
		wg.Wait()
		var made models.Order
		for i, r := range results {
			var p *models.Problem
			switch {
			case r.err == nil && (made.ID == 0 || made.ID == r.order.ID):
				made = r.order
			case errors.As(r.err, &p) && strings.HasPrefix(p.Message, "A return of this deposit's held money is under way already."):
			default:
				t.Errorf("return %d: %+v, %v; want the one return, or refused as under way", i, r.order, r.err)
			}
		}
		returns := e.returnsOf(dep)
		if len(returns) != 1 || made.ID != returns[0].ID || e.apiCalls("Refund") != 1 {
			t.Fatalf("%d returns (%+v), %d Refund calls; want one of each", len(returns), returns, e.apiCalls("Refund"))
		}
		if got := e.reload(returns[0]); got.Status != models.OrderSent {
			t.Errorf("return before its notifications: %s; want sent", got.Status)
		}
		e.wantDeposit("returned, not confirmed yet", fin, dep, models.OrderRefusedReturned, false)
		e.hold.Store(false)
		ret := e.waitStatus(returns[0], models.OrderConfirmed)
		if ret.Amount != (models.Money{Minor: 5000, Currency: "SEK"}) || ret.MessageID != form1.Token && ret.MessageID != form2.Token {
			t.Errorf("return %+v; want 50.00 SEK under one form's token", ret)
		}
		if got := e.refundNotes(ret); len(got) != 1 || got[0] != trustly.MethodPayoutConfirmation {
			t.Errorf("notifications of the return %v; want [payoutconfirmation]", got)
		}
		e.wantDeposit("returned", fin, dep, models.OrderRefusedReturned, false)
		if n := e.sandboxRefunds(dep); n != 1 {
			t.Errorf("refunds at Trustly %d; want 1", n)
		}
		// The form sent again after all that makes nothing more.
		again, err := e.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, ret.MessageID, "")
		if err != nil || again.ID != ret.ID || e.apiCalls("Refund") != 1 {
			t.Errorf("the form again: %+v, %v, %d Refund calls; want return %d as it stands, one call", again, err, e.apiCalls("Refund"), ret.ID)
		}
		_, err = e.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
		wantProblem(t, err, "A return of this deposit's held money is under way already.")
		var audits int64
		db.Model(&staff.Audit{}).Where("event = ? AND order_id = ?", staff.EventHeldReturn, ret.ID).Count(&audits)
		if audits != 1 {
			t.Errorf("%d audit rows of the return; want 1", audits)
		}
		// A credited deposit, or a refund, is not refused-held.
		if _, err := e.svc.HeldReturnFor(e.ctx, fin, ret.ID, ""); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("return form of a return: %v; want ErrOrderNotFound", err)
		}
		e.wantNothingBooked()
	})
}

// TestHeldReturnUnknownOutcome: a return whose Refund call has no known outcome
// is never sent again: no second return is made while it is open, and
// GetWithdrawals settles it. One Trustly carried out (its answer lost, its
// notifications held back) is booked as sent once Trustly lists it, and the
// deposit reads returned; one that never reached Trustly is refused a day after
// its call: nothing was returned, the deposit reads refused-held, and the
// return is offered again. A signed refusal (Trustly does not know the deposit)
// leaves the deposit refused-held at once, offered again. Nothing is booked.
func TestHeldReturnUnknownOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure", retryWhileHeld(t))
		fin := e.staff(staff.RoleFinance)

		lostDep := e.refusedHeld()
		lost, err := e.unreachable().ReturnHeldOnce(e.ctx, fin, lostDep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil || lost.Status != models.OrderSending || lost.OutcomeUnknownAt == nil {
			t.Fatalf("return whose call was lost: %s, %v; want sending", lost.Status, err)
		}
		e.wantDeposit("lost call", fin, lostDep, models.OrderRefusedHeld, false)
		_, err = e.svc.ReturnHeldOnce(e.ctx, fin, lostDep.ID, models.NewMessageID(models.OrderRefund), "")
		wantProblem(t, err, "A return of this deposit's held money is under way already.")

		doneDep := e.refusedHeld()
		e.hold.Store(true) // Trustly's notifications wait
		e.lose.Store(1)    // the answer to the Refund that Trustly carries out is lost
		done, err := e.svc.ReturnHeldOnce(e.ctx, fin, doneDep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil || done.Status != models.OrderSending {
			t.Fatalf("return whose answer was lost: %s, %v; want sending", done.Status, err)
		}
		calls := e.apiCalls("Refund")

		e.clock.Advance(16 * time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(done); got.Status != models.OrderSent {
			t.Errorf("return Trustly lists: %s; want sent", got.Status)
		}
		e.wantDeposit("listed by GetWithdrawals", fin, doneDep, models.OrderRefusedReturned, false)
		if got := e.reload(lost); got.Status != models.OrderSending {
			t.Errorf("lost return after a check: %s; want sending until a day after its call", got.Status)
		}
		e.clock.Advance(cashier.RefundRefusedAfter)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(lost); got.Status != models.OrderFailed || got.ReleasedAt == nil {
			t.Errorf("lost return a day later: %s, released %v; want failed, refused", got.Status, got.ReleasedAt)
		}
		e.wantDeposit("lost return refused", fin, lostDep, models.OrderRefusedHeld, true)
		if n := e.apiCalls("Refund"); n != calls {
			t.Errorf("%d Refund calls; want %d: a call with unknown outcome is never resent", n, calls)
		}
		e.hold.Store(false)
		e.waitStatus(done, models.OrderConfirmed)
		e.wantDeposit("confirmed", fin, doneDep, models.OrderRefusedReturned, false)

		// Trustly refuses, signed, a Refund of a deposit it does not have: the
		// money is still held, and the return is offered again.
		refused := e.refusedHeld()
		e.sb.WaitIdle(t) // its account notification too
		if err := db.Model(&models.Order{}).Where("id = ?", refused.ID).Update("trustly_order_id", "1999999999").Error; err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.ReturnHeldOnce(e.ctx, fin, refused.ID, models.NewMessageID(models.OrderRefund), "")
		wantProblem(t, err, "Trustly refused the return; the money is still held.")
		if r.Status != models.OrderFailed || r.ReleasedAt == nil {
			t.Errorf("refused return: %s, released %v; want failed, released", r.Status, r.ReleasedAt)
		}
		e.wantDeposit("refused", fin, refused, models.OrderRefusedHeld, true)
		e.wantNothingBooked()
	})
}

// TestHeldReturnNotifications: Trustly's payoutconfirmation, payoutfailed and
// the credit bringing the money back, sent under the deposit's orderid, apply to
// the return once, in any order, delivered twice: a credit makes the money held
// again (the deposit refused-held, the return offered again), a payoutfailed
// alone makes it no longer returned (the credit is awaited), a confirmation alone
// leaves it returned. None is taken for the deposit's own second credit, none is
// booked. A notification signed by another key, or reshaped, is refused and
// changes nothing.
func TestHeldReturnNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		fin := e.staff(staff.RoleFinance)
		for _, steps := range [][]string{
			{"payoutconfirmation"}, {"payoutfailed"}, {"credit"},
			{"payoutconfirmation", "payoutfailed", "credit"}, {"payoutconfirmation", "credit", "payoutfailed"},
			{"payoutfailed", "payoutconfirmation", "credit"}, {"payoutfailed", "credit", "payoutconfirmation"},
			{"credit", "payoutconfirmation", "payoutfailed"}, {"credit", "payoutfailed", "payoutconfirmation"},
		} {
			name := strings.Join(steps, ", ")
			dep := e.refusedHeld()
			ret, err := e.unreachable().ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
			if err != nil {
				t.Fatal(err)
			}
			payer := models.Player{EndUserID: dep.EndUserID}
			amount := map[string]any{"amount": "50.00", "currency": "SEK"}
			seen := map[string]bool{}
			for _, method := range steps {
				raw := e.forge(method, dep, payer, amount)
				e.apply(raw)
				e.apply(raw) // a redelivery applies nothing more
				seen[method] = true
				got := e.reload(ret)
				back := seen["credit"]
				switch {
				case back && (got.Status != models.OrderFailed || got.ReturnedAt == nil || got.CreditedAt == nil):
					t.Errorf("%s: after %s return %s, returned %v; want failed, the money back", name, method, got.Status, got.ReturnedAt)
				case !back && seen["payoutfailed"] && got.Status != models.OrderFailed:
					t.Errorf("%s: after %s return %s; want failed", name, method, got.Status)
				case !back && !seen["payoutfailed"] && got.Status != models.OrderConfirmed:
					t.Errorf("%s: after %s return %s; want confirmed", name, method, got.Status)
				}
				switch {
				case back:
					e.wantDeposit(name+" after "+method, fin, dep, models.OrderRefusedHeld, true)
				case seen["payoutfailed"]:
					e.wantDeposit(name+" after "+method, fin, dep, models.OrderRefusedHeld, false)
				default:
					e.wantDeposit(name+" after "+method, fin, dep, models.OrderRefusedReturned, false)
				}
				if got.SentAt == nil || got.Flag != "" {
					t.Errorf("%s: after %s return sent %v, flag %q; want sent, no flag", name, method, got.SentAt, got.Flag)
				}
			}
			var linked int64
			db.Model(&models.Notification{}).Where("order_id = ?", ret.ID).Count(&linked)
			if linked != int64(len(steps)) {
				t.Errorf("%s: %d notifications linked to the return; want %d", name, linked, len(steps))
			}
		}

		// Forged and reshaped notifications for a return: refused, nothing changes.
		dep := e.refusedHeld()
		ret, err := e.unreachable().ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil {
			t.Fatal(err)
		}
		payer := models.Player{EndUserID: dep.EndUserID}
		forged, err := trustly.EncodeNotification(sandboxtest.MerchantKey(t), trustly.MethodCredit, "6f1c1a52-1d6b-4d1a-9a3e-0b7c2f1e9d10",
			map[string]any{"notificationid": "3999999999", "orderid": dep.TrustlyOrderID, "messageid": dep.MessageID,
				"enduserid": dep.EndUserID, "amount": "50.00", "currency": "SEK", "timestamp": "2026-12-06 12:00:00+00", "attributes": map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		reshaped := e.forge(trustly.MethodPayoutConfirmation, dep, payer, map[string]any{"amount": "fifty", "currency": "SEK"})
		for what, raw := range map[string][]byte{"forged": forged, "reshaped": reshaped} {
			if _, err := e.svc.HandleNotification(e.ctx, raw); !errors.Is(err, cashier.ErrBadNotification) {
				t.Errorf("%s notification: %v; want ErrBadNotification", what, err)
			}
		}
		if got := e.reload(ret); got.Status != models.OrderSending || got.SentAt != nil {
			t.Errorf("return after forged notifications: %s, sent %v; want sending", got.Status, got.SentAt)
		}
		e.wantDeposit("forged", fin, dep, models.OrderRefusedHeld, false)
		e.wantNothingBooked()
	})
}

// TestHeldReturnPlayerUntouched: a signed-in player's own Pay N Play deposit,
// refused by its kyc (another person's bank identity), whose bank paid all the
// same, is the player's order, yet its held money never was in their wallet: its
// return, confirmed, then coming back with a credit, reserves, takes, gives back
// and books nothing, and the player's wallet and reservation stay as their one
// credited deposit left them.
func TestHeldReturnPlayerUntouched(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "hybrid")
		fin := e.staff(staff.RoleFinance)
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
		var transfers int64
		db.Model(&models.Transfer{}).Count(&transfers)
		e.wantMoney(asa, 10000, 0)

		ret, err := e.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil || ret.PlayerID != 0 || ret.Amount != e.money(asa, 40) {
			t.Fatalf("return: %+v, %v; want 40.00 SEK, nobody's", ret, err)
		}
		e.wantMoney(asa, 10000, 0)
		e.waitStatus(ret, models.OrderConfirmed)
		if got := e.reload(dep); got.Status != models.OrderRefusedReturned {
			t.Errorf("deposit after its return: %s; want refused-returned", got.Status)
		}
		e.apply(e.forge(trustly.MethodCredit, dep, models.Player{EndUserID: dep.EndUserID}, map[string]any{"amount": "40.00", "currency": "SEK"}))
		if got := e.reload(ret); got.ReturnedAt == nil || got.Status != models.OrderFailed {
			t.Errorf("return after the credit: %s, returned %v; want failed, back", got.Status, got.ReturnedAt)
		}
		if got := e.reload(dep); got.Status != models.OrderRefusedHeld || got.Flag != models.FlagHeldCreditRefused {
			t.Errorf("deposit after its return came back: %s, flag %q; want refused-held", got.Status, got.Flag)
		}
		e.wantMoney(asa, 10000, 0)
		var after int64
		db.Model(&models.Transfer{}).Count(&after)
		if after != transfers {
			t.Errorf("%d transfers after the return; want %d: nothing booked", after, transfers)
		}
	})
}

// TestHeldReturnTotalsApart: a return of held money is a refund order, yet it
// refunds no player's money: the transactions' totals count returns on a row of
// their own (TxTotal.Returns), never among the refunds, whatever the filter
// (the kind refund selects both, each on its row).
func TestHeldReturnTotalsApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "hybrid")
		fin := e.staff(staff.RoleFinance)
		asa := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		first, err := e.as("se-adult").StartDeposit(e.ctx, asa, e.money(asa, 100), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		credited := e.waitOrder(first, models.OrderCredited)
		refund, err := e.svc.RefundDeposit(e.ctx, fin, credited.ID, e.money(asa, 10), "goodwill")
		if err != nil {
			t.Fatal(err)
		}
		svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult2",
			"SandboxScenario": string(sandbox.ScenarioKYCFinishIgnored)})
		order, err := svc.StartDeposit(e.ctx, asa, e.money(asa, 40), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		dep := e.waitStatus(order, models.OrderRefusedHeld)
		e.sb.WaitIdle(t)
		ret, err := e.svc.ReturnHeldOnce(e.ctx, fin, dep.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(refund, models.OrderConfirmed)
		e.waitStatus(ret, models.OrderConfirmed)

		sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
		want := []cashier.TxTotal{
			{Currency: "SEK", Kind: models.OrderRefund, Count: 1, Sum: sek(1000), Credited: sek(0)},
			{Currency: "SEK", Kind: models.OrderRefund, Returns: true, Count: 1, Sum: sek(4000), Credited: sek(0)},
		}
		for _, f := range []cashier.TxFilter{{}, {Kind: models.OrderRefund}, {PlayerID: asa.ID}} {
			totals, err := e.svc.TransactionTotals(e.ctx, fin, f)
			if err != nil {
				t.Fatal(err)
			}
			var refunds []cashier.TxTotal
			for _, tt := range totals {
				if tt.Kind == models.OrderRefund {
					refunds = append(refunds, tt)
				}
			}
			w := want
			if f.PlayerID != 0 {
				w = want[:1] // a return is nobody's
			}
			if !slices.Equal(refunds, w) {
				t.Errorf("filter kind %q, player %d: refund totals %+v; want %+v", f.Kind, f.PlayerID, refunds, w)
			}
		}
	})
}

// TestHeldReturnReconciled: Trustly's AccountLedger lists a refused deposit's
// held credit and, once returned, the refund returning it, under the deposit's
// messageid; our ledger has neither, since neither was ever in a wallet. A held
// credit returned to the payer and its return are explained, not differences; a
// held credit not returned still is one, noted for staff to return, and so is
// one whose return Trustly carried out and then failed (the money comes back to
// be held), while that return is explained.
func TestHeldReturnReconciled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure", retryWhileHeld(t))
		fin := e.staff(staff.RoleFinance)
		returned, held, failed := e.refusedHeld(), e.refusedHeld(), e.refusedHeld()
		e.sb.WaitIdle(t)
		ret, err := e.svc.ReturnHeldOnce(e.ctx, fin, returned.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(ret, models.OrderConfirmed)
		// A return Trustly carried out whose payout then failed: the money comes
		// back to be held, so the held credit is not explained, the return is.
		e.hold.Store(true)
		ret, err = e.svc.ReturnHeldOnce(e.ctx, fin, failed.ID, models.NewMessageID(models.OrderRefund), "")
		if err != nil || ret.SentAt == nil {
			t.Fatalf("return: %s, %v; want sent", ret.Status, err)
		}
		e.apply(e.forge(trustly.MethodPayoutFailed, failed, models.Player{EndUserID: failed.EndUserID}, map[string]any{"amount": "50.00", "currency": "SEK"}))
		e.wantDeposit("return failed", fin, failed, models.OrderRefusedHeld, false)
		e.hold.Store(false)
		e.sb.WaitIdle(t)
		today := time.Now().UTC()
		r, err := e.svc.Reconcile(e.ctx, fin, "SEK", today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			kind    reconcile.Kind
			key     string
			trustly int64
		}
		rows := func(ms []reconcile.Mismatch) []row {
			var out []row
			for _, m := range ms {
				r := row{kind: m.Kind, key: m.Key}
				if m.Ours != nil {
					t.Errorf("%s %s: ours %v; want nothing of held money in our ledger", m.Kind, m.Key, m.Ours.Amount)
				}
				if m.Trustly != nil {
					r.trustly = m.Trustly.Amount.Minor
				}
				out = append(out, r)
			}
			return out
		}
		order := func(a, b row) int {
			if a.key != b.key {
				return strings.Compare(a.key, b.key)
			}
			return int(a.trustly - b.trustly)
		}
		got, want := rows(r.Mismatches), []row{{reconcile.OnlyTrustly, held.MessageID, 5000}, {reconcile.OnlyTrustly, failed.MessageID, 5000}}
		slices.SortFunc(got, order)
		slices.SortFunc(want, order)
		if !slices.Equal(got, want) {
			t.Errorf("differences %+v; want the held credits not returned, %+v", got, want)
		}
		got = rows(r.Explained)
		want = []row{{reconcile.Explained, returned.MessageID, -5000}, {reconcile.Explained, returned.MessageID, 5000},
			{reconcile.Explained, failed.MessageID, -5000}}
		slices.SortFunc(got, order)
		slices.SortFunc(want, order)
		if !slices.Equal(got, want) {
			t.Errorf("explained %+v; want the returned held credit and the two returns, %+v", got, want)
		}
		for _, m := range append(r.Explained, r.Mismatches...) {
			if m.Note == "" {
				t.Errorf("%s %s %v without a note", m.Kind, m.Key, m.Trustly.Amount)
			}
		}
	})
}
