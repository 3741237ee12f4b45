package cashier_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// breakDuringKYC is the cashier's limits, which run hook once before answering for
// a player: a break taken while the kyc decision is taken (the register and the
// limits are read outside the write lock, and may take seconds).
type breakDuringKYC struct {
	*limits.Service
	once sync.Once
	hook func()
}

func (b *breakDuringKYC) DepositAllowance(ctx context.Context, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	if who.PlayerID != 0 {
		b.once.Do(b.hook)
	}
	return b.Service.DepositAllowance(ctx, who, currency)
}

// TestPayNPlayBreakDuringDecision: a returning player takes a 7-day time-out while
// the kyc of their Pay N Play deposit is being decided, or another account with
// their names and date of birth (a password account from before the personnummer
// was asked) does. The decision is taken again in the write transaction and
// refused as on a break: no deposit during a break.
func TestPayNPlayBreakDuringDecision(t *testing.T) {
	for _, twin := range []bool{false, true} {
		name := map[bool]string{false: "player", true: "other account"}[twin]
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				r := pnpRig(t, db)
				r.svc = pnpLimitsService(t, db, nil)
				key := rigTrustlyKey()
				first := r.pnpOrder(50000, "SEK")
				r.deliver(notify(t, key, trustly.MethodKYC, first, first.EndUserID, kycFields("entity-"+first.MessageID, swedishAdult)), trustly.StatusContinue)
				var p models.Player
				if err := db.Take(&p, r.reload(first).PlayerID).Error; err != nil {
					t.Fatal(err)
				}
				if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Month: 500000}); err != nil {
					t.Fatal(err)
				}
				takes := p
				if twin {
					takes = models.Player{EndUserID: "pw-twin-" + first.MessageID, Email: "twin-" + first.MessageID + "@example.com",
						PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: p.FirstName, LastName: p.LastName,
						Country: p.Country, Currency: p.Currency, DateOfBirth: p.DateOfBirth, Role: models.RolePlayer}
					if err := db.Create(&takes).Error; err != nil {
						t.Fatal(err)
					}
				}
				lim := &breakDuringKYC{Service: limits.New(db, limits.Builtin(), nil)}
				svc := pnpLimitsService(t, db, lim)
				lim.hook = func() {
					if _, err := svc.TakeBreak(r.ctx, takes, "", breaks.TimeOut7d); err != nil {
						t.Error(err)
					}
				}
				r.svc = svc
				o := r.pnpOrder(20000, "SEK")
				r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, swedishAdult)), trustly.StatusFinish)
				got := r.reload(o)
				if _, on, err := svc.CurrentBreak(r.ctx, takes); err != nil || !on {
					t.Fatalf("no break in force: %v", err)
				}
				if got.KYCOutcome != models.KYCFinish {
					t.Errorf("kyc of a deposit whose %s took a break meanwhile: %q (reasons %q); want finish", name, got.KYCOutcome, got.KYCReasons)
				}
			})
		})
	}
}

// TestPayNPlayUnsetCapForAllDeposits: a Swede who never sets a deposit limit may
// bring the policy's UnsetCap (1 000 SEK) by Pay N Play before the cashier asks
// for the limits: for all such deposits together, not for each. Coming back by
// the landing page with another 1 000 SEK, still without limits, is refused.
func TestPayNPlayUnsetCapForAllDeposits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = pnpLimitsService(t, db, nil)
		key := rigTrustlyKey()
		total := int64(0)
		for i, want := range []string{trustly.StatusContinue, trustly.StatusFinish, trustly.StatusFinish} {
			o := r.pnpOrder(100000, "SEK") // an unknown visitor's order, from the landing page
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-unset-cap", swedishAdult)), want)
			got := r.reload(o)
			total += limits.Counts(got)
			if i > 0 && !strings.Contains(got.KYCReasons, string(paynplay.RuleLimitReached)) {
				t.Errorf("deposit %d: reasons %q; want %s", i+1, got.KYCReasons, paynplay.RuleLimitReached)
			}
		}
		if total != 100000 {
			t.Errorf("a Swede without deposit limits brought %d öre by Pay N Play; want the policy's UnsetCap, 100000", total)
		}
	})
}
