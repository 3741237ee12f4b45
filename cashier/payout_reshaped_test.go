package cashier_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestPayoutAcceptedNotReadAsError: Trustly accepts a payout, and a peer moves
// the signed part of its result ({"orderid":…,"result":"1"}) under "error" with
// an outer code 620. The signature binds method, uuid and data, not the
// envelope, so it verifies: the payout was read as Trustly's signed refusal and
// its money released to the wallet while Trustly pays it. It is now an answer
// that cannot be read: the payout stays reserved, its outcome unknown, and the
// player sees it being sent.
func TestPayoutAcceptedNotReadAsError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true)
		moved := 0
		svc := e.rewriting(func(body []byte) []byte {
			if m, err := trustly.ParseMessage(body); err == nil && m.Kind == trustly.KindResult && m.Method == "AccountPayout" {
				moved++
				body, _ = json.Marshal(map[string]any{"version": "1.1", "error": map[string]any{
					"name": "JSONRPCError", "code": trustly.CodeUnknown, "message": "ERROR_UNKNOWN",
					"error": map[string]any{"signature": m.Signature, "uuid": m.UUID, "method": m.Method, "data": m.Data}}})
			}
			return body
		})
		order, err := svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if moved != 1 || e.sb.Sandbox.PayoutCalls(order.MessageID) != 1 {
			t.Fatalf("answers moved %d, payouts at Trustly %d; want 1, 1", moved, e.sb.Sandbox.PayoutCalls(order.MessageID))
		}
		if got := e.reload(order); err != nil || got.Status != models.OrderSending || got.ReleasedAt != nil || got.OutcomeUnknownAt == nil {
			t.Fatalf("payout %s (released %v), %v; want sending with its outcome unknown", got.Status, got.ReleasedAt, err)
		}
		e.wantMoney(p, 70000, 30000)
	})
}

// TestPayoutNotReleasedByUnboundError: Trustly signs an error with null uuid
// and method for any unreadable request, so anyone can get one by posting
// garbage to its API. Given as the answer to an AccountPayout that Trustly
// accepted, it verified and was read as Trustly's refusal of this payout,
// whose money went back to the wallet while Trustly paid it. An error that
// names no request is not bound to this one: the outcome is unknown, the money
// stays reserved, and the resend with the same MessageID (637) and Trustly's
// ledger settle it as sent.
func TestPayoutNotReleasedByUnboundError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true)
		resp, err := http.Post(e.api, "application/json", bytes.NewReader([]byte(`{"garbage":`)))
		if err != nil {
			t.Fatal(err)
		}
		unbound, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m, err := trustly.ParseMessage(unbound); err != nil || m.Kind != trustly.KindError || m.UUID != "" || m.Verify(e.sb.TrustlyKey) != nil {
			t.Fatalf("the sandbox's answer to garbage %s: %v; want a signed error with a null uuid", unbound, err)
		}
		replayed := 0
		svc := e.rewriting(func(body []byte) []byte {
			if m, err := trustly.ParseMessage(body); err == nil && m.Kind == trustly.KindResult && m.Method == "AccountPayout" {
				replayed++
				body = unbound
			}
			return body
		})
		order, err := svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if replayed != 1 || e.sb.Sandbox.PayoutCalls(order.MessageID) != 1 {
			t.Fatalf("answers replayed %d, payouts at Trustly %d; want 1, 1", replayed, e.sb.Sandbox.PayoutCalls(order.MessageID))
		}
		if got := e.reload(order); err != nil || got.Status != models.OrderSending || got.ReleasedAt != nil {
			t.Fatalf("payout %s (released %v), %v; want sending, its outcome unknown", got.Status, got.ReleasedAt, err)
		}
		e.wantMoney(p, 70000, 30000)
		e.clock.Advance(3 * time.Minute)
		if err := e.svc.ResumePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.reload(order); got.Status != models.OrderSent {
			t.Fatalf("after the resend and the ledger: %s; want sent", got.Status)
		}
		e.wantMoney(p, 70000, 0)
	})
}
