package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayDepositRefusedIsFailed: a "Deposit & play" order whose kyc the
// cashier answered FINISH (here: under 18) and on which no money came reads failed
// from that decision on, as a refused login does: without a cancel it read
// "Checkout started", then "Abandoned" once the janitor found the checkout's life
// over, which told staff nothing of the refusal. Whatever the order of the kyc,
// the cancel, a redelivered or second kyc and the janitor, it ends failed, never
// abandoned by the janitor; one the janitor abandoned before its kyc came reads
// failed once the FINISH comes.
//
// The money is what matters most: a credit that comes after the order reads
// failed (the bank paid despite the refusal) is neither skipped nor booked. It is
// held and flagged for staff to return to the payer, and the order reads
// refused-held (refused, money held to return), where it read pending, as though
// it were still becoming a deposit; the janitor, a redelivery of the credit and a
// cancel change nothing of that (a cancel returns no money). A debit that comes
// alone is held as before, and the order, with nothing to return, stays failed.
// Nothing is ever booked, nothing counts against the deposit limits.
func TestPayNPlayDepositRefusedIsFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		deposit := func(attrs map[string]any) (models.Order, note) {
			t.Helper()
			o := r.pnpOrder(10000, "EUR")
			return o, r.kycFor(o, "k-deposit-refused", attrs)
		}
		send := func(o models.Order, method string) note {
			t.Helper()
			n := notify(t, key, method, o, o.EndUserID, nil)
			r.deliver(n, "OK")
			return n
		}
		expire := r.expireCheckout
		janitor := r.janitor
		want := func(what string, o models.Order, status models.OrderStatus, abandoned bool, flag string) models.Order {
			t.Helper()
			got := r.reload(o)
			if got.Status != status || (got.AbandonedAt != nil) != abandoned || got.Flag != flag {
				t.Errorf("%s (deposit %d): %s, abandoned %v, flag %q; want %s, abandoned %t, flag %q",
					what, o.ID, got.Status, got.AbandonedAt, got.Flag, status, abandoned, flag)
			}
			if n := limits.Counts(got); n != 0 {
				t.Errorf("%s (deposit %d) counts %d against the deposit limits; want 0", what, o.ID, n)
			}
			if got.PlayerID != 0 || got.CreditedAt != nil || got.DebitedAt != nil || (got.KYCOutcome != models.KYCFinish && status != models.OrderAbandoned) {
				t.Errorf("%s (deposit %d): player %d, credited %v, debited %v, kyc %q; want nobody's, nothing booked, finish",
					what, o.ID, got.PlayerID, got.CreditedAt, got.DebitedAt, got.KYCOutcome)
			}
			return got
		}
		held := func(what string, o models.Order, credit note) {
			t.Helper()
			got := r.reload(o)
			if got.CreditHeldAt == nil || got.HeldCreditID != credit.id {
				t.Errorf("%s (deposit %d): credit held at %v, id %q; want credit %s held", what, o.ID, got.CreditHeldAt, got.HeldCreditID, credit.id)
			}
			var stored int64
			db.Model(&models.Notification{}).Where("order_id = ? AND notification_id = ?", o.ID, credit.id).Count(&stored)
			if stored != 1 {
				t.Errorf("%s (deposit %d): credit %s stored %d times on the order; want once", what, o.ID, credit.id, stored)
			}
		}

		// The kyc said FINISH and no cancel comes: refused at once, and the janitor
		// leaves it so after the checkout's life.
		silent, kyc := deposit(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		want("FINISH, no cancel", silent, models.OrderFailed, false, "")
		expire(silent)

		// The cancel first, then the kyc, delivered again, and a second kyc with
		// another notificationid: answered as decided, once.
		early, kyc := deposit(dutchMinor)
		send(early, trustly.MethodCancel)
		r.deliver(kyc, trustly.StatusFinish)
		r.deliver(kyc, trustly.StatusFinish)
		r.deliver(notify(t, key, trustly.MethodKYC, early, early.EndUserID, kycFields("k-deposit-refused-again", dutchMinor)), trustly.StatusFinish)
		want("cancel, FINISH, FINISH again", early, models.OrderFailed, false, "")
		expire(early)

		// A pending (the player signed at the bank), then the FINISH: no money came.
		signed, kyc := deposit(dutchMinor)
		send(signed, trustly.MethodPending)
		r.deliver(kyc, trustly.StatusFinish)
		want("pending, FINISH", signed, models.OrderFailed, false, "")

		// No word from Trustly during the checkout's life: abandoned; a FINISH that
		// comes after says what happened.
		late, kyc := deposit(dutchMinor)
		expire(late)
		janitor()
		want("abandoned, no kyc", late, models.OrderAbandoned, true, "")
		r.deliver(kyc, trustly.StatusFinish)
		want("abandoned, then FINISH", late, models.OrderFailed, true, "")

		// Failed, then the bank pays anyway: the credit is held and flagged, never
		// booked and never dropped, and the order reads pending, to be returned.
		paid, kyc := deposit(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		want("FINISH", paid, models.OrderFailed, false, "")
		credit := send(paid, trustly.MethodCredit)
		want("FINISH, then a credit", paid, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		held("FINISH, then a credit", paid, credit)
		r.deliver(credit, "OK")
		send(paid, trustly.MethodCancel)
		// A cancel returns nothing: the credit is still held to be returned.
		want("FINISH, credit, credit again, cancel", paid, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		expire(paid)

		// The credit before the FINISH, as before.
		first, kyc := deposit(dutchMinor)
		credit1 := send(first, trustly.MethodCredit)
		r.deliver(kyc, trustly.StatusFinish)
		want("credit, FINISH", first, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		held("credit, FINISH", first, credit1)
		expire(first)

		// Failed, found by the janitor, then the credit comes days late.
		slow, kyc := deposit(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		expire(slow)

		// Abandoned, then the credit, then the FINISH.
		lost, kyc := deposit(dutchMinor)
		expire(lost)

		// A debit alone after the FINISH: held, nothing booked, nothing taken back,
		// nothing to return: failed, flagged.
		debit, kyc2 := deposit(dutchMinor)
		r.deliver(kyc2, trustly.StatusFinish)
		send(debit, trustly.MethodDebit)
		want("FINISH, debit", debit, models.OrderFailed, false, models.FlagHeldDebitNoCredit)

		janitor()
		want("FINISH, no cancel, janitor", silent, models.OrderFailed, false, "")
		want("cancel, FINISH, janitor", early, models.OrderFailed, false, "")
		want("FINISH, credit, cancel, janitor", paid, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		held("FINISH, credit, cancel, janitor", paid, credit)
		want("credit, FINISH, janitor", first, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		want("FINISH, janitor", slow, models.OrderFailed, false, "")
		want("abandoned", lost, models.OrderAbandoned, true, "")

		credit2 := send(slow, trustly.MethodCredit)
		want("FINISH, janitor, credit", slow, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		held("FINISH, janitor, credit", slow, credit2)
		credit3 := send(lost, trustly.MethodCredit)
		r.deliver(kyc, trustly.StatusFinish)
		want("abandoned, credit, FINISH", lost, models.OrderRefusedHeld, true, models.FlagHeldCreditRefused)
		held("abandoned, credit, FINISH", lost, credit3)
		janitor()
		want("FINISH, janitor, credit, janitor", slow, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused)
		want("FINISH, no cancel, janitor twice", silent, models.OrderFailed, false, "")

		var booked int64
		db.Model(&models.Transfer{}).Where("reference LIKE ?", "deposit:%").Count(&booked)
		if booked != 0 {
			t.Errorf("%d deposit transfers booked; want none: every deposit here was refused", booked)
		}
		r.audit()
	})
}

// TestPayNPlayRefusedHeldCredit: a "Deposit & play" whose kyc was answered FINISH
// and whose credit came all the same reads refused-held (refused, the money held
// to return to the payer) from the moment it has both, whatever their order, and
// stays so through the credit delivered again, the cancel and the janitor, before
// or after: it read pending, as though it were still becoming a deposit, and
// failed after a cancel, though the money is still held. A debit taking the credit
// back leaves nothing to return: failed, flagged so. A credit held before any kyc
// still reads pending, waiting for the decision. Nothing is ever booked, the
// order stays nobody's, and the held credit is the first one delivered.
func TestPayNPlayRefusedHeldCredit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			steps     []string
			status    models.OrderStatus
			flag      string
			abandoned bool
		}{
			{[]string{"credit", "kyc", "credit again", "janitor", "cancel"}, models.OrderRefusedHeld, models.FlagHeldCreditRefused, false},
			{[]string{"kyc", "janitor", "credit", "cancel", "credit again", "janitor"}, models.OrderRefusedHeld, models.FlagHeldCreditRefused, false},
			{[]string{"cancel", "kyc", "credit", "janitor", "kyc again"}, models.OrderRefusedHeld, models.FlagHeldCreditRefused, false},
			{[]string{"janitor", "credit", "kyc", "cancel", "credit again"}, models.OrderRefusedHeld, models.FlagHeldCreditRefused, true},
			{[]string{"kyc", "credit", "debit", "credit again", "janitor"}, models.OrderFailed, models.FlagHeldCreditDebited, false},
			{[]string{"credit", "debit", "kyc", "cancel"}, models.OrderFailed, models.FlagHeldCreditDebited, false},
			{[]string{"kyc", "debit", "janitor", "credit"}, models.OrderFailed, models.FlagHeldCreditDebited, false},
			{[]string{"credit", "janitor", "credit again"}, models.OrderPending, "", false},
		} {
			name := strings.Join(tt.steps, ", ")
			o := r.pnpOrder(10000, "EUR")
			kyc := r.kycFor(o, "k-refused-held", dutchMinor)
			var credit note
			seen := map[string]bool{}
			for _, step := range tt.steps {
				switch step {
				case "kyc", "kyc again":
					r.deliver(kyc, trustly.StatusFinish)
				case "credit":
					credit = notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil)
					r.deliver(credit, "OK")
				case "credit again":
					r.deliver(credit, "OK")
				case "cancel", "debit":
					method := trustly.MethodCancel
					if step == "debit" {
						method = trustly.MethodDebit
					}
					r.deliver(notify(t, key, method, o, o.EndUserID, nil), "OK")
				case "janitor":
					r.expireCheckout(o)
					r.janitor()
				}
				seen[step] = true
				got := r.reload(o)
				if seen["kyc"] && seen["credit"] && !seen["debit"] && got.Status != models.OrderRefusedHeld {
					t.Errorf("%s: after %s %s; want %s: refused, its credit held to return", name, step, got.Status, models.OrderRefusedHeld)
				}
				if got.PlayerID != 0 || got.CreditedAt != nil || got.DebitedAt != nil || limits.Counts(got) != 0 {
					t.Errorf("%s: after %s player %d, credited %v, debited %v, counts %d; want nobody's, nothing booked or counted",
						name, step, got.PlayerID, got.CreditedAt, got.DebitedAt, limits.Counts(got))
				}
			}
			got := r.reload(o)
			if got.Status != tt.status || got.Flag != tt.flag || (got.AbandonedAt != nil) != tt.abandoned {
				t.Errorf("%s: %s, flag %q, abandoned %v; want %s, flag %q, abandoned %t",
					name, got.Status, got.Flag, got.AbandonedAt, tt.status, tt.flag, tt.abandoned)
			}
			if got.CreditHeldAt == nil || got.HeldCreditID != credit.id {
				t.Errorf("%s: credit held at %v, id %q; want credit %s held", name, got.CreditHeldAt, got.HeldCreditID, credit.id)
			}
		}
		var booked int64
		db.Model(&models.Transfer{}).Where("reference LIKE ?", "deposit:%").Count(&booked)
		if booked != 0 {
			t.Errorf("%d deposit transfers booked; want none: every deposit here was refused or undecided", booked)
		}
		r.audit()
	})
}
