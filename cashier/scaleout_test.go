package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
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

	lost := e.lostRefund(fin, dep, e.money(p, 300))

	a, b := e.service(nil), e.service(nil) // two instances
	// Trustly executed A's refund; A has not heard back yet.
	h, done := e.heldRefund(a, e.holdAnswers(), fin, dep, e.money(p, 300))
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

// TestScaleOutTrustlyBalanceOncePerQuarterHour: Trustly's Balance may be asked at
// most once every 15 minutes (API.md §4.8, §6.1, §12.1 item 8). Each instance
// remembers the last answer in its own memory (Service.balance), so with two
// instances behind a balancer finance staff opening the reports page twice ask
// Trustly twice within the quarter hour, and with n instances n times: the
// merchant breaks Trustly's polling limit, which Trustly may answer by refusing
// calls, and the page then shows an error instead of the balance.
func TestScaleOutTrustlyBalanceOncePerQuarterHour(t *testing.T) {
	e := newPayEnv(t, storetest.Postgres(t))
	fin := e.staff(staff.RoleFinance)
	a, b := e.service(nil), e.service(nil)
	if _, _, err := a.TrustlyBalance(e.ctx, fin); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, _, err := b.TrustlyBalance(e.ctx, fin); err != nil {
		t.Fatal(err)
	}
	if got := e.apiCalls("Balance"); got != 1 {
		t.Errorf("Balance calls within one minute from two instances: %d; want 1", got)
	}
}

// TestTrustlyBalanceKeptInDatabase: the answer kept in the database is what every
// instance shows until BalanceEvery has passed, when one instance asks again. A
// call that brought no answer may have reached Trustly all the same (a lost
// answer, or a claim left by an instance that stopped while asking), so it holds
// every instance back for BalanceEvery as an answered call does: the last answer
// is shown meanwhile, or, with none, a problem saying when Trustly may be asked
// again. While an instance is asking for the first time, another gets a problem
// saying so rather than asking too.
func TestTrustlyBalanceKeptInDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		if _, _, err := e.unreachable().TrustlyBalance(e.ctx, fin); err == nil {
			t.Fatal("Trustly unreachable: balance answered; want an error")
		}
		a, b := e.service(nil), e.service(nil)
		e.clock.Advance(cashier.BalanceEvery - time.Second)
		if _, _, err := a.TrustlyBalance(e.ctx, fin); err == nil {
			t.Error("within BalanceEvery of a call without an answer: answered; want a problem")
		} else {
			wantProblem(t, err, "Trustly did not answer when last asked for our balance")
		}
		if n := e.apiCalls("Balance"); n != 0 {
			t.Errorf("Balance calls within BalanceEvery of a failed one: %d; want 0", n)
		}
		e.clock.Advance(time.Second)
		rows, at, err := a.TrustlyBalance(e.ctx, fin)
		if err != nil || len(rows) == 0 || e.clock.Now().Sub(at) >= time.Microsecond {
			t.Fatalf("BalanceEvery after a failed call: %v at %v, %v; want Trustly asked again now", rows, at, err)
		}
		e.clock.Advance(cashier.BalanceEvery - time.Second)
		again, at2, err := b.TrustlyBalance(e.ctx, fin)
		if err != nil || !at2.Equal(at) || len(again) != len(rows) || again[0] != rows[0] {
			t.Errorf("within BalanceEvery on another instance: %v at %v, %v; want %v at %v", again, at2, err, rows, at)
		}
		if n := e.apiCalls("Balance"); n != 1 { // the failed call went elsewhere
			t.Errorf("Balance calls that reached Trustly: %d; want 1", n)
		}
		e.clock.Advance(time.Second)
		if _, at3, err := b.TrustlyBalance(e.ctx, fin); err != nil || e.clock.Now().Sub(at3) >= time.Microsecond {
			t.Errorf("after BalanceEvery: asked at %v, %v; want now", at3, err)
		}
		if n := e.apiCalls("Balance"); n != 2 {
			t.Errorf("Balance calls: %d; want 2", n)
		}

		// Another instance is asking (its claim is fresh) and no answer is kept yet.
		if err := db.Model(&models.TrustlyPoll{}).Where("method = ?", "Balance").
			Updates(map[string]any{"asked_at": nil, "answer": "", "claimed_at": e.clock.Now().Truncate(time.Microsecond)}).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.TrustlyBalance(e.ctx, fin); err == nil {
			t.Error("balance while another instance asks for the first time: answered; want a problem")
		} else {
			wantProblem(t, err, "Trustly's balance is being asked for right now")
		}
		// A claim older than a call can take was left by a stopped instance, whose
		// call may have reached Trustly: nobody asks before BalanceEvery after it.
		e.clock.Advance(2 * time.Minute)
		if _, _, err := a.TrustlyBalance(e.ctx, fin); err == nil {
			t.Error("2 minutes after a stale claim: answered; want a problem")
		} else {
			wantProblem(t, err, "Trustly did not answer when last asked for our balance")
		}
		e.clock.Advance(cashier.BalanceEvery - 2*time.Minute)
		if _, _, err := a.TrustlyBalance(e.ctx, fin); err != nil {
			t.Errorf("BalanceEvery after a stale claim: %v; want Trustly asked", err)
		}
		if n := e.apiCalls("Balance"); n != 3 {
			t.Errorf("Balance calls: %d; want 3", n)
		}
	})
}
