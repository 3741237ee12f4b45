package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRegisterAccountLongResult: RegisterAccount's result naming a bank, a
// descriptor or a clearing house longer than kept saves the account with them cut
// to their columns, on PostgreSQL as on SQLite, where PostgreSQL refused the full
// text and the player read that the account could not be saved; an accountid
// longer than kept, which cut would name another account, saves nothing and the
// player reads that it could not be saved, on both databases.
func TestRegisterAccountLongResult(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		accountID := "2853579240"
		fake := newFakeTrustly(t, func(method string, _ map[string]any) (any, int) {
			return map[string]any{"accountid": accountID, "clearinghouse": strings.Repeat("C", 40),
				"bank": strings.Repeat("B", 150), "descriptor": strings.Repeat("*", 150)}, 0
		})
		r := newRig(t, db, fake.URL, nil)
		p := r.player()
		a, err := r.svc.RegisterBankAccount(r.ctx, p, "SE", "6112", "69706212")
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		if a.Bank != strings.Repeat("B", models.BankNameSize) || a.Descriptor != strings.Repeat("*", models.BankNameSize) ||
			a.ClearingHouse != strings.Repeat("C", models.ClearingHouseSize) || a.AccountID != accountID {
			t.Errorf("saved %+v; want bank and descriptor cut to 100 characters, the clearing house to 32", a)
		}

		accountID = strings.Repeat("7", models.AccountIDSize+1)
		other := r.player()
		if _, err := r.svc.RegisterBankAccount(r.ctx, other, "SE", "6112", "69706212"); !isProblem(err, "problem.account_failed") {
			t.Errorf("an accountid of %d characters: %v; want problem.account_failed", len(accountID), err)
		}
		var n int64
		db.Model(&models.BankAccount{}).Where("player_id = ?", other.ID).Count(&n)
		if n != 0 {
			t.Errorf("%d accounts saved for an accountid too long to keep; want none", n)
		}
	})
}
