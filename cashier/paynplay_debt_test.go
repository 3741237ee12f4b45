package cashier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// debtWhileDeciding is a paynplay.Limits that, the first time it is asked, puts
// the player's wallet below zero as a returned deposit does (a debit after the
// money was spent): the decision has read the wallet already.
type debtWhileDeciding struct {
	db     *gorm.DB
	player int64
	asked  int
}

func (d *debtWhileDeciding) DepositAllowance(ctx context.Context, _ paynplay.Depositor, _ string) (paynplay.Allowance, error) {
	d.asked++
	if d.asked == 1 {
		debit := models.Move(fmt.Sprintf("deposit:%d:debit-while-deciding", d.player), "", models.PlayerWallet(d.player),
			models.TrustlyClearing, models.Money{Minor: 15000, Currency: "EUR"})
		debit.AllowOverdraft = true
		if _, err := ledger.New(d.db).Post(ctx, debit); err != nil {
			return paynplay.Allowance{}, err
		}
	}
	return paynplay.Allowance{}, nil
}

// TestPayNPlayDebtDuringDecision: a returning player's wallet, or a signed-in
// password player's whose own deposit it is (hybrid), goes below zero (a
// returned deposit) while their kyc is being decided, outside the write lock: a
// wallet below zero blocks deposits as staff's block does, so the decision is
// taken again and refused, and nothing is booked; the same deposit without the
// debt is booked, so the test can fail.
func TestPayNPlayDebtDuringDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, hybrid := range []bool{false, true} {
			for _, debt := range []bool{false, true} {
				r := pnpRig(t, db)
				key := rigTrustlyKey()
				n := rigNext()
				entity := fmt.Sprintf("k-debt-%d", n)
				var p models.Player
				var again models.Order
				if hybrid {
					// A signed-in password player's own deposit, with a bank identity
					// no player has: the order is theirs from the start.
					p = models.Player{EndUserID: fmt.Sprintf("p-%d", n), Email: fmt.Sprintf("debt%d@example.com", n),
						FirstName: "Jan", LastName: "de Vries", Country: "NL", Currency: "EUR", CreatedAt: time.Now()}
					if err := db.Create(&p).Error; err != nil {
						t.Fatal(err)
					}
					again = r.pnpOrder(10000, "EUR")
					if err := db.Model(&again).Updates(map[string]any{"player_id": p.ID, "end_user_id": p.EndUserID}).Error; err != nil {
						t.Fatal(err)
					}
					again = r.reload(again)
				} else {
					first := r.pnpOrder(10000, "EUR")
					r.deliver(notify(t, key, trustly.MethodKYC, first, first.EndUserID, kycFields(entity, dutchAdult)), trustly.StatusContinue)
					r.deliver(notify(t, key, trustly.MethodCredit, first, first.EndUserID, nil), "OK")
					p = models.Player{ID: r.reload(first).PlayerID, Currency: "EUR"}
					again = r.pnpOrder(10000, "EUR")
				}
				before := r.wallet(p)
				limits := &debtWhileDeciding{db: db, player: p.ID, asked: 1} // asked: never debits
				if debt {
					limits = &debtWhileDeciding{db: db, player: p.ID}
				}
				r.svc = pnpLimitsService(t, db, limits)
				want, wallet := trustly.StatusContinue, before+10000
				if debt {
					want, wallet = trustly.StatusFinish, before-15000
				}
				r.deliver(notify(t, key, trustly.MethodKYC, again, again.EndUserID, kycFields(entity, dutchAdult)), want)
				r.deliver(notify(t, key, trustly.MethodCredit, again, again.EndUserID, nil), "OK")
				got := r.reload(again)
				switch {
				case !debt && (got.PlayerID != p.ID || got.CreditedAt == nil || r.wallet(p) != wallet):
					t.Errorf("hybrid %v, no debt: player %d, credited %v, wallet %d; want booked to player %d, wallet %d", hybrid, got.PlayerID, got.CreditedAt, r.wallet(p), p.ID, wallet)
				case debt && (limits.asked == 0 || got.CreditedAt != nil || r.wallet(p) != wallet || !strings.Contains(got.KYCReasons, string(paynplay.RuleBlocked))):
					t.Errorf("hybrid %v, wallet below zero during the decision: limits asked %d times, credited %v, wallet %d, reasons %q; want decided again, refused, nothing booked, wallet %d",
						hybrid, limits.asked, got.CreditedAt, r.wallet(p), got.KYCReasons, wallet)
				}
			}
		}
	})
}
