package cashier_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestAPICallsRecorded: every call to Trustly for an order is kept with the order:
// the Deposit and the AccountPayout through the sandbox, with our parameters
// (never the API password, and the notification token masked) and Trustly's
// result; a refused call with Trustly's error code.
func TestAPICallsRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		var deposit models.Order
		if err := db.Where("player_id = ? AND kind = ?", p.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
			t.Fatal(err)
		}
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(payout, models.OrderConfirmed)

		for _, tt := range []struct {
			order  models.Order
			method string
			inReq  string
		}{{deposit, "Deposit", deposit.MessageID}, {payout, "AccountPayout", payout.MessageID}} {
			var calls []models.APICall
			db.Where("order_id = ?", tt.order.ID).Order("id").Find(&calls)
			if len(calls) != 1 {
				t.Fatalf("order %d: %d api calls %+v; want 1", tt.order.ID, len(calls), calls)
			}
			c := calls[0]
			switch {
			case c.Method != tt.method || c.PlayerID != p.ID || c.ErrorCode != 0 || c.Error != "":
				t.Errorf("call %+v; want %s of player %d without error", c, tt.method, p.ID)
			case !strings.Contains(c.Request, tt.inReq) || !strings.Contains(c.Response, e.reload(tt.order).TrustlyOrderID):
				t.Errorf("%s request %s, response %s; want the messageid and Trustly's orderid", tt.method, c.Request, c.Response)
			case strings.Contains(c.Request, e.sb.Password) || strings.Contains(c.Request, e.cfg.NotifyToken) ||
				strings.Contains(c.Request, "Signature"):
				t.Errorf("%s request keeps a secret: %s", tt.method, c.Request)
			case c.At.IsZero() || c.LatencyMS < 0:
				t.Errorf("call at %v, latency %d", c.At, c.LatencyMS)
			}
		}

		fake := newFakeTrustly(t, func(string, map[string]any) (any, int) { return nil, trustly.CodeInvalidCredentials })
		r := newRig(t, db, fake.URL, nil)
		rp := r.player()
		if _, err := r.svc.StartDeposit(r.ctx, rp, sek(25000), "10.0.0.1"); err == nil {
			t.Fatal("deposit started against a refusing Trustly")
		}
		var failed models.Order
		db.Where("player_id = ?", rp.ID).Take(&failed)
		var c models.APICall
		db.Where("order_id = ?", failed.ID).Take(&c)
		if c.Method != "Deposit" || c.ErrorCode != trustly.CodeInvalidCredentials || c.Error == "" || c.Response != "" {
			t.Errorf("refused call %+v; want Deposit with code %d", c, trustly.CodeInvalidCredentials)
		}
	})
}

// TestAPICallsMaskTokenAsJSONWritesIt: the notification token is masked in a
// call's parameters however JSON writes it: a token with & < or > (which the
// configuration allows) is written \u0026, \u003c, \u003e there, and was kept
// whole for every member who may view an order's page.
func TestAPICallsMaskTokenAsJSONWritesIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		const token = "tok&en<0123456789>"
		fake := newFakeTrustly(t, func(string, map[string]any) (any, int) { return nil, trustly.CodeInvalidCredentials })
		r := newRig(t, db, fake.URL, func(c *cashier.Config) { c.NotifyToken = token })
		p := r.player()
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(25000), "10.0.0.1"); err == nil {
			t.Fatal("deposit started against a refusing Trustly")
		}
		var c models.APICall
		if err := db.Where("player_id = ?", p.ID).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		escaped, _ := json.Marshal(token)
		if inner := strings.Trim(string(escaped), `"`); strings.Contains(c.Request, inner) || strings.Contains(c.Request, token) ||
			!strings.Contains(c.Request, "[token]") {
			t.Errorf("Deposit request %s; want the notification token masked as [token]", c.Request)
		}
	})
}

// TestBalanceCallRecorded: a call to Trustly's Balance is kept as an APICall row
// as every other call is, of no order and no player, with its parameters and
// Trustly's answer, or its error when it failed; an answer given from the one
// kept in the database asks Trustly nothing and keeps no row. Where Balance was
// only counted in the metrics, the back office's record of the calls made to
// Trustly lacked it.
func TestBalanceCallRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		balanceCalls := func() []models.APICall {
			t.Helper()
			var calls []models.APICall
			if err := db.Where("method = ?", "Balance").Order("id").Find(&calls).Error; err != nil {
				t.Fatal(err)
			}
			return calls
		}
		if _, _, err := e.unreachable().TrustlyBalance(e.ctx, fin); err == nil {
			t.Fatal("Trustly unreachable: balance answered; want an error")
		}
		calls := balanceCalls()
		if len(calls) != 1 || calls[0].OrderID != 0 || calls[0].PlayerID != 0 || calls[0].Error == "" || calls[0].Response != "" ||
			calls[0].Request != "{}" || calls[0].At.IsZero() {
			t.Fatalf("failed Balance calls kept %+v; want one of no order or player, with its error", calls)
		}

		e.clock.Advance(cashier.BalanceEvery)
		rows, _, err := e.svc.TrustlyBalance(e.ctx, fin)
		if err != nil || len(rows) == 0 {
			t.Fatalf("balance: %v, %v; want Trustly's answer", rows, err)
		}
		calls = balanceCalls()
		if len(calls) != 2 || calls[1].OrderID != 0 || calls[1].Error != "" || calls[1].ErrorCode != 0 ||
			!strings.Contains(calls[1].Response, `"`+rows[0].Currency+`"`) || !strings.Contains(calls[1].Response, rows[0].Balance) {
			t.Fatalf("answered Balance calls kept %+v; want a second row with Trustly's answer %+v", calls, rows)
		}

		e.clock.Advance(time.Minute)
		if _, _, err := e.svc.TrustlyBalance(e.ctx, fin); err != nil {
			t.Fatal(err)
		}
		if n := len(balanceCalls()); n != 2 || e.apiCalls("Balance") != 1 {
			t.Errorf("balance answered from the one kept: %d rows, %d calls at Trustly; want 2 and 1", n, e.apiCalls("Balance"))
		}
	})
}

// TestReconcileCallRecorded: the reconciliation's call to Trustly's AccountLedger
// is kept as an APICall row of no order and no player, as Balance's is, with its
// parameters and Trustly's answer, or its error when it failed. It was only
// counted in the metrics, so the back office's record of the calls made to
// Trustly lacked it.
func TestReconcileCallRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 100)
		dep := e.lastDeposit(p)
		if err := e.sb.Sandbox.WaitIdle(e.ctx); err != nil {
			t.Fatal(err)
		}
		ledgerCalls := func() []models.APICall {
			t.Helper()
			var calls []models.APICall
			if err := db.Where("method = ?", "AccountLedger").Order("id").Find(&calls).Error; err != nil {
				t.Fatal(err)
			}
			return calls
		}
		today := time.Now().UTC()
		from, to := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)
		if _, err := e.unreachable().Reconcile(e.ctx, fin, "SEK", from, to); err == nil {
			t.Fatal("Trustly unreachable: reconciled; want an error")
		}
		calls := ledgerCalls()
		if len(calls) != 1 || calls[0].OrderID != 0 || calls[0].PlayerID != 0 || calls[0].Error == "" || calls[0].Response != "" ||
			!strings.Contains(calls[0].Request, `"SEK"`) || !strings.Contains(calls[0].Request, from.Format(time.DateOnly)) || calls[0].At.IsZero() {
			t.Fatalf("failed AccountLedger calls kept %+v; want one of no order or player, with its parameters and error", calls)
		}

		if _, err := e.svc.Reconcile(e.ctx, fin, "SEK", from, to); err != nil {
			t.Fatal(err)
		}
		calls = ledgerCalls()
		if len(calls) != 2 || calls[1].OrderID != 0 || calls[1].Error != "" || calls[1].ErrorCode != 0 ||
			!strings.Contains(calls[1].Response, dep.MessageID) || !strings.Contains(calls[1].Request, to.Format(time.DateOnly)) {
			t.Fatalf("answered AccountLedger calls kept %+v; want a second row with Trustly's answer naming %s", calls, dep.MessageID)
		}
		for _, c := range calls {
			if strings.Contains(c.Request, e.sb.Password) || strings.Contains(c.Response, e.sb.Password) ||
				strings.Contains(c.Request, "Signature") || strings.Contains(c.Request, "Password") {
				t.Errorf("AccountLedger row keeps a secret: %s / %s", c.Request, c.Response)
			}
		}
	})
}
