package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayLoginSignedInIsDone: a "Log in with your bank" order (login only)
// whose kyc said CONTINUE and whose browser signed in is done: it reads signed-in
// (models.OrderSignedIn), once, whatever comes after (the kyc again, a cancel,
// the janitor after the checkout's life), where it read "Checkout started" and
// then "abandoned". A sign-in claimed after the janitor abandoned the order (its
// kyc came late in the checkout, so the sign-in window outlives it) makes it
// signed-in too. A login whose browser never came back is abandoned as before, a
// FINISH'd login with its cancel reads failed, and none of them counts against the
// deposit limits.
func TestPayNPlayLoginSignedInIsDone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		login := func(attrs map[string]any) (models.Order, note) {
			t.Helper()
			o := r.pnpLogin("EUR")
			return o, r.kycFor(o, "k-login-done", attrs)
		}
		claim := func(o models.Order, want cashier.SignInClaim) {
			t.Helper()
			if got, err := r.svc.ClaimPayNPlaySignIn(r.ctx, o.ID); err != nil || got != want {
				t.Fatalf("claim of order %d: %q, %v; want %q", o.ID, got, err, want)
			}
		}
		age := func(o models.Order, made, kycAgo time.Duration) {
			t.Helper()
			now := time.Now().UTC()
			if err := db.Model(&models.Order{}).Where("id = ?", o.ID).
				Updates(map[string]any{"created_at": now.Add(-made), "kyc_at": now.Add(-kycAgo)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		janitor := r.janitor
		want := func(o models.Order, status models.OrderStatus, abandoned bool) {
			t.Helper()
			got := r.reload(o)
			if got.Status != status || (got.AbandonedAt != nil) != abandoned {
				t.Errorf("login %d: %s, abandoned %v; want %s, abandoned %t", o.ID, got.Status, got.AbandonedAt, status, abandoned)
			}
			if n := limits.Counts(got); n != 0 {
				t.Errorf("login %d counts %d against the deposit limits; want 0", o.ID, n)
			}
		}

		// Signed in, then the kyc again, a cancel, and the janitor after the
		// checkout's life: still signed in, never abandoned.
		done, kyc := login(dutchAdult)
		r.deliver(kyc, trustly.StatusContinue)
		want(done, models.OrderStarted, false)
		claim(done, cashier.SignInClaimed)
		want(done, models.OrderSignedIn, false)
		r.deliver(kyc, trustly.StatusContinue)
		r.deliver(notify(t, key, trustly.MethodCancel, done, done.EndUserID, nil), "OK")
		want(done, models.OrderSignedIn, false)
		age(done, cashier.CheckoutExpiry+time.Minute, cashier.CheckoutExpiry)

		// The kyc came late in the checkout: the janitor abandons the order, and its
		// browser signs in within the window all the same.
		late, kyc := login(dutchAdult)
		r.deliver(kyc, trustly.StatusContinue)
		age(late, cashier.CheckoutExpiry+time.Minute, 10*time.Minute)

		// The browser never came back: abandoned, as before.
		gone, kyc := login(dutchAdult)
		r.deliver(kyc, trustly.StatusContinue)
		age(gone, cashier.CheckoutExpiry+time.Minute, cashier.CheckoutExpiry)

		// Refused, with the cancel Trustly sends after a FINISH: failed, as before.
		refused, kyc := login(dutchMinor)
		r.deliver(kyc, trustly.StatusFinish)
		r.deliver(notify(t, key, trustly.MethodCancel, refused, refused.EndUserID, nil), "OK")
		r.deliver(kyc, trustly.StatusFinish)
		age(refused, cashier.CheckoutExpiry+time.Minute, cashier.CheckoutExpiry)

		janitor()
		want(done, models.OrderSignedIn, false)
		want(late, models.OrderAbandoned, true)
		want(gone, models.OrderAbandoned, true)
		want(refused, models.OrderFailed, false)

		claim(late, cashier.SignInClaimed)
		want(late, models.OrderSignedIn, true)
		claim(done, cashier.SignInUsed)
		r.deliver(notify(t, key, trustly.MethodCancel, late, late.EndUserID, nil), "OK")
		janitor()
		want(late, models.OrderSignedIn, true)
		want(done, models.OrderSignedIn, false)
		r.audit()
	})
}
