package cashier_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// Defects that appear when several cashier instances (each a cashier.Service of
// its own, with its own memory) run on one PostgreSQL database. Each test fails on
// the code it was written against; the fix makes it pass.

// TestScaleOutRefundCheckCountsRefundInFlight: a finance member refunds 300 SEK of
// a deposit and the call never reaches Trustly (outcome unknown), so they refund
// 300 SEK again on instance A. While A's Refund call is on its way back (Trustly
// has executed it, A has not booked it), the janitor on instance B checks the
// first refund: GetWithdrawals lists one refund of 300 SEK, our books have none
// sent, so B books the first refund, the one Trustly never had, as sent. Then A
// books its own. The player is charged 600 SEK for the 300 SEK Trustly paid back to
// their bank, and the books say 600 SEK left through Trustly.
//
// settleRefund (refund.go) counts Trustly's rows of the amount against the
// deposit's refunds with sent_at set only; a refund whose call is in flight (no
// outcome recorded yet) is not counted, so its row at Trustly is taken for the
// unknown one. pickRefund already guards notifications against exactly this.
func TestScaleOutRefundCheckCountsRefundInFlight(t *testing.T) {
	e := newPayEnv(t, storetest.Postgres(t))
	fin := e.staff(staff.RoleFinance)
	p := e.player("SE")
	e.deposit(p, 1000)
	dep := e.lastDeposit(p)
	e.hold.Store(true) // no notification settles anything here: only the calls and the janitor

	dead := httptest.NewServer(nil)
	dead.Close()
	lost, err := e.service(func(c *trustly.Config) { c.URL = dead.URL }).RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
	if err != nil || lost.Status != models.OrderSending || lost.OutcomeUnknownAt == nil {
		t.Fatalf("call lost: %s, %v; want sending with its outcome unknown", lost.Status, err)
	}

	a, b := e.service(nil), e.service(nil) // two instances
	held := e.holdAnswers()
	type result struct {
		order models.Order
		err   error
	}
	done := make(chan result, 1)
	go func() {
		o, err := a.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 300), "")
		done <- result{o, err}
	}()
	var h heldAnswer
	select {
	case h = <-held: // Trustly executed A's refund; A has not heard back yet
	case <-time.After(10 * time.Second):
		t.Fatal("A's Refund call never reached Trustly")
	}
	if err := b.ResumePayouts(e.ctx); err != nil { // B's janitor
		t.Errorf("janitor on B: %v", err)
	}
	close(h.Release)
	r := <-done
	if r.err != nil || r.order.Status != models.OrderSent {
		t.Fatalf("A's refund: %s, %v; want sent", r.order.Status, r.err)
	}

	if n := e.sandboxRefunds(dep); n != 1 {
		t.Fatalf("refunds at Trustly: %d; want 1", n)
	}
	if got := e.reload(lost); got.SentAt != nil {
		t.Errorf("the refund Trustly never had is booked as sent (status %s): B took the row of A's refund in flight for it", got.Status)
	}
	// Trustly paid back 300 SEK; the lost refund stays reserved until a later check
	// (or a day) says it was refused.
	e.wantMoney(p, 40000, 30000)
}
