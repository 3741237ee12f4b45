package cashier_test

import (
	"context"
	"fmt"
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
// the landing page with another 1 000 SEK, still without limits, is refused, with
// the sentence of that cap (limits.unset_cap, naming it), not of a limit of theirs
// reached, which they never set.
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
			if text, _ := got.KYCRefusal(); i > 0 && (text.ID != "limits.unset_cap" || len(text.Args) != 2 ||
				text.Args[0] != "Cap" || fmt.Sprint(text.Args[1]) != fmt.Sprint(models.Money{Minor: 100000, Currency: "SEK"})) {
				t.Errorf("deposit %d: refusal %+v; want limits.unset_cap with Cap 1000.00 SEK", i+1, text)
			}
		}
		if total != 100000 {
			t.Errorf("a Swede without deposit limits brought %d öre by Pay N Play; want the policy's UnsetCap, 100000", total)
		}
	})
}

// TestPayNPlayBankIdentityOnBreak: a Finn's Pay N Play deposit, whose kyc finds
// the player by their identity number, is answered FINISH (on-break) while a
// password account whose bank account the bank named as theirs (an account
// notification's personid) is on a break: the password account has neither names
// nor a date of birth to compare, but the bank says it is the same person.
func TestPayNPlayBankIdentityOnBreak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		liisa := map[string]any{"personid": "FI210388-246L", "firstname": "Liisa", "lastname": "Virtanen", "dob": "1988-03-21",
			"street": "Aleksanterinkatu 1", "zipcode": "00100", "city": "Helsinki", "country": "FI"}
		first := r.pnpOrder(5000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, first, first.EndUserID, kycFields("k-liisa", liisa)), trustly.StatusContinue)

		pw := models.Player{EndUserID: "pw-" + first.MessageID, Email: "pw-" + first.MessageID + "@example.com",
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: "L", LastName: "V", Country: "FI", Currency: "EUR",
			Role: models.RolePlayer}
		if err := db.Create(&pw).Error; err != nil {
			t.Fatal(err)
		}
		dep := r.order(pw, 2000)
		r.deliver(notify(t, key, trustly.MethodAccount, dep, pw.EndUserID, map[string]any{"accountid": "4711000001",
			"attributes": map[string]any{"clearinghouse": "FINLAND", "bank": "Nordea", "descriptor": "**0001",
				"lastdigits": "0001", "personid": "FI210388-246L", "name": "Liisa Virtanen"}}), trustly.StatusOK)
		if _, err := r.svc.TakeBreak(r.ctx, pw, "", breaks.TimeOut30d); err != nil {
			t.Fatal(err)
		}
		second := r.pnpOrder(5000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, second, second.EndUserID, kycFields("k-liisa", liisa)), trustly.StatusFinish)
		if got := r.reload(second); !strings.Contains(got.KYCReasons, string(paynplay.RuleOnBreak)) ||
			!strings.Contains(got.KYCReasons, "another account of the person") {
			t.Errorf("kyc of the person whose password account is on a break: reasons %q; want on-break, another account", got.KYCReasons)
		}

		// A person new to Pay N Play here, whose password account (other names
		// typed, so no lookalike) the bank named: their first deposit is refused
		// too, with the sentence of another account on a break; a login is not.
		matti := map[string]any{"personid": "FI131052-309U", "firstname": "Matti", "lastname": "Meikäläinen", "dob": "1952-10-13",
			"street": "Mannerheimintie 1", "zipcode": "00100", "city": "Helsinki", "country": "FI"}
		pw2 := models.Player{EndUserID: "pw2-" + first.MessageID, Email: "pw2-" + first.MessageID + "@example.com",
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: "M", LastName: "M", Country: "FI", Currency: "EUR",
			Role: models.RolePlayer}
		if err := db.Create(&pw2).Error; err != nil {
			t.Fatal(err)
		}
		dep2 := r.order(pw2, 2000)
		r.deliver(notify(t, key, trustly.MethodAccount, dep2, pw2.EndUserID, map[string]any{"accountid": "4711000002",
			"attributes": map[string]any{"clearinghouse": "FINLAND", "bank": "Nordea", "descriptor": "**0002",
				"lastdigits": "0002", "personid": "FI131052-309U", "name": "Matti Meikäläinen"}}), trustly.StatusOK)
		if _, err := r.svc.TakeBreak(r.ctx, pw2, "", breaks.TimeOut7d); err != nil {
			t.Fatal(err)
		}
		fresh := r.pnpOrder(5000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, fresh, fresh.EndUserID, kycFields("k-matti", matti)), trustly.StatusFinish)
		got := r.reload(fresh)
		if text, _ := got.KYCRefusal(); !strings.Contains(got.KYCReasons, string(paynplay.RuleOnBreak)) || got.PlayerID != 0 ||
			text.ID != "breaks.other_account" {
			t.Errorf("first deposit of a new person whose password account is on a break: player %d, reasons %q, text %+v; want on-break, no player, breaks.other_account",
				got.PlayerID, got.KYCReasons, text)
		}
		login := r.pnpLogin("EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, login, login.EndUserID, kycFields("k-matti", matti)), trustly.StatusContinue)
	})
}
