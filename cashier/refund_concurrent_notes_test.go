package cashier_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestDebitAndRefundReturnsAtOnce: a deposit of 1 000 with refunds of 300 and
// 200, both confirmed; then the bank's debit of the deposit and both refunds
// coming back (credits of 300 and 200 under the deposit's orderid) arrive at
// once, each twice, half of them at a second instance (on PostgreSQL with a
// connection pool of its own). Every delivery is answered OK, each notification
// is stored once, the debit is booked on the deposit and each credit returns its
// own refund once: the wallet ends at 1 000 − 300 − 200 − 1 000 + 300 + 200 = 0,
// the ledger balances, and no page explains anything twice.
func TestDebitAndRefundReturnsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.player("SE")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.sb.WaitIdle(t)
		var refunds []models.Order
		for _, major := range []int64{300, 200} {
			refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, major), "asked by the player")
			if err != nil {
				t.Fatal(err)
			}
			refunds = append(refunds, e.waitStatus(refund, models.OrderConfirmed))
		}
		e.sb.WaitIdle(t)
		e.wantMoney(p, 50000, 0)

		other := e.svc
		if db.Dialector.Name() == "postgres" {
			db2, err := store.Open(e.dsn(), payLog())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close(db2) })
			client, err := trustly.NewClient(trustly.Config{URL: e.api, Username: e.sb.Username, Password: e.sb.Password,
				PrivateKey: e.sb.MerchantKey, TrustlyKey: e.sb.TrustlyKey, Env: "sandbox", Logger: payLog()})
			if err != nil {
				t.Fatal(err)
			}
			other, err = cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db2, Trustly: client, MerchantKey: e.sb.MerchantKey,
				TrustlyKey: e.sb.TrustlyKey, Config: e.cfg, Now: e.clock.Now, Log: payLog(), Exclusions: exclusions.Sandbox()})
			if err != nil {
				t.Fatal(err)
			}
		}
		d := e.reload(dep)
		notes := [][]byte{e.forge(trustly.MethodDebit, d, p, map[string]any{"amount": "1000.00", "currency": "SEK",
			"attributes": map[string]any{}})}
		for _, r := range refunds {
			back := d
			back.Amount = r.Amount
			notes = append(notes, e.forge(trustly.MethodCredit, back, p, nil))
		}
		var wg sync.WaitGroup
		answers := make(chan string, 2*len(notes))
		for _, raw := range notes {
			for _, svc := range []*cashier.Service{e.svc, other} {
				wg.Go(func() {
					a, err := svc.HandleNotification(e.ctx, raw)
					if err != nil {
						answers <- err.Error()
						return
					}
					answers <- string(a)
				})
			}
		}
		wg.Wait()
		close(answers)
		for a := range answers {
			if !strings.Contains(a, `"status":"OK"`) {
				t.Errorf("answer %s; want OK", a)
			}
		}
		var stored int64
		db.Model(&models.Notification{}).Where("order_id IN ?", []int64{dep.ID, refunds[0].ID, refunds[1].ID}).
			Where("method IN ?", []string{trustly.MethodDebit, trustly.MethodCredit}).Count(&stored)
		if stored != 4 { // the deposit's own credit, the debit and the two returns
			t.Errorf("%d credit and debit notifications stored; want 4", stored)
		}
		if got := e.reload(dep); got.Status != models.OrderDebited || got.DebitedMinor != 100000 {
			t.Errorf("deposit: %s, debited %d; want debited 100000", got.Status, got.DebitedMinor)
		}
		for _, r := range refunds {
			if got := e.reload(r); got.ReturnedAt == nil || got.Flag != "" {
				t.Errorf("refund of %s: %s, returned %v, flag %q; want returned, unflagged", r.Amount, got.Status, got.ReturnedAt, got.Flag)
			}
		}
		e.wantMoney(p, 0, 0)
		if detail, err := e.svc.OrderDetail(e.ctx, fin, dep.ID); err != nil || detail.RefundedTwice.Twice.Minor != 0 {
			t.Errorf("deposit's page explains %+v, %v; want nothing: both refunds came back", detail.RefundedTwice, err)
		}
	})
}
