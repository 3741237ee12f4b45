package cashier_test

import (
	"encoding/json"
	"fmt"
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

// TestAccountIDTooLongNamesNotification: the alert that an account notification's
// accountid is too long to keep names the notification (notification_id) and its
// order, as every line about a notification does; it was logged on the service's
// logger with the order_id alone, so the operator could not find the notification
// it quotes.
func TestAccountIDTooLongNamesNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		logs := &lockedBuffer{}
		log := slog.New(slog.NewJSONHandler(logs, nil))
		r := newRig(t, db, "", nil)
		client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
			PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		r.svc, err = cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
			TrustlyKey: &rigTrustlyKey().PublicKey, Log: log, Config: cashier.Config{BaseURL: "http://cashier.test",
				NotifyToken: "tok-123", ShopperStatement: "Casino", IntegrationModule: "cashier-test/1"}})
		if err != nil {
			t.Fatal(err)
		}
		p := r.player()
		o := r.order(p, 10000)
		n := notify(t, rigTrustlyKey(), "account", o, "", map[string]any{"accountid": strings.Repeat("7", 65)})
		r.deliver(n, "OK")
		var found bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || !strings.Contains(fmt.Sprint(rec["msg"]), "accountid too long") {
				continue
			}
			found = true
			if rec["notification_id"] != n.id || rec["order_id"] != float64(o.ID) {
				t.Errorf("the alert names notification %v and order %v; want %s and %d: %s", rec["notification_id"], rec["order_id"], n.id, o.ID, line)
			}
			if dup := duplicateKey(line); dup != "" {
				t.Errorf("key %q twice in %s", dup, line)
			}
		}
		if !found {
			t.Fatalf("no alert that the accountid is too long:\n%s", logs.String())
		}
	})
}
