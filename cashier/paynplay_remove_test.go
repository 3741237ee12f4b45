package cashier_test

import (
	"errors"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestPureAccountNotRemovable: in a pure Pay N Play market the service itself
// refuses to remove the account the player deposited from, whoever calls it (not
// only the web route, which refuses first): payouts there go only to that account,
// and one removed could come back only by a deposit, which a player on a break, at
// a limit or self-excluded cannot make. The refusal is ErrKeptInPure, the account
// stays listed, and the payout goes to it. In a hybrid market the same account is
// removed.
func TestPureAccountNotRemovable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			mode, person string
			removed      bool
		}{{"pure", "fi-adult", false}, {"hybrid", "fi-adult2", true}} {
			e := pnpEnv(t, db, tt.mode)
			amount := models.Money{Minor: 10000, Currency: "EUR"}
			order, err := e.as(tt.person).StartPayNPlay(e.ctx, &amount, "FI", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			p := *e.pnpDone(order).Player
			var accounts []models.BankAccount
			e.waitFor("the deposit's account", func() bool {
				accounts, _ = e.svc.BankAccounts(e.ctx, p)
				return len(accounts) == 1
			})
			_, err = e.svc.RemoveBankAccount(e.ctx, p, accounts[0].ID)
			if got := err == nil; got != tt.removed || (!tt.removed && !errors.Is(err, cashier.ErrKeptInPure)) {
				t.Fatalf("%s: remove the deposit account: %v; want removed %t (else ErrKeptInPure)", tt.mode, err, tt.removed)
			}
			left, err := e.svc.BankAccounts(e.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(left) == 0; got != tt.removed {
				t.Fatalf("%s: accounts left %d; want removed %t", tt.mode, len(left), tt.removed)
			}
			if tt.removed {
				continue
			}
			payout, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "EUR"})
			if err != nil {
				t.Fatalf("%s: payout after the refused removal: %v", tt.mode, err)
			}
			if payout.BankAccountID != accounts[0].ID {
				t.Errorf("%s: payout to account %d; want the one deposited from, %d", tt.mode, payout.BankAccountID, accounts[0].ID)
			}
		}
	})
}
