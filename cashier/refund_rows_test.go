package cashier_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefundCheckReadsNoReshapedRow: a refund of 300 that Trustly carried out but
// whose answer was lost is checked with GetWithdrawals, which a peer signing with
// the sandbox's key answers with the refund's row reshaped (an amount of 300.001,
// a currency of "sek"). The signature binds no
// shape, so the row is not Trustly's: the refund check counted only the rows it
// could read, found none of 300, and a day after the call released the 300 to the
// wallet while the payer had it back too. The answer is now refused: the refund
// stays reserved and sending, and the next good answer books it as sent.
func TestRefundCheckReadsNoReshapedRow(t *testing.T) {
	for _, reshape := range []struct{ name, from, to string }{
		{"amount", `"amount":"300.00"`, `"amount":"300.001"`},
		{"currency", `"currency":"SEK"`, `"currency":"sek"`},
	} {
		t.Run(reshape.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				e := newPayEnv(t, db)
				fin := e.staff(staff.RoleFinance)
				p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
				e.deposit(p, 1000)
				dep := e.lastDeposit(p)
				e.hold.Store(true)
				e.lose.Store(1) // Trustly has it; its answer is lost
				refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
				if err != nil || refund.Status != models.OrderSending {
					t.Fatalf("answer lost: %s, %v; want sending", refund.Status, err)
				}
				e.wantMoney(p, 70000, 30000)

				reshaped := 0
				svc := e.rewriting(func(body []byte) []byte {
					m, err := trustly.ParseMessage(bytes.ReplaceAll(body, []byte(reshape.from), []byte(reshape.to)))
					if err == nil && m.Kind == trustly.KindResult && m.Method == "GetWithdrawals" && bytes.Contains(body, []byte(reshape.from)) {
						reshaped++
						if body, err = trustly.EncodeResult(e.sb.Config.Key, m.Method, m.UUID, m.Data); err != nil {
							t.Errorf("peer: %v", err)
						}
					}
					return body
				})

				e.clock.Advance(cashier.RefundRefusedAfter + time.Minute)
				if err := svc.ResumePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
				if r := e.reload(refund); reshaped != 1 || r.Status != models.OrderSending || r.ReleasedAt != nil {
					t.Fatalf("after a reshaped answer (%d): refund %s, released %v; want it sending and reserved", reshaped, r.Status, r.ReleasedAt)
				}
				e.wantMoney(p, 70000, 30000)

				e.clock.Advance(20 * time.Minute)
				if err := e.svc.ResumePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
				if r := e.reload(refund); r.Status != models.OrderSent {
					t.Fatalf("after Trustly's answer: refund %s; want sent", r.Status)
				}
				e.wantMoney(p, 70000, 0)
			})
		})
	}
}
