package sandbox_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestWaitIdle: WaitIdle returns only once every planned notification went out,
// however late (deposit-delayed's credit comes LateDelay after the pending), and
// retries too; it does not return while a kyc waits for the merchant.
func TestWaitIdle(t *testing.T) {
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.LateDelay = 400 * time.Millisecond })
	m := sandboxtest.NewMerchant(t, env)
	m.Answer = func(n *trustly.Notification, count int) (trustly.Answer, int, bool) {
		if n.Method == trustly.MethodAccount && count == 1 {
			return trustly.Answer{}, http.StatusServiceUnavailable, false // answered on the retry
		}
		return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
	}
	ctx := context.Background()
	res, err := env.Client(t).Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p", MessageID: "idle-1",
		Currency: "SEK", Amount: "10.00", Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": "deposit-delayed"}})
	if err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t)
	if got := sandboxtest.Methods(m.ForOrder(res.OrderID)); !slices.Equal(got, []string{"pending", "credit", "account", "account"}) {
		t.Errorf("after WaitIdle: %v; want pending, credit, account and its retry", got)
	}

	// A kyc nobody answers keeps the sandbox busy until KYCTimeout (2 s here).
	m.Answer = func(n *trustly.Notification, _ int) (trustly.Answer, int, bool) {
		return trustly.Answer{}, http.StatusServiceUnavailable, false
	}
	if _, err := env.Client(t).Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p2", MessageID: "idle-2",
		Currency: "SEK", Amount: "10.00", RequestKYC: true, Extra: map[string]string{"SandboxAutoComplete": "1"}}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := env.Sandbox.WaitIdle(short); err == nil {
		t.Error("WaitIdle returned while a kyc waited for the merchant's answer")
	}
}
