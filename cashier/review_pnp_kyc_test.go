package cashier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Review of Pay N Play (review-pnp): the kyc decision's tests from it (the third,
// TestReviewPNPCappedDepositFlagged, is another change's).

// hybridService is a Service with Pay N Play in modes (CASHIER_PAYNPLAY), the
// sandbox's register and the built-in deposit-limit policies.
func hybridService(t *testing.T, db *gorm.DB, mode string) *cashier.Service {
	t.Helper()
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
		PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	modes, err := paynplay.ParseModes(mode)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
		TrustlyKey: &rigTrustlyKey().PublicKey, Log: rigLog(), Exclusions: exclusions.Sandbox(),
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
			IntegrationModule: "cashier-test/1", PayNPlay: modes, LimitPolicy: limits.Builtin()}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestReviewPNPPasswordPlayerShedsBreak: in a hybrid Finnish market a password
// player registered with a name only (FI registration asks for no henkilötunnus,
// RegisterMarkets), so no personid is stored. Matti takes a 30-day time-out (or
// staff block him). He then presses "Deposit & play" on the start page without
// signing in and logs in at his bank: findKnown looks only by personid and finds
// no one, and the lookalike check (a new account would shed the block or the
// break) runs only for identities without a personid (NL). The kyc says
// CONTINUE, a second player is created for the same person with no break and no
// block, and he deposits and plays on through his own time-out; staff are not
// even told (no flag). The same holds for a Swedish account from before the
// personnummer was asked, which the README says exist.
func TestReviewPNPPasswordPlayerShedsBreak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = hybridService(t, db, "FI=hybrid")
		key := rigTrustlyKey()
		matti := map[string]any{"personid": "FI131052-309U", "firstname": "Matti", "lastname": "Meikäläinen",
			"dob": "1952-10-13", "street": "Mannerheimintie 1", "zipcode": "00100", "city": "Helsinki", "country": "FI"}
		liisa := map[string]any{"personid": "FI210388-246L", "firstname": "Liisa", "lastname": "Virtanen",
			"dob": "1988-03-21", "street": "Kauppakatu 12", "zipcode": "40100", "city": "Jyväskylä", "country": "FI"}
		for _, tt := range []struct {
			name  string
			kyc   map[string]any
			close func(p models.Player)
		}{
			{"on a break", matti, func(p models.Player) {
				if _, err := r.svc.TakeBreak(r.ctx, p, "", breaks.TimeOut30d); err != nil {
					t.Fatal(err)
				}
			}},
			{"blocked by staff", liisa, func(p models.Player) {
				if err := db.Model(&models.Player{}).Where("id = ?", p.ID).Update("blocked", true).Error; err != nil {
					t.Fatal(err)
				}
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				n := rigNext()
				first, last := tt.kyc["firstname"].(string), tt.kyc["lastname"].(string)
				password := models.Player{EndUserID: fmt.Sprintf("fi-pw-%d", n), Email: fmt.Sprintf("fi-pw-%d@example.com", n),
					PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: first, LastName: last,
					Country: "FI", Currency: "EUR", Role: models.RolePlayer}
				if err := db.Create(&password).Error; err != nil {
					t.Fatal(err)
				}
				tt.close(password)

				o := r.pnpOrder(5000, "EUR") // "Deposit & play" on the FI start page, not signed in
				answer, err := r.svc.HandleNotification(r.ctx,
					notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, tt.kyc)).raw)
				if err != nil {
					t.Fatal(err)
				}
				got := r.reload(o)
				var players int64
				db.Model(&models.Player{}).Where("country = ? AND last_name = ?", "FI", last).Count(&players)
				if strings.Contains(string(answer), trustly.StatusContinue) && got.Flag == "" {
					t.Errorf("%s password player: kyc of the same person's bank identity answered CONTINUE (reasons %q), now %d players named %s %s, order not flagged; want FINISH (lookalike-closed), as for a Dutch lookalike",
						tt.name, got.KYCReasons, players, first, last)
				}
			})
		}
	})
}

// TestReviewPNPNewDutchAdultGetsYoungCap: a new Dutch person of 50 (Jan de Vries,
// born 1975) deposits 500 EUR by Pay N Play. The NL policy's default monthly limit
// is 700 EUR, and 300 EUR only for players under 25. The kyc carries his date of
// birth, but the decision asks the limits for "playerID 0" (Decide's subject), and
// limits.allowance builds a Player{Country: NL} without it; Policy.young counts an
// unknown date of birth as young. So every new Dutch adult's first deposit is cut
// to 300.00 (CONTINUE with limit) although the kyc proved they are past 25: the
// player is told of a cap that the rules give only to the young.
func TestReviewPNPNewDutchAdultGetsYoungCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = pnpLimitsService(t, db, nil)
		key := rigTrustlyKey()
		o := r.pnpOrder(50000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-jan-"+o.MessageID, dutchAdult)), trustly.StatusContinue)
		got := r.reload(o)
		if got.KYCLimitMinor != 0 {
			t.Errorf("a new Dutch person born %s depositing 500.00 EUR: kyc limit %d (reasons %q); want none, the adult default of 700 EUR leaves 500",
				dutchAdult["dob"], got.KYCLimitMinor, got.KYCReasons)
		}
	})
}
