package cashier_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// pnpVisitorOrder is a started Pay N Play deposit of 100.00 EUR by an unknown
// visitor, as StartPayNPlay leaves it, made at the env's clock; nobody completes
// its checkout: the test sends Trustly's notifications itself.
func (e *payEnv) pnpVisitorOrder() models.Order {
	e.t.Helper()
	now := e.clock.Now()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true, Market: "NL",
		EndUserID: models.NewEndUserID(), Amount: models.Money{Minor: 10000, Currency: "EUR"},
		TrustlyOrderID: fmt.Sprint(4000000000 + paySeq.Add(1)), CheckoutURL: "https://checkout.test/x", StartedAt: &now, CreatedAt: now}
	o.Refresh()
	if err := e.db.Create(&o).Error; err != nil {
		e.t.Fatal(err)
	}
	return o
}

// alerts are the log lines logs holds at level ERROR whose msg starts with
// prefix, as their order_id.
func alerts(t *testing.T, logs *lockedBuffer, prefix string) []int64 {
	t.Helper()
	var ids []int64
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			OrderID int64  `json:"order_id"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Level == "ERROR" && strings.HasPrefix(rec.Msg, prefix) {
			ids = append(ids, rec.OrderID)
		}
	}
	return ids
}

// TestJanitorFlagsPayNPlayWithoutWord: a Pay N Play deposit whose credit came but
// no kyc (Trustly sends the kyc before any money moves, API.md §5.5) holds the
// money for a player nobody named; with no cancel either, it read pending,
// unflagged, for ever, and no staff member saw it. Likewise a deposit whose
// pending came but never a credit or a cancel. The janitor flags each once its
// wait is over (cashier.HeldCreditKYCWait after the credit, cashier.PendingCreditWait
// after the pending), not before, once however often it runs, with an alert in the
// log naming the order; it stays pending, nothing booked. The flag shows on the
// flagged list and the order page. A kyc that comes after the flag still decides:
// CONTINUE books the held credit and the flag goes, FINISH makes it refused-held
// as any refused order holding a credit; a cancel after it makes it the
// flag of a deposit that ended with no kyc; a credit after the pending's flag ends
// that flag.
func TestJanitorFlagsPayNPlayWithoutWord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		logs := &lockedBuffer{}
		e.log = slog.New(slog.NewJSONHandler(logs, nil))
		e.svc = e.service(nil)
		nobody := func(o models.Order) models.Player { return models.Player{EndUserID: o.EndUserID} }

		held, heldThenCancel, heldThenFinish := e.pnpVisitorOrder(), e.pnpVisitorOrder(), e.pnpVisitorOrder()
		for _, o := range []models.Order{held, heldThenCancel, heldThenFinish} {
			e.apply(e.forge(trustly.MethodPending, o, nobody(o), map[string]any{"amount": "100.00", "currency": "EUR"}))
			e.apply(e.forge(trustly.MethodCredit, o, nobody(o), nil))
		}
		pending := e.pnpVisitorOrder()
		e.apply(e.forge(trustly.MethodPending, pending, nobody(pending), map[string]any{"amount": "100.00", "currency": "EUR"}))
		cancelled := e.pnpVisitorOrder() // ended with no kyc: flagged at once, as before
		e.apply(e.forge(trustly.MethodCredit, cancelled, nobody(cancelled), nil))
		e.apply(e.forge(trustly.MethodCancel, cancelled, nobody(cancelled), nil))

		want := func(when string, o models.Order, status models.OrderStatus, flag string) models.Order {
			t.Helper()
			got := e.reload(o)
			if got.Status != status || got.Flag != flag {
				t.Errorf("%s: order %d %s, flag %q; want %s, flag %q", when, o.ID, got.Status, got.Flag, status, flag)
			}
			return got
		}
		wait := min(cashier.HeldCreditKYCWait, cashier.PendingCreditWait)
		e.clock.Advance(wait - time.Minute)
		e.janitor()
		for _, o := range []models.Order{held, heldThenCancel, heldThenFinish, pending} {
			want("before the wait", o, models.OrderPending, "")
		}
		if got := alerts(t, logs, "alert: Pay N Play deposit"); len(got) != 0 {
			t.Errorf("alerts before the wait for orders %v; want none", got)
		}

		e.clock.Advance(max(cashier.HeldCreditKYCWait, cashier.PendingCreditWait) - wait + 2*time.Minute)
		e.janitor()
		e.janitor()
		e.clock.Advance(time.Hour)
		e.janitor()
		want("after the wait", held, models.OrderPending, models.FlagHeldCreditKYCOverdue)
		want("after the wait", heldThenCancel, models.OrderPending, models.FlagHeldCreditKYCOverdue)
		want("after the wait", heldThenFinish, models.OrderPending, models.FlagHeldCreditKYCOverdue)
		want("after the wait", pending, models.OrderPending, models.FlagPendingNoCredit)
		want("after the wait", cancelled, models.OrderFailed, models.FlagHeldCreditNoKYC)
		got := alerts(t, logs, "alert: Pay N Play deposit")
		slices.Sort(got)
		if wantIDs := []int64{held.ID, heldThenCancel.ID, heldThenFinish.ID, pending.ID}; !slices.Equal(got, wantIDs) {
			t.Errorf("alerts for orders %v; want one each for %v", got, wantIDs)
		}
		var transfers int64
		if err := db.Model(&models.Transfer{}).Count(&transfers).Error; err != nil || transfers != 0 {
			t.Errorf("%d transfers (%v); want none: nothing held is booked by the janitor", transfers, err)
		}

		// Where staff look: the flagged list and the order page.
		viewer := e.admin()
		list, err := e.svc.FlaggedList(e.ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[int64]string{}
		for _, row := range list.Orders {
			listed[row.ID] = row.Flag
		}
		for _, o := range []models.Order{held, pending} {
			if listed[o.ID] == "" {
				t.Errorf("order %d not on the flagged list %v", o.ID, listed)
			}
		}
		detail, err := e.svc.OrderDetail(e.ctx, viewer, held.ID)
		if err != nil {
			t.Fatal(err)
		}
		if detail.Order.Flag != models.FlagHeldCreditKYCOverdue {
			t.Errorf("order page flag %q; want %q", detail.Order.Flag, models.FlagHeldCreditKYCOverdue)
		}
		if !slices.ContainsFunc(detail.Timeline, func(ev cashier.TimelineEvent) bool { return ev.Name == "kyc overdue" }) {
			t.Errorf("order page timeline %v; want the janitor's kyc overdue", detail.Timeline)
		}

		// The kyc comes after all: it decides as ever, the held credit is booked,
		// the flag goes.
		kyc := kycFields(fmt.Sprintf("late-%d", paySeq.Add(1)), map[string]any{"firstname": "Jan",
			"lastname": fmt.Sprintf("Laat %d", paySeq.Add(1)), "dob": "1975-07-14", "street": "Damrak 1", "zipcode": "1012 LG",
			"city": "Amsterdam", "country": "NL"})
		answer, err := e.svc.HandleNotification(e.ctx, notify(t, e.sb.Config.Key, trustly.MethodKYC, held, held.EndUserID, kyc).raw)
		if err != nil || !strings.Contains(string(answer), trustly.StatusContinue) {
			t.Fatalf("late kyc: %s, %v; want CONTINUE", answer, err)
		}
		booked := want("after a late kyc", held, models.OrderCredited, "")
		if booked.PlayerID == 0 {
			t.Fatal("late kyc named no player")
		}
		e.wantMoney(models.Player{ID: booked.PlayerID, Currency: "EUR"}, 10000, 0)

		// A kyc that refuses comes after the flag: refused-held, to be returned.
		minor := kycFields(fmt.Sprintf("late-%d", paySeq.Add(1)), map[string]any{"firstname": "Sanne",
			"lastname": fmt.Sprintf("Laat %d", paySeq.Add(1)), "dob": "2014-03-03", "street": "Coolsingel 40", "zipcode": "3011 AD",
			"city": "Rotterdam", "country": "NL"})
		answer, err = e.svc.HandleNotification(e.ctx, notify(t, e.sb.Config.Key, trustly.MethodKYC, heldThenFinish, heldThenFinish.EndUserID, minor).raw)
		if err != nil || !strings.Contains(string(answer), trustly.StatusFinish) {
			t.Fatalf("late kyc of a minor: %s, %v; want FINISH", answer, err)
		}
		want("after a late refusing kyc", heldThenFinish, models.OrderRefusedHeld, models.FlagHeldCreditRefused)

		// A cancel after the flag: the deposit ended with no kyc.
		e.apply(e.forge(trustly.MethodCancel, heldThenCancel, nobody(heldThenCancel), nil))
		want("cancel after the flag", heldThenCancel, models.OrderFailed, models.FlagHeldCreditNoKYC)

		// The pending's credit comes after all: held for the kyc, no longer
		// waiting for money.
		e.apply(e.forge(trustly.MethodCredit, pending, nobody(pending), nil))
		want("credit after the pending's flag", pending, models.OrderPending, "")

		e.clock.Advance(cashier.HeldCreditKYCWait + time.Minute)
		e.janitor()
		e.janitor()
		want("credit held past its own wait", pending, models.OrderPending, models.FlagHeldCreditKYCOverdue)
		want("booked, later", held, models.OrderCredited, "")
		want("cancelled, later", heldThenCancel, models.OrderFailed, models.FlagHeldCreditNoKYC)
		want("refused, later", heldThenFinish, models.OrderRefusedHeld, models.FlagHeldCreditRefused)
		got = alerts(t, logs, "alert: Pay N Play deposit")
		slices.Sort(got)
		if wantIDs := []int64{held.ID, heldThenCancel.ID, heldThenFinish.ID, pending.ID, pending.ID}; !slices.Equal(got, wantIDs) {
			t.Errorf("alerts for orders %v; want %v: one per rule and order", got, wantIDs)
		}
	})
}

// TestHeldCreditKYCWaitOutlastsRedelivery: a kyc whose first delivery failed comes
// again on Trustly's redelivery schedule, which is UNKNOWN (API.md §6.2); the
// janitor's wait for it outlasts the stand-in schedule of API.md §13 that the
// sandbox keeps, so a kyc still being redelivered is not flagged as missing.
func TestHeldCreditKYCWaitOutlastsRedelivery(t *testing.T) {
	var all time.Duration
	for _, d := range sandbox.DefaultRetrySchedule() {
		all += d
	}
	if cashier.HeldCreditKYCWait <= all || cashier.PendingCreditWait <= all {
		t.Errorf("waits %v and %v; want each longer than the redelivery schedule's %v", cashier.HeldCreditKYCWait, cashier.PendingCreditWait, all)
	}
}
