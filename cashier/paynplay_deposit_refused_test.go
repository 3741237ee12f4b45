package cashier_test

import (
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
// held and flagged for staff to return to the payer, and the order reads pending,
// as a refused deposit with a held credit always has; the janitor and a
// redelivery of the credit change nothing of that, and a cancel makes it failed,
// still flagged, as it always did. A debit that comes alone is held as before.
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
		want("FINISH, then a credit", paid, models.OrderPending, false, models.FlagHeldCreditRefused)
		held("FINISH, then a credit", paid, credit)
		r.deliver(credit, "OK")
		send(paid, trustly.MethodCancel)
		// A cancel outranks the held credit, as it always has: failed, still flagged.
		want("FINISH, credit, credit again, cancel", paid, models.OrderFailed, false, models.FlagHeldCreditRefused)
		expire(paid)

		// The credit before the FINISH, as before.
		first, kyc := deposit(dutchMinor)
		credit1 := send(first, trustly.MethodCredit)
		r.deliver(kyc, trustly.StatusFinish)
		want("credit, FINISH", first, models.OrderPending, false, models.FlagHeldCreditRefused)
		held("credit, FINISH", first, credit1)
		expire(first)

		// Failed, found by the janitor, then the credit comes days late.
		slow, kyc := deposit(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		expire(slow)

		// Abandoned, then the credit, then the FINISH.
		lost, kyc := deposit(dutchMinor)
		expire(lost)

		// A debit alone after the FINISH: held, nothing booked, nothing taken back.
		debit, kyc2 := deposit(dutchMinor)
		r.deliver(kyc2, trustly.StatusFinish)
		send(debit, trustly.MethodDebit)
		want("FINISH, debit", debit, models.OrderPending, false, models.FlagHeldDebitNoCredit)

		janitor()
		want("FINISH, no cancel, janitor", silent, models.OrderFailed, false, "")
		want("cancel, FINISH, janitor", early, models.OrderFailed, false, "")
		want("FINISH, credit, cancel, janitor", paid, models.OrderFailed, false, models.FlagHeldCreditRefused)
		held("FINISH, credit, cancel, janitor", paid, credit)
		want("credit, FINISH, janitor", first, models.OrderPending, false, models.FlagHeldCreditRefused)
		want("FINISH, janitor", slow, models.OrderFailed, false, "")
		want("abandoned", lost, models.OrderAbandoned, true, "")

		credit2 := send(slow, trustly.MethodCredit)
		want("FINISH, janitor, credit", slow, models.OrderPending, false, models.FlagHeldCreditRefused)
		held("FINISH, janitor, credit", slow, credit2)
		credit3 := send(lost, trustly.MethodCredit)
		r.deliver(kyc, trustly.StatusFinish)
		want("abandoned, credit, FINISH", lost, models.OrderPending, true, models.FlagHeldCreditRefused)
		held("abandoned, credit, FINISH", lost, credit3)
		janitor()
		want("FINISH, janitor, credit, janitor", slow, models.OrderPending, false, models.FlagHeldCreditRefused)
		want("FINISH, no cancel, janitor twice", silent, models.OrderFailed, false, "")

		var booked int64
		db.Model(&models.Transfer{}).Where("reference LIKE ?", "deposit:%").Count(&booked)
		if booked != 0 {
			t.Errorf("%d deposit transfers booked; want none: every deposit here was refused", booked)
		}
		r.audit()
	})
}
