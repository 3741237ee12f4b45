package cashier_test

import (
	"errors"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestExcludedFollowsPayoutComingBack: a player the register excludes whose
// whole balance went out in a payout the bank then failed (payoutfailed, Trustly's
// credit still to come: "the money will come back to your balance") has money
// here and signs in withdraw-only to follow it, where they were refused as
// having nothing here until the credit came. A payout the bank confirmed ("Paid
// out") is not money left: only a credit undoes it, and that credit puts the money
// in the wallet, which counts then.
func TestExcludedFollowsPayoutComingBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		e := registerEnv(t, db, fake)
		anna, err := e.svc.Register(e.ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "19790131-1246", ""))
		if err != nil {
			t.Fatal(err)
		}
		account := e.deposit(anna, 100)
		payout, err := e.svc.RequestPayout(e.ctx, anna, account.ID, e.money(anna, 100))
		if err != nil {
			t.Fatal(err)
		}
		payout = e.waitStatus(payout, models.OrderConfirmed)
		fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"})
		withdrawOnly := cashier.Access{WithdrawOnly: true, Register: "fake"}
		for _, step := range []struct {
			what   string
			notify string
			want   cashier.Access
			wallet int64
		}{
			{"paid out, nothing here", "", cashier.Access{}, 0},
			{"the bank failed the payout, its credit to come", trustly.MethodPayoutFailed, withdrawOnly, 0},
			{"the credit gave the money back", trustly.MethodCredit, withdrawOnly, 10000},
		} {
			if step.notify != "" {
				e.apply(e.forge(step.notify, payout, anna, nil))
			}
			e.wantMoney(anna, step.wallet, 0)
			_, access, err := e.svc.Authenticate(e.ctx, "anna@example.com", "correct horse battery")
			if step.want == (cashier.Access{}) {
				if !errors.Is(err, cashier.ErrExcluded) {
					t.Errorf("%s: %+v, %v; want ErrExcluded", step.what, access, err)
				}
			} else if err != nil || access != step.want {
				t.Errorf("%s (payout %s, %q): %+v, %v; want %+v", step.what, e.reload(payout).Status,
					cashier.PayoutStateText(e.reload(payout)), access, err, step.want)
			}
		}
	})
}
