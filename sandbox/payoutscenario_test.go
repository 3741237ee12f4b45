package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestPayoutScenarioDefault: payouts without SandboxScenario play Config's
// PayoutScenario until the /sandbox/ page's form changes it; a SandboxScenario on
// the request still wins.
func TestPayoutScenarioDefault(t *testing.T) {
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.PayoutScenario = sandbox.ScenarioPayoutBounce })
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-9", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(extra map[string]string) ([]string, error) {
		t.Helper()
		res, err := client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-9",
			MessageID: uuid.NewString(), AccountID: acc.AccountID, Amount: "25.00", Currency: "SEK", Extra: extra})
		if err != nil {
			return nil, err
		}
		env.WaitIdle(t) // every notification of this payout, however many
		return sandboxtest.Methods(m.ForOrder(res.OrderID)), nil
	}
	choose := func(scenario string, header http.Header) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/sandbox/payout-scenario",
			strings.NewReader(url.Values{"scenario": {scenario}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	selected := func() string {
		t.Helper()
		resp, err := http.Get(env.URL + "/sandbox/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, sc := range sandbox.PayoutScenarios {
			if strings.Contains(string(body), `<option value="`+string(sc)+`" selected>`) {
				return string(sc)
			}
		}
		return ""
	}

	if got := selected(); got != string(sandbox.ScenarioPayoutBounce) {
		t.Errorf("the orders page shows %q as the next payouts' outcome; want the configured bounce", got)
	}
	if got, err := pay(nil); err != nil || !slices.Equal(got, []string{"payoutconfirmation", "credit"}) {
		t.Errorf("configured bounce: notifications %v, %v; want payoutconfirmation, credit", got, err)
	}
	if got, err := pay(map[string]string{"SandboxScenario": string(sandbox.ScenarioPayoutConfirmed)}); err != nil ||
		!slices.Equal(got, []string{"payoutconfirmation"}) {
		t.Errorf("SandboxScenario on the request: notifications %v, %v; want payoutconfirmation", got, err)
	}

	for _, tt := range []struct {
		scenario string
		header   http.Header
		want     int
	}{
		{"payout-failed", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"deposit-ok", nil, http.StatusBadRequest},
		{"slow-api", nil, http.StatusBadRequest},
		{"", nil, http.StatusBadRequest},
	} {
		if got := choose(tt.scenario, tt.header); got != tt.want {
			t.Errorf("choose %q with %v: HTTP %d; want %d", tt.scenario, tt.header, got, tt.want)
		}
	}
	if got := selected(); got != string(sandbox.ScenarioPayoutBounce) {
		t.Errorf("refused forms changed the next payouts' outcome to %q", got)
	}

	if got := choose("payout-failed", http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("choose payout-failed: HTTP %d; want 303", got)
	}
	if got := selected(); got != string(sandbox.ScenarioPayoutFailed) {
		t.Errorf("after choosing payout-failed the page shows %q", got)
	}
	if got, err := pay(nil); err != nil || !slices.Equal(got, []string{"payoutfailed", "credit"}) {
		t.Errorf("chosen payout-failed: notifications %v, %v; want payoutfailed, credit", got, err)
	}

	if err := env.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutRejected); err != nil {
		t.Fatal(err)
	}
	if _, err := pay(nil); err == nil || !strings.Contains(err.Error(), trustly.ErrRefused.Error()) {
		t.Errorf("chosen payout-rejected: %v; want ErrRefused", err)
	}
	if err := env.Sandbox.SetPayoutScenario(sandbox.ScenarioDepositOK); err == nil {
		t.Error("SetPayoutScenario(deposit-ok) succeeded")
	}
}

func TestPayoutScenarioConfig(t *testing.T) {
	_, err := sandbox.New(sandbox.Config{DataDir: t.TempDir(), MerchantKey: &sandboxtest.MerchantKey(t).PublicKey,
		PayoutScenario: sandbox.ScenarioSelectOK})
	if err == nil || !strings.Contains(err.Error(), "select-ok") {
		t.Errorf("New with PayoutScenario select-ok: %v; want an error naming it", err)
	}
}
