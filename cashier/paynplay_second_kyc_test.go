package cashier_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlaySecondKYCOtherPerson: a kyc for an order whose kyc said CONTINUE
// before, naming another person (another personid; without one, as in NL, other
// names or another date of birth), is answered FINISH, not with the stored
// CONTINUE that would let that person pay into the first one's wallet, and the
// order is flagged for staff; the order keeps its decision and player, and its
// credit is booked to them. The first kyc delivered again (another
// notificationid) is still answered CONTINUE, unflagged.
func TestPayNPlaySecondKYCOtherPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		otherSwede := maps.Clone(swedishAdult)
		otherSwede["personid"], otherSwede["firstname"], otherSwede["lastname"], otherSwede["dob"] = "SE199006152350", "Lars", "Nilsson", "1990-06-15"
		otherDutch := maps.Clone(dutchAdult)
		otherDutch["firstname"], otherDutch["lastname"], otherDutch["dob"] = "Piet", "Bakker", "1960-01-01"
		olderDutch := maps.Clone(dutchAdult)
		olderDutch["dob"] = "1975-07-15"
		for _, tt := range []struct {
			name            string
			currency        string
			first, second   map[string]any
			entity, entity2 string
			want            string
		}{
			{"same person again", "EUR", dutchAdult, dutchAdult, "k-same", "k-same", trustly.StatusContinue},
			{"same Swede, other kycentityid", "SEK", swedishAdult, swedishAdult, "k-se", "k-se-2", trustly.StatusContinue},
			{"another personid", "SEK", swedishAdult, otherSwede, "k-se", "k-se-other", trustly.StatusFinish},
			{"other Dutch names", "EUR", dutchAdult, otherDutch, "k-nl", "k-nl-other", trustly.StatusFinish},
			{"other Dutch date of birth", "EUR", dutchAdult, olderDutch, "k-nl", "k-nl", trustly.StatusFinish},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := pnpRig(t, db)
				key := rigTrustlyKey()
				o := r.pnpOrder(10000, tt.currency)
				r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(tt.entity, tt.first)), trustly.StatusContinue)
				decided := r.reload(o)
				player := models.Player{ID: decided.PlayerID, Currency: tt.currency}
				before := r.wallet(player) // the same person's player across the cases
				r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(tt.entity2, tt.second)), tt.want)
				r.deliver(notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil), "OK")
				got := r.reload(o)
				flagged := strings.Contains(got.Flag, "a second kyc names another person")
				if got.PlayerID != decided.PlayerID || got.KYCOutcome != models.KYCContinue || got.CreditedAt == nil ||
					r.wallet(player) != before+10000 || flagged != (tt.want == trustly.StatusFinish) {
					t.Errorf("player %d (was %d), kyc %q, credited %v, flag %q; want the first decision kept, credited to its player, flagged %v",
						got.PlayerID, decided.PlayerID, got.KYCOutcome, got.CreditedAt, got.Flag, tt.want == trustly.StatusFinish)
				}
			})
		}
	})
}
