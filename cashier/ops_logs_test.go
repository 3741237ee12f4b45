package cashier_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutSettleLedgerDownNamesOrders: when Trustly's AccountLedger cannot be
// reached, the warning that the checking payouts stay reserved names them
// (order_ids), as every line about an order does; before, it gave only how many
// there were, and the operator could not tell which payouts waited.
func TestPayoutSettleLedgerDownNamesOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutRejected })
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order := e.checkingPayout(p, account)

		logs := &lockedBuffer{}
		e.log = slog.New(slog.NewJSONHandler(logs, nil))
		down := e.service(func(c *trustly.Config) { c.URL = "http://127.0.0.1:1/api/1" })
		e.clock.Advance(cashier.PayoutRefusedAfter)
		if err := down.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec struct {
				Msg      string  `json:"msg"`
				OrderIDs []int64 `json:"order_ids"`
			}
			if json.Unmarshal([]byte(line), &rec) != nil || !strings.HasPrefix(rec.Msg, "AccountLedger failed") {
				continue
			}
			found = true
			if len(rec.OrderIDs) != 1 || rec.OrderIDs[0] != order.ID {
				t.Errorf("AccountLedger's failure names orders %v; want [%d]: %s", rec.OrderIDs, order.ID, line)
			}
		}
		if !found {
			t.Fatalf("no line says AccountLedger failed:\n%s", logs.String())
		}
	})
}
