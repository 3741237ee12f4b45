package cashier_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayNPlaySandboxScenarios runs the sandbox's deposit scenarios end to end as
// Pay N Play deposits of new persons (pure): over real HTTP the sandbox completes
// the checkout, sends the kyc and then the scenario's notifications, and the
// cashier books what Trustly's D1 and the duplicates leave, once.
func TestPayNPlaySandboxScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			scenario sandbox.Scenario
			person   string
			market   string
			status   models.OrderStatus
			wallet   int64 // -1: no player
			credits  int   // credit notifications to wait for
		}{
			{sandbox.ScenarioDepositCreditThenDebit, "se-adult", "SE", models.OrderDebited, 0, 1},
			{sandbox.ScenarioDepositCreditBeforePend, "se-adult2", "SE", models.OrderCredited, 10000, 1},
			{sandbox.ScenarioDepositDuplicateCredit, "fi-adult", "FI", models.OrderCredited, 10000, 2},
			{sandbox.ScenarioKYCAbortUnverified, "fi-adult2", "FI", models.OrderFailed, -1, 0},
			{sandbox.ScenarioDepositCancel, "ee-adult", "EE", models.OrderFailed, -1, 0},
		} {
			t.Run(string(tt.scenario), func(t *testing.T) {
				e := pnpEnv(t, db, "pure")
				svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": tt.person,
					"SandboxScenario": string(tt.scenario)})
				amount := models.Money{Minor: 10000, Currency: models.Markets[tt.market].Currency}
				order, err := svc.StartPayNPlay(e.ctx, &amount, tt.market, "127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
				var got models.Order
				e.waitFor("order "+string(tt.status)+" with its credits", func() bool {
					got = e.reload(order)
					credits := 0
					for _, n := range e.notes(got.TrustlyOrderID) {
						if n.method == trustly.MethodCredit {
							credits++
						}
					}
					return got.Status == tt.status && credits >= tt.credits
				})
				if tt.wallet < 0 {
					if got.PlayerID != 0 && got.KYCOutcome != models.KYCContinue {
						t.Errorf("refused order has player %d", got.PlayerID)
					}
					if got.PlayerID != 0 {
						e.wantMoney(models.Player{ID: got.PlayerID, Currency: amount.Currency}, 0, 0)
					}
					return
				}
				if got.PlayerID == 0 {
					t.Fatalf("order %s without a player", got.Status)
				}
				e.wantMoney(models.Player{ID: got.PlayerID, Currency: amount.Currency}, tt.wallet, 0)
			})
		}
	})
}
