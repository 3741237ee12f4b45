package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlayAccountWaitsForKYC: the account notification of a signed-in
// player's Pay N Play deposit (hybrid: the order is theirs from the start) saves
// the bank account only once the kyc says CONTINUE, as the deposit's credit is
// held until then. An account that came before a kyc answered FINISH (a bank
// identity that is not the player's), or after it, is never saved for the
// player, so no payout can go to it; after CONTINUE it is saved, in either order.
func TestPayNPlayAccountWaitsForKYC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		r.svc = hybridService(t, db, "NL=hybrid,SE=hybrid")
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name          string
			accountFirst  bool
			refused       bool
			wantAccounts  int
			wantKYCAnswer string
		}{
			{"account, then a kyc answered FINISH", true, true, 0, trustly.StatusFinish},
			{"a kyc answered FINISH, then account", false, true, 0, trustly.StatusFinish},
			{"account, then a kyc answered CONTINUE", true, false, 1, trustly.StatusContinue},
			{"a kyc answered CONTINUE, then account", false, false, 1, trustly.StatusContinue},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				n := rigNext()
				p := models.Player{EndUserID: fmt.Sprintf("p-%d", n), Email: fmt.Sprintf("jan%d@example.com", n),
					FirstName: "Jan", LastName: "de Vries", Country: "NL", Currency: "EUR", Role: models.RolePlayer, CreatedAt: time.Now()}
				if err := db.Create(&p).Error; err != nil {
					t.Fatal(err)
				}
				now := time.Now().UTC()
				o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
					PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Minor: 10000, Currency: "EUR"},
					TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
					StartedAt: &now, CreatedAt: now}
				o.Refresh()
				if err := db.Create(&o).Error; err != nil {
					t.Fatal(err)
				}
				endUser := p.EndUserID
				if tt.refused {
					endUser = "someone-else" // the kyc names another enduserid: FINISH
				}
				kyc := notify(t, key, trustly.MethodKYC, o, endUser, kycFields(fmt.Sprintf("k-acc-%d", n), dutchAdult))
				account := notify(t, key, trustly.MethodAccount, o, "", map[string]any{"accountid": fmt.Sprintf("%010d", 4000000000+n)})
				if tt.accountFirst {
					r.deliver(account, "OK")
					r.deliver(kyc, tt.wantKYCAnswer)
				} else {
					r.deliver(kyc, tt.wantKYCAnswer)
					r.deliver(account, "OK")
				}
				var accounts []models.BankAccount
				if err := db.Where("player_id = ?", p.ID).Find(&accounts).Error; err != nil {
					t.Fatal(err)
				}
				if len(accounts) != tt.wantAccounts {
					t.Errorf("player has %d bank accounts %+v; want %d", len(accounts), accounts, tt.wantAccounts)
				}
				if tt.wantAccounts == 1 && (!accounts[0].Verified || accounts[0].Source != models.AccountFromDeposit) {
					t.Errorf("account %+v; want verified, from a deposit", accounts[0])
				}
				if got := r.reload(o); got.PlayerID != p.ID {
					t.Errorf("order's player %d; want %d", got.PlayerID, p.ID)
				}
			})
		}
	})
}
