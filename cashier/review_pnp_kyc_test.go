package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Review of Pay N Play (review-pnp): the kyc decision's tests from it (the third,
// TestReviewPNPCappedDepositFlagged, is another change's).

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
