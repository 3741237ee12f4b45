package cashier_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// The refund path, hunted as the payout and deposit paths were
// (payout_hunt_test.go, deposit_hunt_test.go): Trustly's notifications of a
// refund come under its deposit's orderid and messageid (API.md §4.3, §6.3), so
// each one is matched to one of the deposit's refunds, and must book its money
// exactly once however it arrives: many at once, copied under new
// notificationids, reshaped and signed as Trustly signs, late, out of order, or
// about a refund Trustly refused or never answered. After each step every
// transfer balances, the player's wallet and reservation and Trustly's clearing
// account hold what they must, and the refund reads on the back office's order
// page as it stands.

// deliverAtOnce posts raw to the service k times at the same moment and checks
// every delivery was answered OK with the same signed answer.
func (e *payEnv) deliverAtOnce(raw []byte, k int) {
	e.t.Helper()
	answers := make([][]byte, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() { answers[i], errs[i] = e.svc.HandleNotification(e.ctx, raw) })
	}
	wg.Wait()
	for i := range k {
		if errs[i] != nil {
			e.t.Fatalf("delivery %d of %d: %v", i, k, errs[i])
		}
		if !strings.Contains(string(answers[i]), `"status":"OK"`) {
			e.t.Fatalf("delivery %d: answer %s; want OK", i, answers[i])
		}
		if string(answers[i]) != string(answers[0]) {
			e.t.Errorf("delivery %d got another answer than the first:\n%s\n%s", i, answers[i], answers[0])
		}
	}
}

// copiesAtOnce posts k copies of raw, each signed again under a new
// notificationid, at the same moment; each is answered OK.
func (e *payEnv) copiesAtOnce(raw []byte, k int) {
	e.t.Helper()
	copies := make([][]byte, k)
	for i := range copies {
		copies[i] = e.resigned(raw, nil)
	}
	errs := make([]error, k)
	answers := make([][]byte, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() { answers[i], errs[i] = e.svc.HandleNotification(e.ctx, copies[i]) })
	}
	wg.Wait()
	for i := range k {
		if errs[i] != nil || !strings.Contains(string(answers[i]), `"status":"OK"`) {
			e.t.Fatalf("copy %d: %s, %v; want OK", i, answers[i], errs[i])
		}
	}
}

// wantLedger checks that every transfer's entries sum to zero, that the ledger
// audits, and that Trustly's clearing account holds clearing (minor units of
// SEK): what the bank has of the house's money, less what it paid in.
func (e *payEnv) wantLedger(clearing int64) {
	e.t.Helper()
	var unbalanced []struct {
		TransferID int64
		Total      int64
	}
	err := e.db.Table("entries").Select("transfer_id, SUM(minor) AS total").Group("transfer_id").
		Having("SUM(minor) <> 0").Scan(&unbalanced).Error
	if err != nil {
		e.t.Fatal(err)
	}
	if len(unbalanced) > 0 {
		e.t.Errorf("transfers whose entries do not sum to zero: %+v", unbalanced)
	}
	if got := e.balance(models.TrustlyClearing, "SEK"); got != clearing {
		e.t.Errorf("Trustly clearing %d; want %d", got, clearing)
	}
}

// wantRefund checks that refund r reads status (and, in the player's words,
// text) and that the back office's order page of it loads, naming its deposit.
func (e *payEnv) wantRefund(what string, r models.Order, status models.OrderStatus, text string) models.Order {
	e.t.Helper()
	got := e.reload(r)
	if got.Status != status || cashier.PayoutStateText(got) != text {
		e.t.Errorf("%s: refund %d reads %s %q; want %s %q", what, r.ID, got.Status, cashier.PayoutStateText(got), status, text)
	}
	d, err := e.svc.OrderDetail(e.ctx, e.staff(staff.RoleViewer), r.ID)
	if err != nil {
		e.t.Fatalf("%s: order page of refund %d: %v", what, r.ID, err)
	}
	if d.Order.Status != status || d.Parent.ID != r.ParentID {
		e.t.Errorf("%s: order page of refund %d: %s, deposit %d; want %s, deposit %d", what, r.ID, d.Order.Status, d.Parent.ID, status, r.ParentID)
	}
	return got
}

// TestRefundHuntLate: a deposit of 1 000 and refunds of it whose notifications,
// each under the deposit's orderid and messageid, come late or out of order: a
// credit before the payoutconfirmation, a payoutfailed after the confirmation, a
// cancel after a credit, and the notifications of a refund whose call timed out
// (Trustly had it), of one whose call never reached Trustly, and of one Trustly
// refused with a signed error. Every event moves the refund's money once, the
// way Trustly says it went, and nothing else.
func TestRefundHuntLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive
		wallet, clearing := int64(100000), int64(-100000)
		note := func(method string, major int64) []byte {
			if method == trustly.MethodCancel {
				return e.forge(method, dep, p, nil) // a cancel names no amount
			}
			return e.forge(method, dep, p, map[string]any{"amount": fmt.Sprintf("%d.00", major)})
		}
		sent := func(major int64) models.Order {
			t.Helper()
			r, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, major), "")
			if err != nil || r.Status != models.OrderSent {
				t.Fatalf("refund of %d: %s, %v; want sent", major, r.Status, err)
			}
			wallet -= major * 100
			clearing += major * 100
			return r
		}
		check := func(what string) {
			t.Helper()
			e.wantMoney(p, wallet, 0)
			e.wantLedger(clearing)
		}

		// Its credit before its payoutconfirmation: returned once, and the
		// confirmation after it, a payoutfailed and a cancel book nothing more.
		a := sent(100)
		e.apply(note(trustly.MethodCredit, 100))
		wallet += 10000
		clearing -= 10000
		check("credit first")
		e.wantRefund("credit first", a, models.OrderFailed, cashier.PayoutTextReturned)
		for _, m := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCancel, trustly.MethodCredit} {
			e.apply(note(m, 100))
			check("after the credit, " + m)
			if got := e.reload(a); got.ReturnedAt == nil || got.Status != models.OrderFailed {
				t.Errorf("returned refund after a late %s: %s, returned %v; want failed, returned", m, got.Status, got.ReturnedAt)
			}
		}
		e.wantBookedOnce(a)
		if d := e.reload(dep); d.Status != models.OrderCredited {
			t.Errorf("deposit after a cancel under its orderid: %s; want credited", d.Status)
		}

		// Confirmed, then failed by the bank: the money is not back until
		// Trustly's credit, which returns it once; a cancel after it nothing.
		b := sent(110)
		e.apply(note(trustly.MethodPayoutConfirmation, 110))
		check("confirmed")
		e.wantRefund("confirmed", b, models.OrderConfirmed, cashier.PayoutTextPaid)
		e.apply(note(trustly.MethodPayoutFailed, 110))
		check("failed after its confirmation")
		if got := e.wantRefund("failed after its confirmation", b, models.OrderFailed, cashier.PayoutTextBankFailed); !cashier.BankFailedNotBack(got) {
			t.Errorf("refund failed by the bank, money not back: BankFailedNotBack false")
		}
		e.apply(note(trustly.MethodCredit, 110))
		wallet += 11000
		clearing -= 11000
		check("credit after the payoutfailed")
		e.wantRefund("credit after the payoutfailed", b, models.OrderFailed, cashier.PayoutTextRefused)
		e.apply(note(trustly.MethodCancel, 110))
		check("cancel after the credit")
		e.wantBookedOnce(b)

		// A refund whose answer was lost (Trustly has it): its credit comes first,
		// then its confirmation; the janitor later asks nothing about it.
		e.lose.Store(1)
		c, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 120), "")
		if err != nil || c.Status != models.OrderSending {
			t.Fatalf("answer lost: %s, %v; want sending", c.Status, err)
		}
		wallet -= 12000
		e.wantMoney(p, wallet, 12000)
		e.wantRefund("answer lost", c, models.OrderSending, cashier.PayoutTextSending)
		e.apply(note(trustly.MethodCredit, 120))
		wallet += 12000
		check("credit of a refund whose answer was lost")
		e.wantRefund("credit of a refund whose answer was lost", c, models.OrderFailed, cashier.PayoutTextReturned)
		e.apply(note(trustly.MethodPayoutConfirmation, 120))
		check("its confirmation after its credit")
		calls := e.apiCalls("GetWithdrawals")
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.apiCalls("GetWithdrawals") - calls; n != 0 {
			t.Errorf("%d GetWithdrawals calls for a refund its notifications settled; want none", n)
		}
		e.wantBookedOnce(c)

		// A refund whose call never reached Trustly: a payoutfailed of its amount
		// proves Trustly has it after all, and the credit returns it.
		lost := e.lostRefund(fin, dep, e.money(p, 130))
		wallet -= 13000
		e.wantMoney(p, wallet, 13000)
		e.apply(note(trustly.MethodPayoutFailed, 130))
		clearing += 13000
		check("payoutfailed of a refund whose call was lost")
		e.wantRefund("payoutfailed of a refund whose call was lost", lost, models.OrderFailed, cashier.PayoutTextBankFailed)
		e.apply(note(trustly.MethodCredit, 130))
		wallet += 13000
		clearing -= 13000
		check("its credit")
		e.wantRefund("its credit", lost, models.OrderFailed, cashier.PayoutTextRefused)
		e.wantBookedOnce(lost)

		// A refund Trustly refused in a signed error: its notifications, had
		// Trustly sent them, book nothing; a confirmation flags it.
		_, err = e.answeringError(0, trustly.CodeInvalidOrderID, "ERROR_INVALID_ORDER_ID").RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 140), "")
		wantProblem(t, err, "Trustly refused the refund")
		var refused models.Order
		if err := db.Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Order("id DESC").Take(&refused).Error; err != nil {
			t.Fatal(err)
		}
		check("refused")
		for _, m := range []string{trustly.MethodCredit, trustly.MethodPayoutConfirmation, trustly.MethodCancel} {
			e.apply(note(m, 140))
			check("refused, then " + m)
			e.wantRefund("refused, then "+m, refused, models.OrderFailed, cashier.PayoutTextNotSent)
		}
		if got := e.reload(refused); !strings.Contains(got.Flag, "came after this refund was released") {
			t.Errorf("refused refund after its confirmation: flag %q; want it flagged", got.Flag)
		}
		e.wantBookedOnce(refused)

		// What is left refundable is the deposit less the refunds whose money did
		// not come back: none came back but the returned ones.
		f, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if f.Refundable.Minor != 100000 {
			t.Errorf("refundable %d; want 100000 (every refund came back or was never sent)", f.Refundable.Minor)
		}
	})
}

// TestRefundHuntAtOnce: two refunds of 100 of one deposit, sent. Each of
// Trustly's notifications of them, its one body posted ten times at the same
// moment, applies once: one payoutconfirmation confirms one refund, one credit
// returns one refund's money once. Ten copies of it under new notificationids at
// the same moment apply nothing more (flagged on the deposit), and the second
// refund's own notification, a later event, still applies to it.
func TestRefundHuntAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive
		var refunds []models.Order
		for range 2 {
			r, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 100), "")
			if err != nil || r.Status != models.OrderSent {
				t.Fatalf("refund: %s, %v; want sent", r.Status, err)
			}
			refunds = append(refunds, r)
		}
		wallet, clearing := int64(80000), int64(-80000)
		check := func(what string, statuses ...models.OrderStatus) {
			t.Helper()
			e.wantMoney(p, wallet, 0)
			e.wantLedger(clearing)
			for i, r := range refunds {
				if got := e.reload(r); got.Status != statuses[i] {
					t.Errorf("%s: refund %d %s; want %s", what, i, got.Status, statuses[i])
				}
				e.wantBookedOnce(r)
			}
		}
		stamp := 0
		note := func(method string) []byte {
			stamp++
			return e.forge(method, dep, p, map[string]any{"amount": "100.00",
				"timestamp": trustly.FormatTimestamp(e.clock.Now().Add(timeStep(stamp)))})
		}

		confirm := note(trustly.MethodPayoutConfirmation)
		e.deliverAtOnce(confirm, 10)
		check("a confirmation ten times at once", models.OrderConfirmed, models.OrderSent)
		e.copiesAtOnce(confirm, 10)
		check("ten copies of it at once", models.OrderConfirmed, models.OrderSent)
		if d := e.reload(dep); !strings.Contains(d.Flag, "sent again under notificationid") {
			t.Errorf("deposit flag %q; want the copies flagged", d.Flag)
		}

		credit := note(trustly.MethodCredit)
		e.deliverAtOnce(credit, 10)
		wallet += 10000
		clearing -= 10000
		check("a credit ten times at once", models.OrderFailed, models.OrderSent)
		e.copiesAtOnce(credit, 10)
		check("ten copies of the credit at once", models.OrderFailed, models.OrderSent)

		// The second refund's own notifications, later events, each at once with
		// copies of itself.
		for _, raw := range [][]byte{note(trustly.MethodPayoutFailed), note(trustly.MethodCredit)} {
			var wg sync.WaitGroup
			wg.Go(func() { e.deliverAtOnce(raw, 5) })
			wg.Go(func() { e.copiesAtOnce(raw, 5) })
			wg.Wait()
		}
		wallet += 10000
		clearing -= 10000
		check("the second refund's payoutfailed and credit, with copies, at once", models.OrderFailed, models.OrderFailed)
		e.wantRefund("the second refund", refunds[1], models.OrderFailed, cashier.PayoutTextRefused)
	})
}

// timeStep is i seconds: notifications of distinct events carry distinct
// timestamps, as Trustly's do.
func timeStep(i int) time.Duration { return time.Duration(i) * time.Second }

// TestRefundHuntCopyReshaped: two refunds of 100 of one deposit, sent; the
// first's credit comes and returns its money. Then the same credit comes again
// under a new notificationid, signed as Trustly signs, but written otherwise:
// its amount a JSON number (the same signed text), without its empty
// attributes (API.md §5.1: {} or missing), or its timestamp in another offset
// (the same instant). Each is a copy of the credit applied, the same event, and
// returns no other refund's money: the second refund stays sent, its money at
// the payer's bank, and the deposit is flagged.
func TestRefundHuntCopyReshaped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 2000) // nine cases of two refunds of 100
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive
		// Each event's own timestamp, a minute apart.
		at := e.clock.Now().Add(time.Minute).Truncate(time.Second)
		for _, method := range []string{trustly.MethodCredit, trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed} {
			for _, tt := range []struct {
				name  string
				shape func(raw []byte, at time.Time) []byte // at: the genuine one's timestamp
			}{
				{"amount a JSON number", func(raw []byte, _ time.Time) []byte {
					return e.resigned(raw, map[string]any{"amount": json.Number("100.00")})
				}},
				{"without its attributes", func(raw []byte, _ time.Time) []byte { return e.reshapedWithout(raw, "attributes") }},
				{"timestamp in another offset", func(raw []byte, at time.Time) []byte {
					return e.resigned(raw, map[string]any{"timestamp": at.In(time.FixedZone("", 3*3600)).Format("2006-01-02 15:04:05.000000-07")})
				}},
			} {
				t.Run(method+"/"+tt.name, func(t *testing.T) {
					e.t = t
					var refunds []models.Order
					for range 2 {
						r, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 100), "")
						if err != nil || r.Status != models.OrderSent {
							t.Fatalf("refund: %s, %v; want sent", r.Status, err)
						}
						refunds = append(refunds, r)
					}
					wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
					genuineAt := at
					genuine := e.forge(method, dep, p, map[string]any{"amount": "100.00", "attributes": map[string]any{},
						"timestamp": trustly.FormatTimestamp(genuineAt)})
					at = at.Add(time.Minute)
					e.apply(genuine)
					first := e.reload(refunds[0])
					if first.Status == models.OrderSent {
						t.Fatalf("the genuine %s applied to no refund", method)
					}
					if method == trustly.MethodCredit {
						wallet += 10000
					}
					e.wantMoney(p, wallet, 0)
					e.apply(tt.shape(genuine, genuineAt))
					if got := e.reload(refunds[1]); got.Status != models.OrderSent || got.ReturnedAt != nil || got.ConfirmedAt != nil || got.PayoutFailedAt != nil {
						t.Errorf("second refund after a copy of the first's %s %s: %s; want sent, nothing applied", method, tt.name, got.Status)
					}
					e.wantMoney(p, wallet, 0)
					e.wantBookedOnce(refunds[1])
					// Both settled, for the next case: the second's own credit, later.
					for _, r := range refunds {
						if e.reload(r).ReturnedAt == nil {
							e.apply(e.forge(trustly.MethodCredit, dep, p, map[string]any{"amount": "100.00", "timestamp": trustly.FormatTimestamp(at)}))
							at = at.Add(time.Minute)
						}
					}
					for _, r := range refunds {
						if got := e.reload(r); got.ReturnedAt == nil {
							t.Fatalf("refund %d not returned by its own credit: %s", r.ID, got.Status)
						}
					}
				})
			}
		}
	})
}

// reshapedWithout is the notification raw signed again with Trustly's key under
// a new notificationid and uuid, without the keys drop in its data.
func (e *payEnv) reshapedWithout(raw []byte, drop ...string) []byte {
	e.t.Helper()
	n, err := trustly.DecodeNotification(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	data := map[string]any{}
	for k, v := range n.Tree {
		if !slices.Contains(drop, k) {
			data[k] = v
		}
	}
	data["notificationid"] = fmt.Sprintf("%010d", 3000000000+paySeq.Add(1))
	out, err := trustly.EncodeNotification(e.sb.Config.Key, n.Method, uuid.NewString(), data)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestRefundHuntFailedAfterRelease: a refund of 300 that Trustly refused in a
// signed error (its money released to the wallet), and a refund of 200 sent and
// waiting. Trustly's payoutfailed of 300 is the released refund's, late, not the
// one refund waiting whatever its amount: it flags the released refund, saying
// what came, and leaves the refund of 200 as it was; nothing is booked.
func TestRefundHuntFailedAfterRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive

		_, err := e.answeringError(0, trustly.CodeInvalidAmount, "ERROR_INVALID_AMOUNT").RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
		wantProblem(t, err, "Trustly refused the refund")
		var refused models.Order
		if err := db.Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Order("id DESC").Take(&refused).Error; err != nil {
			t.Fatal(err)
		}
		e.wantRefund("refused", refused, models.OrderFailed, cashier.PayoutTextNotSent)
		waiting, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 200), "")
		if err != nil || waiting.Status != models.OrderSent {
			t.Fatalf("refund of 200: %s, %v; want sent", waiting.Status, err)
		}
		e.wantMoney(p, 80000, 0)
		e.apply(e.forge(trustly.MethodPayoutFailed, dep, p, map[string]any{"amount": "300.00"}))
		if got := e.reload(waiting); got.Flag != "" || got.PayoutFailedAt != nil {
			t.Errorf("refund of 200 after a payoutfailed of 300: flag %q, failed %v; want neither", got.Flag, got.PayoutFailedAt)
		}
		e.wantRefund("refund of 200", waiting, models.OrderSent, cashier.PayoutTextOnItsWay)
		got := e.wantRefund("refused refund of 300", refused, models.OrderFailed, cashier.PayoutTextNotSent)
		if !strings.Contains(got.Flag, "payoutfailed for 300.00 SEK came after this refund was released") {
			t.Errorf("refused refund of 300: flag %q; want the late payoutfailed on it", got.Flag)
		}
		if d := e.reload(dep); d.Flag != "" {
			t.Errorf("deposit flag %q; want none: the payoutfailed is its refused refund's", d.Flag)
		}
		e.wantMoney(p, 80000, 0)
		e.wantLedger(-80000)
	})
}

// TestRefundHuntReshaped: a sent refund of 30 of a deposit, and Trustly's
// payoutconfirmation, payoutfailed, credit and cancel under the deposit's
// orderid, each first reshaped and signed as Trustly signs: another amount or
// currency, another player's enduserid, another deposit's orderid (the
// player's own, or another player's), a messageid of nobody's or the refund's
// own, a required field missing, a field of the wrong JSON type. None applies
// to the refund or books anything anywhere: the refund stays sent, the other
// deposits credited, the money where it was. Then the genuine one applies.
func TestRefundHuntReshaped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p, q := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist"), e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 100)
		own := e.lastDeposit(p)
		e.deposit(q, 100)
		others := e.lastDeposit(q)
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive
		wallet, clearing := int64(110000), int64(-120000)
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 30), "")
				if err != nil || refund.Status != models.OrderSent {
					t.Fatalf("refund: %s, %v; want sent", refund.Status, err)
				}
				wallet -= 3000
				clearing += 3000
				money := map[string]any{"amount": "30.00"}
				if method == trustly.MethodCancel {
					money = nil // a cancel names no amount
				}
				about := func(o models.Order) models.Order { o.Amount = e.money(p, 30); return o }
				with := func(fields map[string]any) map[string]any {
					out := map[string]any{}
					for k, v := range money {
						out[k] = v
					}
					for k, v := range fields {
						out[k] = v
					}
					return out
				}
				shaped := []struct {
					name  string
					raw   []byte
					valid bool // it verifies and fits its schema
				}{
					{"another player's enduserid", e.forge(method, about(dep), p, with(map[string]any{"enduserid": q.EndUserID})), true},
					{"the player's other deposit", e.forge(method, about(own), p, money), true},
					{"another player's deposit", e.forge(method, about(others), q, money), true},
					{"nobody's messageid", e.forge(method, about(dep), p, with(map[string]any{"messageid": "nobody-1"})), true},
					{"the refund's own messageid", e.forge(method, about(dep), p, with(map[string]any{"messageid": refund.MessageID})), true},
					{"enduserid an object", e.forge(method, about(dep), p, with(map[string]any{"enduserid": map[string]any{"id": p.EndUserID}})), false},
					{"orderid a list", e.forge(method, about(dep), p, with(map[string]any{"orderid": []any{dep.TrustlyOrderID}})), false},
					{"timestamp a number", e.forge(method, about(dep), p, with(map[string]any{"timestamp": json.Number("1796640000")})), false},
					{"an unknown key", e.forge(method, about(dep), p, with(map[string]any{"refundid": refund.MessageID})), false},
				}
				if method != trustly.MethodCancel {
					shaped = append(shaped, []struct {
						name  string
						raw   []byte
						valid bool
					}{
						{"another amount", e.forge(method, about(dep), p, with(map[string]any{"amount": "29.99"})), true},
						{"another currency", e.forge(method, about(dep), p, with(map[string]any{"currency": "EUR"})), true},
						{"amount an object", e.forge(method, about(dep), p, with(map[string]any{"amount": map[string]any{"value": "30.00"}})), false},
						{"amount below zero", e.forge(method, about(dep), p, with(map[string]any{"amount": "-30.00"})), false},
						{"amount null", e.forge(method, about(dep), p, with(map[string]any{"amount": nil})), false},
					}...)
				}
				genuine := e.forge(method, about(dep), p, money)
				for _, key := range []string{"orderid", "messageid", "enduserid", "timestamp", "amount", "currency"} {
					if method == trustly.MethodCancel && (key == "amount" || key == "currency") {
						continue
					}
					shaped = append(shaped, struct {
						name  string
						raw   []byte
						valid bool
					}{"without " + key, e.reshapedWithout(genuine, key), false})
				}
				for _, s := range shaped {
					var stored int64
					db.Model(&models.Notification{}).Count(&stored)
					answer, err := e.svc.HandleNotification(e.ctx, s.raw)
					switch {
					case s.valid && (err != nil || !strings.Contains(string(answer), `"status":"OK"`)):
						t.Errorf("%s: %s, %v; want OK", s.name, answer, err)
					case !s.valid && !errors.Is(err, cashier.ErrBadNotification):
						t.Errorf("%s: %s, %v; want it refused as not a valid notification", s.name, answer, err)
					case !s.valid:
						var after int64
						db.Model(&models.Notification{}).Count(&after)
						if after != stored {
							t.Errorf("%s: %d notifications stored; want %d, nothing stored", s.name, after, stored)
						}
					}
					got := e.reload(refund)
					if got.Status != models.OrderSent || got.ConfirmedAt != nil || got.PayoutFailedAt != nil || got.CreditedAt != nil ||
						got.CancelledAt != nil || got.ReturnedAt != nil {
						t.Errorf("%s %s: refund %s; want sent, nothing applied", method, s.name, got.Status)
					}
					for _, d := range []models.Order{own, others, dep} {
						if got := e.reload(d); got.Status != models.OrderCredited {
							t.Errorf("%s %s: deposit %d %s; want credited", method, s.name, d.ID, got.Status)
						}
					}
					e.wantMoney(p, wallet, 0)
					e.wantMoney(q, 10000, 0)
					e.wantLedger(clearing)
				}

				e.apply(genuine)
				got := e.reload(refund)
				switch method {
				case trustly.MethodPayoutConfirmation:
					e.wantRefund("genuine "+method, refund, models.OrderConfirmed, cashier.PayoutTextPaid)
				case trustly.MethodPayoutFailed:
					e.wantRefund("genuine "+method, refund, models.OrderFailed, cashier.PayoutTextBankFailed)
				case trustly.MethodCredit:
					wallet += 3000
					clearing -= 3000
					e.wantRefund("genuine "+method, refund, models.OrderFailed, cashier.PayoutTextReturned)
				case trustly.MethodCancel:
					// A cancel under the deposit's orderid is the deposit's: after its
					// credit it is flagged there, and the refund stays sent.
					if got.Status != models.OrderSent {
						t.Errorf("refund after the deposit's cancel: %s; want sent", got.Status)
					}
					if d := e.reload(dep); d.Status != models.OrderCredited || !strings.Contains(d.Flag, "cancel") {
						t.Errorf("deposit after a cancel: %s, flag %q; want credited, the cancel flagged", d.Status, d.Flag)
					}
				}
				e.wantMoney(p, wallet, 0)
				e.wantLedger(clearing)
				e.wantBookedOnce(refund)
				if e.reload(refund).ReturnedAt == nil { // settled, for the next method
					e.apply(e.forge(trustly.MethodCredit, about(dep), p, map[string]any{"amount": "30.00"}))
					wallet += 3000
					clearing -= 3000
				}
				e.wantMoney(p, wallet, 0)
				e.wantLedger(clearing)
			})
		}
	})
}

// TestRefundHuntStaff: two finance members refund 600 of one deposit of 1 000 at
// the same moment, although the wallet could pay both: one refund is made, the
// other refused with what is left. Partial refunds stop at the deposit. Then a
// refund of 300 of a second deposit is in flight (Trustly has it, its answer
// held) when the bank charges that deposit back in full (a debit): the debit
// takes the 1 000 from the wallet, below zero, the deposit can no longer be
// refunded, the refund is sent once its answer comes, and the order page says
// the payer got 300 twice.
func TestRefundHuntStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin1, fin2 := e.staff(staff.RoleFinance), e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.deposit(p, 1000)
		dep2 := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive

		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, by := range []staff.Member{fin1, fin2} {
			wg.Go(func() {
				<-start
				_, errs[i] = e.svc.RefundDeposit(e.ctx, by, dep.ID, e.money(p, 600), "")
			})
		}
		close(start)
		wg.Wait()
		made := 0
		for _, err := range errs {
			var problem *models.Problem
			switch {
			case err == nil:
				made++
			case !errors.As(err, &problem) || problem.Message != "At most 400,00\u00a0SEK of this deposit can still be refunded.":
				t.Errorf("refund at the same moment: %v; want made, or refused with what is left", err)
			}
		}
		if made != 1 || e.apiCalls("Refund") != 1 || e.sandboxRefunds(dep) != 1 {
			t.Fatalf("%d refunds made, %d Refund calls, %d at Trustly; want 1, 1, 1", made, e.apiCalls("Refund"), e.sandboxRefunds(dep))
		}
		e.wantMoney(p, 140000, 0)
		e.wantLedger(-140000)

		if _, err := e.svc.RefundDeposit(e.ctx, fin1, dep.ID, e.money(p, 300), ""); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.RefundDeposit(e.ctx, fin2, dep.ID, e.money(p, 200), "")
		wantProblem(t, err, "At most 100,00\u00a0SEK of this deposit can still be refunded.")
		if _, err := e.svc.RefundDeposit(e.ctx, fin2, dep.ID, e.money(p, 100), ""); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.RefundDeposit(e.ctx, fin1, dep.ID, models.Money{Minor: 1, Currency: "SEK"}, "")
		wantProblem(t, err, "At most 0,00\u00a0SEK")
		e.wantMoney(p, 100000, 0)
		e.wantLedger(-100000)
		if n := e.sandboxRefunds(dep); n != 3 {
			t.Errorf("refunds at Trustly %d; want 3", n)
		}

		// A refund of the second deposit in flight when the bank takes it back.
		answers := e.holdAnswers()
		held, done := e.heldRefund(e.svc, answers, fin1, dep2, e.money(p, 300))
		e.wantMoney(p, 70000, 30000)
		e.apply(e.forge(trustly.MethodDebit, e.reload(dep2), p, map[string]any{"amount": "1000.00", "currency": "SEK",
			"attributes": map[string]any{}}))
		e.wantMoney(p, -30000, 30000)
		_, err = e.svc.RefundDeposit(e.ctx, fin2, dep2.ID, e.money(p, 1), "")
		wantProblem(t, err, "Only a credited deposit can be refunded.")
		close(held.Release)
		res := <-done
		e.mu.Lock()
		e.held = nil
		e.mu.Unlock()
		if res.err != nil || res.order.Status != models.OrderSent {
			t.Fatalf("refund in flight during the debit: %s, %v; want sent", res.order.Status, res.err)
		}
		e.wantMoney(p, -30000, 0)
		e.wantLedger(30000)
		e.wantRefund("refund sent after its deposit's debit", res.order, models.OrderSent, cashier.PayoutTextOnItsWay)
		d, err := e.svc.OrderDetail(e.ctx, e.staff(staff.RoleViewer), dep2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Order.Status != models.OrderDebited || d.RefundedTwice.Twice.Minor != 30000 || d.Refundable.Minor != 0 {
			t.Errorf("order page of the debited deposit: %s, twice %+v, refundable %d; want debited, 300 twice, nothing refundable",
				d.Order.Status, d.RefundedTwice, d.Refundable.Minor)
		}
		e.wantBookedOnce(res.order)
	})
}

// TestRefundHuntCrashNotifiedFirst: the cashier dies after Trustly carried out a
// refund of 300 and before its answer was recorded (refund.after_call), and
// Trustly's notifications of it come before the janitor does: a bounce
// (payoutconfirmation, then credit, each also sent again) books it as sent and
// returns its money once. The janitor then finds nothing to settle: no Refund
// call, no GetWithdrawals, nothing released a day later, the 300 back in the
// wallet once and refundable again.
func TestRefundHuntCrashNotifiedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		e.hold.Store(true) // only the forged notifications arrive
		refund := e.crashRefund("refund.after_call", fin, p, dep)
		calls, checks := e.apiCalls("Refund"), e.apiCalls("GetWithdrawals")

		for _, m := range []string{trustly.MethodPayoutConfirmation, trustly.MethodCredit} {
			raw := e.forge(m, dep, p, map[string]any{"amount": "300.00"})
			e.deliverAtOnce(raw, 3)
		}
		e.wantMoney(p, 100000, 0)
		e.wantLedger(-100000)
		e.wantRefund("bounced before the janitor", refund, models.OrderFailed, cashier.PayoutTextReturned)

		e.clock.Advance(3 * time.Minute)
		e.janitor()
		e.janitor()
		e.clock.Advance(cashier.RefundRefusedAfter)
		e.janitor()
		if n, c := e.apiCalls("Refund")-calls, e.apiCalls("GetWithdrawals")-checks; n != 0 || c != 0 {
			t.Errorf("after the janitor: %d Refund calls, %d GetWithdrawals; want none", n, c)
		}
		got := e.wantRefund("after the janitor", refund, models.OrderFailed, cashier.PayoutTextReturned)
		if got.ReleasedAt != nil || got.Flag != "" {
			t.Errorf("after the janitor: released %v, flag %q; want neither", got.ReleasedAt, got.Flag)
		}
		e.wantMoney(p, 100000, 0)
		e.wantLedger(-100000)
		e.wantBookedOnce(refund)
		if form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, ""); err != nil || form.Refundable != e.money(p, 1000) {
			t.Errorf("refundable: %v, %v; want 1000.00", form.Refundable, err)
		}
	})
}

// TestRefundHuntFormSentAgainAfterRefusal: a refund form sent twice (a double
// click, a browser sending it again) whose first refund Trustly refused in a
// signed error: the second send makes no refund and calls nothing, and says what
// the first said, that Trustly refused it and the money is back in the balance,
// not that the refund is reserved and being checked.
func TestRefundHuntFormSentAgainAfterRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		refusing := e.answeringError(0, trustly.CodeInvalidAmount, "ERROR_INVALID_AMOUNT")
		first, err := refusing.RefundDepositOnce(e.ctx, fin, dep.ID, form.Token, e.money(p, 300), "")
		wantProblem(t, err, "Trustly refused the refund")
		calls := e.apiCalls("Refund")
		again, err := e.svc.RefundDepositOnce(e.ctx, fin, dep.ID, form.Token, e.money(p, 300), "")
		wantProblem(t, err, "Trustly refused the refund")
		if again.ID != first.ID || again.Status != models.OrderFailed || e.apiCalls("Refund") != calls {
			t.Errorf("the form sent again: refund %d %s, %d Refund calls; want refund %d failed, none", again.ID, again.Status,
				e.apiCalls("Refund")-calls, first.ID)
		}
		var refunds int64
		db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
		if refunds != 1 {
			t.Errorf("%d refunds; want 1", refunds)
		}
		e.wantMoney(p, 100000, 0)
		e.wantLedger(-100000)
	})
}

// TestRefundHuntFormSentAtOnce: one refund form sent five times at the same
// moment (its one token) makes one refund, one Refund call and one audit row;
// every send gets that refund back.
func TestRefundHuntFormSentAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		form, err := e.svc.RefundFormFor(e.ctx, fin, dep.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, 5)
		errs := make([]error, 5)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				<-start
				r, err := e.svc.RefundDepositOnce(e.ctx, fin, dep.ID, form.Token, e.money(p, 300), "")
				ids[i], errs[i] = r.ID, err
			})
		}
		close(start)
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Errorf("send %d: refund %d, %v; want refund %d", i, ids[i], errs[i], ids[0])
			}
		}
		var refunds, audits int64
		db.Model(&models.Order{}).Where("parent_id = ? AND kind = ?", dep.ID, models.OrderRefund).Count(&refunds)
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventRefund).Count(&audits)
		if refunds != 1 || audits != 1 || e.apiCalls("Refund") != 1 || e.sandboxRefunds(dep) != 1 {
			t.Errorf("%d refunds, %d audit rows, %d Refund calls, %d at Trustly; want 1 each", refunds, audits, e.apiCalls("Refund"), e.sandboxRefunds(dep))
		}
		e.wantMoney(p, 70000, 0)
		e.wantLedger(-70000)
	})
}
