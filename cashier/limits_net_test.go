package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestNetLimitsCountWhatStayedOut: a net deposit limit (NL), the reality check
// and the payout approval window count the same money of a sent payout as gone
// from the wallet: what the bank's answers left out of it. After a deposit of
// 200 and a payout of 100, a return in full or a cancel's return leaves nothing
// out; a credit of 40 (alone, after payoutfailed, or after a confirmation took
// a cancel's return back) leaves 60 out; a confirmation that took a cancel's
// return back leaves the whole 100 out. The month's net deposits are 200 less
// that, the reality check's withdrawals that, and a payout of 10 after it is
// decided on that plus 10.
func TestNetLimitsCountWhatStayedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		e.cfg.LimitPolicy = limits.Builtin()
		e.svc = e.service(nil)
		credit40 := map[string]any{"method": trustly.MethodCredit, "amount": "40.00"}
		for _, tt := range []struct {
			name  string
			notes []map[string]any // each a notification: "method" and fields
			out   int64            // EUR that stayed out of the wallet
		}{
			{"sent", nil, 100},
			{"confirmed", []map[string]any{{"method": trustly.MethodPayoutConfirmation}}, 100},
			{"returned in full", []map[string]any{{"method": trustly.MethodCredit}}, 0},
			{"returned in part", []map[string]any{credit40}, 60},
			{"confirmed, returned in part", []map[string]any{{"method": trustly.MethodPayoutConfirmation}, credit40}, 60},
			{"failed, returned in part", []map[string]any{{"method": trustly.MethodPayoutFailed}, credit40}, 60},
			{"cancelled", []map[string]any{{"method": trustly.MethodCancel}}, 0},
			{"cancelled, then confirmed", []map[string]any{{"method": trustly.MethodCancel}, {"method": trustly.MethodPayoutConfirmation}}, 100},
			{"cancelled, confirmed, returned", []map[string]any{{"method": trustly.MethodCancel}, {"method": trustly.MethodPayoutConfirmation},
				{"method": trustly.MethodCredit}}, 0},
			{"cancelled, confirmed, returned in part", []map[string]any{{"method": trustly.MethodCancel}, {"method": trustly.MethodPayoutConfirmation},
				credit40}, 60},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				p := e.player("NL") // net deposits; 300 EUR a month by default without a date of birth
				signedIn := e.clock.Now().Add(-2 * time.Hour)
				e.hold.Store(false)
				account := e.deposit(p, 200)
				e.hold.Store(true) // only the forged notifications arrive
				payout := e.windowPayout(e.svc, p, account, 100, false)
				if payout.Status != models.OrderSent {
					t.Fatalf("payout %s; want sent", payout.Status)
				}
				for _, n := range tt.notes {
					fields := map[string]any{}
					for k, v := range n {
						if k != "method" {
							fields[k] = v
						}
					}
					e.apply(e.forge(n["method"].(string), payout, p, fields))
				}
				e.wantMoney(p, (200-tt.out)*100, 0)

				st, err := e.svc.DepositLimits(e.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, ps := range st.Periods {
					if ps.Period == limits.Month && ps.Used.Minor != (200-tt.out)*100 {
						t.Errorf("net deposits of the month %d; want %d", ps.Used.Minor, (200-tt.out)*100)
					}
				}
				rc, err := e.svc.RealityCheck(e.ctx, p, signedIn, signedIn)
				if err != nil || rc.Payouts.Minor != tt.out*100 {
					t.Errorf("reality check %+v, %v; want withdrawals %d", rc, err, tt.out*100)
				}
				// A payoutfailed marks the account; the next payout may use it here.
				if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).UpdateColumn("payout_failure", "").Error; err != nil {
					t.Fatal(err)
				}
				next := e.windowPayout(e.svc, p, account, 10, false)
				if next.WindowMinor != (tt.out+10)*100 {
					t.Errorf("payout of 10 after it: window %d; want %d", next.WindowMinor, (tt.out+10)*100)
				}
			})
		}
	})
}
