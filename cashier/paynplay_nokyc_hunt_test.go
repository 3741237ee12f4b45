package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayCreditNoKYCEnded: a Pay N Play deposit whose credit came but no kyc
// (Trustly sends the kyc before any money moves, so this is Trustly's anomaly)
// holds the money for a player nobody named. Once the order ends (cancelled)
// with no kyc, it read failed with no flag: money received, in no wallet, and
// nothing told staff to return it. It is flagged now, in any order of arrival,
// nothing booked, every notification answered OK; a kyc that still comes and
// says CONTINUE books the credit and the flag goes, the cancel after the credit
// flagged instead; one that says FINISH makes it refused-held, as for any
// refused order. A credit the bank took back (a debit held with it) leaves
// nothing to return, and no such flag.
func TestPayNPlayCreditNoKYCEnded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			events  []string
			kyc     string // "", or the kyc's answer when one comes last
			status  models.OrderStatus
			flagged bool
			want    string // another flag the order must carry
		}{
			{[]string{"credit", "cancel"}, "", models.OrderFailed, true, ""},
			{[]string{"cancel", "credit"}, "", models.OrderFailed, true, ""},
			{[]string{"pending", "credit", "account", "cancel"}, "", models.OrderFailed, true, ""},
			{[]string{"credit"}, "", models.OrderPending, false, ""},
			{[]string{"credit", "debit", "cancel"}, "", models.OrderFailed, false, ""},
			{[]string{"credit", "cancel"}, trustly.StatusContinue, models.OrderCredited, false, models.FlagCancelAfterCredit},
			{[]string{"credit", "cancel"}, trustly.StatusFinish, models.OrderRefusedHeld, false, models.FlagHeldCreditRefused},
		} {
			t.Run(strings.Join(tt.events, "+")+"+kyc"+tt.kyc, func(t *testing.T) {
				r.t = t
				o := r.pnpOrder(10000, "EUR")
				notes := map[string]note{}
				for _, m := range tt.events {
					notes[m] = notify(t, key, m, o, o.EndUserID, nil)
				}
				for range 2 {
					for _, m := range tt.events {
						r.deliver(notes[m], "OK")
					}
				}
				switch tt.kyc {
				case trustly.StatusContinue:
					r.deliver(r.kycFor(o, "nokyc", dutchAdult), trustly.StatusContinue)
				case trustly.StatusFinish:
					r.deliver(r.kycFor(o, "nokyc", dutchMinor), trustly.StatusFinish)
				}
				got := r.reload(o)
				flagged := got.Flags()[models.FlagHeldCreditNoKYC]
				if got.Status != tt.status || flagged != tt.flagged || (tt.want != "" && !got.Flags()[tt.want]) {
					t.Errorf("status %s flags %q; want %s, flagged %t, with %q", got.Status, got.Flag, tt.status, tt.flagged, tt.want)
				}
				var wallet int64
				if got.PlayerID != 0 {
					wallet = r.wallet(models.Player{ID: got.PlayerID, Currency: "EUR"})
				}
				if want := map[bool]int64{true: 10000}[got.Status == models.OrderCredited]; wallet != want {
					t.Errorf("wallet %d; want %d", wallet, want)
				}
				r.audit()
			})
		}
	})
}
