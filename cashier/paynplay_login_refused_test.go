package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayLoginRefusedIsFailed: a "Log in with your bank" order whose kyc the
// cashier answered FINISH (here: under 18) is refused, and reads failed from that
// decision on, as it did only once Trustly's cancel came: without a cancel the
// janitor made it "abandoned" after the checkout's life, which told staff nothing
// of the refusal. Whatever the order of the kyc, the cancel, a redelivered kyc, a
// second kyc and the janitor, it ends failed, never abandoned by the janitor, its
// decision taken once; a login the janitor abandoned before its kyc came reads
// failed once the FINISH comes. A login whose kyc said CONTINUE and whose browser
// never came back is still abandoned. None counts against the deposit limits.
func TestPayNPlayLoginRefusedIsFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		login := func(attrs map[string]any) (models.Order, note) {
			t.Helper()
			o := r.pnpLogin("EUR")
			return o, r.kycFor(o, "k-login-refused", attrs)
		}
		cancel := func(o models.Order) {
			t.Helper()
			r.deliver(notify(t, key, trustly.MethodCancel, o, o.EndUserID, nil), "OK")
		}
		expire := r.expireCheckout
		janitor := r.janitor
		want := func(what string, o models.Order, status models.OrderStatus, abandoned bool) models.Order {
			t.Helper()
			got := r.reload(o)
			if got.Status != status || (got.AbandonedAt != nil) != abandoned {
				t.Errorf("%s (login %d): %s, abandoned %v; want %s, abandoned %t", what, o.ID, got.Status, got.AbandonedAt, status, abandoned)
			}
			if n := limits.Counts(got); n != 0 {
				t.Errorf("%s (login %d) counts %d against the deposit limits; want 0", what, o.ID, n)
			}
			return got
		}

		// The kyc said FINISH and no cancel comes: refused at once, and the janitor
		// leaves it so after the checkout's life.
		silent, kyc := login(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		decided := want("FINISH, no cancel", silent, models.OrderFailed, false)
		expire(silent)

		// The kyc said FINISH, then the cancel Trustly sends after it.
		cancelled, kyc := login(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		want("FINISH", cancelled, models.OrderFailed, false)
		cancel(cancelled)
		want("FINISH, cancel", cancelled, models.OrderFailed, false)
		expire(cancelled)

		// The cancel first, then the kyc, delivered again, and a second kyc with
		// another notificationid: answered as decided, once.
		early, kyc := login(dutchMinor)
		cancel(early)
		r.deliver(kyc, trustly.StatusFinish)
		r.deliver(kyc, trustly.StatusFinish)
		r.deliver(notify(t, key, trustly.MethodKYC, early, early.EndUserID, kycFields("k-login-refused-again", dutchMinor)), trustly.StatusFinish)
		want("cancel, FINISH, FINISH again", early, models.OrderFailed, false)
		expire(early)

		// No word from Trustly during the checkout's life: abandoned; a FINISH that
		// comes after says what happened.
		late, kyc := login(dutchMinor)
		expire(late)
		janitor()
		want("abandoned, no kyc", late, models.OrderAbandoned, true)
		r.deliver(kyc, trustly.StatusFinish)
		want("abandoned, then FINISH", late, models.OrderFailed, true)

		// The kyc let the person in and the browser never came back: abandoned.
		gone, kyc := login(dutchAdult)
		r.deliver(kyc, trustly.StatusContinue)
		expire(gone)

		janitor()
		got := want("FINISH, no cancel, janitor", silent, models.OrderFailed, false)
		if got.KYCOutcome != models.KYCFinish || got.KYCAt == nil || !got.KYCAt.Equal(*decided.KYCAt) {
			t.Errorf("the refused login's decision after the janitor: %q at %v; want finish at %v", got.KYCOutcome, got.KYCAt, decided.KYCAt)
		}
		want("FINISH, cancel, janitor", cancelled, models.OrderFailed, false)
		want("cancel, FINISH, janitor", early, models.OrderFailed, false)
		want("CONTINUE, never signed in, janitor", gone, models.OrderAbandoned, true)
		janitor()
		want("FINISH, no cancel, janitor twice", silent, models.OrderFailed, false)
		for _, o := range []models.Order{silent, cancelled, early, late} {
			if got := r.reload(o); got.PlayerID != 0 {
				t.Errorf("refused login %d belongs to player %d; want none", o.ID, got.PlayerID)
			}
		}
		r.audit()
	})
}
