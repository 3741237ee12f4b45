package cashier_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// refusing is a Service whose Trustly never passes a call on to the sandbox: it
// answers the first unsigned calls with an unsigned error (the outcome unknown,
// though nothing arrived) and every later one with a signed 620 ERROR_UNKNOWN.
func (e *payEnv) refusing(unsigned int32) *cashier.Service {
	return e.answeringError(unsigned, trustly.CodeUnknown, "ERROR_UNKNOWN")
}

// answeringError is refusing with code and message in the signed error.
func (e *payEnv) answeringError(unsigned int32, code int, message string) *cashier.Service {
	e.t.Helper()
	var calls atomic.Int32
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var req struct {
			Method string
			Params struct{ UUID string }
		}
		_ = json.Unmarshal(raw, &req)
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= unsigned {
			_, _ = w.Write(trustly.EncodeUnsignedError(trustly.CodeUnknown, "ERROR_UNKNOWN"))
			return
		}
		body, err := trustly.EncodeError(e.sb.Config.Key, req.Method, req.Params.UUID, code, message)
		if err != nil {
			e.t.Errorf("stub: %v", err)
		}
		_, _ = w.Write(body)
	}))
	e.t.Cleanup(stub.Close)
	return e.service(func(c *trustly.Config) { c.URL = stub.URL + "/api/1" })
}

// wantChecking checks that a payout is being checked with Trustly, reserved, in
// the player's words and in the back office's timeline.
func (e *payEnv) wantChecking(order models.Order) {
	e.t.Helper()
	got := e.reload(order)
	if got.Status != models.OrderChecking || cashier.PayoutStateText(got) != cashier.PayoutTextChecking ||
		got.ReleasedAt != nil || got.FailedAt != nil || got.Reason != "" {
		e.t.Fatalf("after the refused resend: %s %q released %v failed %v reason %q; want checking, still reserved",
			got.Status, cashier.PayoutStateText(got), got.ReleasedAt, got.FailedAt, got.Reason)
	}
	d, err := e.svc.OrderDetail(e.ctx, e.admin(), order.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var events []string
	for _, ev := range d.Timeline {
		events = append(events, ev.Name)
	}
	if !slices.Contains(events, "checking") || slices.Contains(events, "failed") || slices.Contains(events, "released") {
		e.t.Errorf("back office timeline %v; want checking, neither failed nor released", events)
	}
}

// TestPayoutResendRefusedPaidOnce: a payout's first AccountPayout call times out
// after Trustly executed it, and the resend, with the same MessageID, gets a
// signed 620. That answer is about the resend only, so the payout is checked with
// Trustly, its money still reserved, not released: the player is not paid both in
// the bank and in the wallet. The payoutconfirmation then settles it, paid once.
func TestPayoutResendRefusedPaidOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db, retryWhileHeld(t))
		p := e.player("SE")
		account := e.deposit(p, 1000)
		slow := e.service(func(c *trustly.Config) {
			c.Extra = map[string]string{"SandboxScenario": string(sandbox.ScenarioSlowAPI)}
			c.HTTP = &http.Client{Timeout: 500 * time.Millisecond} // the sandbox holds its answer 1 s
		})
		e.hold.Store(true) // the confirmation is delayed
		order, err := slow.RequestPayout(e.ctx, p, account.ID, e.money(p, 400))
		if err != nil || order.Status != models.OrderSending {
			t.Fatalf("got %s, %v; want sending", order.Status, err)
		}
		e.waitFor("the sandbox to carry out the lost call", func() bool { return e.sandboxPayouts(order.MessageID, "SEK") == 1 })
		e.wantMoney(p, 60000, 40000)

		e.clock.Advance(3 * time.Minute)
		if err := e.refusing(0).ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if paid := e.sandboxPayouts(order.MessageID, "SEK"); paid != 1 {
			t.Fatalf("the sandbox executed %d payouts, want 1 (the first call)", paid)
		}
		e.wantChecking(order)
		e.wantMoney(p, 60000, 40000)

		e.hold.Store(false)
		e.waitFor("the payoutconfirmation", func() bool { return e.reload(order).ConfirmedAt != nil })
		got := e.reload(order)
		if got.Status != models.OrderConfirmed || got.ReleasedAt != nil || got.FailedAt != nil || got.Flag != "" ||
			cashier.PayoutStateText(got) != cashier.PayoutTextPaid {
			t.Errorf("after the confirmation: %s %q released %v failed %v flag %q; want confirmed, paid, nothing flagged",
				got.Status, cashier.PayoutStateText(got), got.ReleasedAt, got.FailedAt, got.Flag)
		}
		e.wantMoney(p, 60000, 0)
		var sends, releases int64
		db.Model(&models.Transfer{}).Where("reference = ?", order.Reference("send")).Count(&sends)
		db.Model(&models.Transfer{}).Where("reference = ?", order.Reference("release")).Count(&releases)
		if sends != 1 || releases != 0 {
			t.Errorf("%d send and %d release transfers; want 1 and 0", sends, releases)
		}
		if n := e.sandboxPayouts(order.MessageID, "SEK"); n != 1 {
			t.Errorf("the sandbox executed %d payouts, want 1", n)
		}
	})
}

// TestPayoutResendRefusedReleasedByLedger: a payout's first call never reaches
// Trustly, though its answer is unsigned and so the outcome unknown; the resend
// gets a signed 620. The payout is checked as if the first call might have been
// paid, and Trustly's AccountLedger, with no row for its MessageID a day after
// the resend, releases its money once, and not sooner.
func TestPayoutResendRefusedReleasedByLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		refusing := e.refusing(1)
		order, err := refusing.RequestPayout(e.ctx, p, account.ID, e.money(p, 400))
		if err != nil || order.Status != models.OrderSending {
			t.Fatalf("unsigned answer: %s, %v; want sending", order.Status, err)
		}
		e.clock.Advance(3 * time.Minute)
		if err := refusing.ResumePayouts(e.ctx); err != nil { // its AccountLedger is refused too
			t.Fatal(err)
		}
		e.wantChecking(order)
		e.wantMoney(p, 60000, 40000)

		// Trustly's ledger has no row for it, but a day has not passed since the resend.
		e.clock.Advance(cashier.PayoutRefusedAfter - 5*time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(order); got.Status != models.OrderChecking || got.LedgerChecks != 2 {
			t.Fatalf("five minutes short of a day after the resend: %s after %d ledger checks; want checking after 2",
				got.Status, got.LedgerChecks)
		}
		e.wantMoney(p, 60000, 40000)

		e.clock.Advance(15 * time.Minute)
		for range 2 {
			if err := e.svc.ResumePayouts(e.ctx); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Hour)
		}
		got := e.reload(order)
		if got.Status != models.OrderFailed || got.ReleasedAt == nil || cashier.PayoutStateText(got) != cashier.PayoutTextNotSent ||
			!strings.Contains(got.Reason, "AccountLedger shows no payout") || got.Flag != "" {
			t.Errorf("a day after the resend: %s %q released %v reason %q flag %q; want failed, released by the ledger check",
				got.Status, cashier.PayoutStateText(got), got.ReleasedAt, got.Reason, got.Flag)
		}
		e.wantMoney(p, 100000, 0)
		var releases int64
		db.Model(&models.Transfer{}).Where("reference = ?", order.Reference("release")).Count(&releases)
		if releases != 1 {
			t.Errorf("%d release transfers, want 1", releases)
		}
		if calls, paid := e.sb.Sandbox.PayoutCalls(order.MessageID), e.sandboxPayouts(order.MessageID, "SEK"); calls != 0 || paid != 0 {
			t.Errorf("the sandbox saw %d calls and executed %d payouts; want none", calls, paid)
		}
	})
}

// TestPayoutFirstCallAnswered637: a 637 (duplicate MessageID) proves that a call
// with the payout's MessageID reached Trustly, even when it answers the first call
// we know of (a proxy may have sent it twice): the payout is checked with
// Trustly, still reserved, never released as a refusal would be.
func TestPayoutFirstCallAnswered637(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		order, err := e.answeringError(0, trustly.CodeDuplicateMessageID, "ERROR_DUPLICATE_MESSAGE_ID").
			RequestPayout(e.ctx, p, account.ID, e.money(p, 400))
		if err != nil {
			t.Fatalf("payout answered 637: %v; want no problem for the player", err)
		}
		e.wantChecking(order)
		e.wantMoney(p, 60000, 40000)
	})
}
