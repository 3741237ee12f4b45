package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// pnpExpiryService is pnpRig's Service with Config.CheckoutExpiry set to expiry.
func pnpExpiryService(t *testing.T, db *gorm.DB, expiry time.Duration) *cashier.Service {
	t.Helper()
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
		PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	modes, _ := paynplay.ParseModes("pure")
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
		TrustlyKey: &rigTrustlyKey().PublicKey, Log: rigLog(), Exclusions: exclusions.Sandbox(),
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
			IntegrationModule: "cashier-test/1", PayNPlay: modes, CheckoutExpiry: expiry}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestPayNPlaySignInExpires: an order whose kyc said CONTINUE signs its browser in
// only within the checkout expiry (30 minutes, or Config.CheckoutExpiry) of that
// decision, or of the order when no decision time is stored, and within twice
// that of the order however late its kyc was decided. After that
// PayNPlayResult says expired, with no player, and the claim refuses it even when
// the result was read in time: the bound is in the claim's UPDATE. An order that
// signed in stays ready for its player (Back after the sign-in), and its claim is
// used, however old.
func TestPayNPlaySignInExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		short := pnpExpiryService(t, db, 5*time.Minute)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name    string
			svc     *cashier.Service // nil: pnpRig's, CheckoutExpiry unset (30 minutes)
			claimed bool             // the order signed in right after its kyc
			kycAgo  time.Duration    // then its kyc is made this old (0: kyc_at NULL)
			made    time.Duration    // and the order this old
			state   cashier.PayNPlayState
			later   time.Duration // the kyc and the order made this old after the result is read
			claim   cashier.SignInClaim
		}{
			{name: "kyc 29 minutes ago", kycAgo: 29 * time.Minute, made: 40 * time.Minute,
				state: cashier.PayNPlayReady, claim: cashier.SignInClaimed},
			{name: "kyc 31 minutes ago", kycAgo: 31 * time.Minute, made: 31 * time.Minute,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			{name: "kyc six hours ago", kycAgo: 6 * time.Hour, made: 6 * time.Hour,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			{name: "no kyc time, order 29 minutes old", made: 29 * time.Minute,
				state: cashier.PayNPlayReady, claim: cashier.SignInClaimed},
			{name: "no kyc time, order 31 minutes old", made: 31 * time.Minute,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			// A kyc comes while the player is in the checkout, which lives as long as
			// the expiry: one decided later is a late delivery (Trustly retrying
			// after an answer was lost), and its browser's return is no checkout's.
			{name: "kyc a minute ago, order 59 minutes old", kycAgo: time.Minute, made: 59 * time.Minute,
				state: cashier.PayNPlayReady, claim: cashier.SignInClaimed},
			{name: "kyc a minute ago, order 61 minutes old", kycAgo: time.Minute, made: 61 * time.Minute,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			{name: "kyc a minute ago, order three hours old", kycAgo: time.Minute, made: 3 * time.Hour,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			{name: "read in time, claimed too late", kycAgo: time.Minute, made: time.Minute, later: 31 * time.Minute,
				state: cashier.PayNPlayReady, claim: cashier.SignInExpired},
			{name: "signed in, six hours on", claimed: true, kycAgo: 6 * time.Hour, made: 6 * time.Hour,
				state: cashier.PayNPlayReady, claim: cashier.SignInUsed},
			{name: "CheckoutExpiry 5m, kyc 4 minutes ago", svc: short, kycAgo: 4 * time.Minute, made: 4 * time.Minute,
				state: cashier.PayNPlayReady, claim: cashier.SignInClaimed},
			{name: "CheckoutExpiry 5m, kyc 6 minutes ago", svc: short, kycAgo: 6 * time.Minute, made: 6 * time.Minute,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
			{name: "CheckoutExpiry 5m, kyc a minute ago, order 11 minutes old", svc: short, kycAgo: time.Minute, made: 11 * time.Minute,
				state: cashier.PayNPlayExpired, claim: cashier.SignInExpired},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				svc := r.svc
				if tt.svc != nil {
					svc = tt.svc
				}
				o := r.pnpOrder(10000, "SEK")
				r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-signin", swedishAdult)), trustly.StatusContinue)
				age := func(kycAgo, made time.Duration) {
					t.Helper()
					now := time.Now().UTC()
					set := map[string]any{"created_at": now.Add(-made), "kyc_at": nil}
					if kycAgo > 0 {
						set["kyc_at"] = now.Add(-kycAgo)
					}
					if err := db.Model(&models.Order{}).Where("id = ?", o.ID).Updates(set).Error; err != nil {
						t.Fatal(err)
					}
				}
				if tt.claimed {
					if got, err := svc.ClaimPayNPlaySignIn(r.ctx, o.ID); err != nil || got != cashier.SignInClaimed {
						t.Fatalf("claim right after the kyc %q, %v; want claimed", got, err)
					}
				}
				age(tt.kycAgo, tt.made)
				out, err := svc.PayNPlayResult(r.ctx, o.MessageID)
				if err != nil {
					t.Fatal(err)
				}
				if out.State != tt.state || (out.Player != nil) != (tt.state == cashier.PayNPlayReady) {
					t.Errorf("result %s, player %t; want %s", out.State, out.Player != nil, tt.state)
				}
				if tt.later > 0 {
					age(tt.later, tt.later)
				}
				got, err := svc.ClaimPayNPlaySignIn(r.ctx, o.ID)
				if err != nil || got != tt.claim {
					t.Errorf("claim %q, %v; want %q", got, err, tt.claim)
				}
				if tt.claim == cashier.SignInClaimed {
					if again, err := svc.ClaimPayNPlaySignIn(r.ctx, o.ID); err != nil || again != cashier.SignInUsed {
						t.Errorf("second claim %q, %v; want used", again, err)
					}
				}
				if signed, want := r.reload(o).SignedInAt != nil, tt.claimed || tt.claim == cashier.SignInClaimed; signed != want {
					t.Errorf("signed_in_at set %t; want %t", signed, want)
				}
			})
		}
	})
}
