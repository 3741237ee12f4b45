package sandbox_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestPayoutLedgerAnswers: what a merchant whose AccountPayout answer was lost can
// learn from the sandbox, as from Trustly (API.md §4.6, §4.7, §6.1). A resend with
// the same MessageID gets 637 whether the payout was executed or refused (result
// "0"); AccountLedger, searched by the MessageID, has the executed payout's debit
// under its orderid and nothing for the refused one; GetWithdrawals knows both
// orders, the refused one as FAILED.
func TestPayoutLedgerAnswers(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-9", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scenario sandbox.Scenario
		result   string
		ledger   []string // AccountLedger amounts for the MessageID
		state    trustly.PayoutState
	}{
		{sandbox.ScenarioPayoutRejected, "0", nil, trustly.PayoutFailed},
		{sandbox.ScenarioPayoutConfirmed, "1", []string{"-25.00000000000000000000"}, trustly.PayoutInProgress}, // or paid, once confirmed
	} {
		t.Run(string(tt.scenario), func(t *testing.T) {
			if err := env.Sandbox.SetPayoutScenario(tt.scenario); err != nil {
				t.Fatal(err)
			}
			data := map[string]any{"Username": env.Username, "Password": env.Password, "NotificationURL": m.URL,
				"EndUserID": "player-9", "MessageID": uuid.NewString(), "AccountID": acc.AccountID, "Amount": "25.00",
				"Currency": "SEK"}
			res := rawCall(t, env, "AccountPayout", data)
			orderID, _ := res["orderid"].(string)
			if res["result"] != tt.result || orderID == "" {
				t.Fatalf("AccountPayout result %v; want result %q with an orderid", res, tt.result)
			}
			p := trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-9", MessageID: data["MessageID"].(string),
				AccountID: acc.AccountID, Amount: "25.00", Currency: "SEK"}
			if _, err := client.AccountPayout(ctx, p); !trustly.IsCode(err, trustly.CodeDuplicateMessageID) {
				t.Errorf("resend with the same MessageID: %v, want 637", err)
			}
			day := time.Now().UTC()
			rows, err := client.AccountLedger(ctx, trustly.AccountLedgerParams{FromDate: day.AddDate(0, 0, -1).Format(time.DateOnly),
				ToDate: day.AddDate(0, 0, 2).Format(time.DateOnly), Currency: "SEK"})
			if err != nil {
				t.Fatal(err)
			}
			var amounts []string
			for _, r := range rows {
				if r.MessageID != p.MessageID {
					continue
				}
				amounts = append(amounts, r.Amount)
				if r.OrderID != orderID || r.TransactionType != "AccountPayout" {
					t.Errorf("ledger row %+v; want orderid %s, AccountPayout", r, orderID)
				}
			}
			if len(amounts) != len(tt.ledger) || (len(amounts) == 1 && amounts[0] != tt.ledger[0]) {
				t.Errorf("AccountLedger amounts for the MessageID %v, want %v", amounts, tt.ledger)
			}
			ws, err := client.GetWithdrawals(ctx, trustly.GetWithdrawalsParams{OrderID: orderID})
			if err != nil || len(ws) != 1 || ws[0].OrderID != orderID ||
				(ws[0].State() != tt.state && !(tt.state == trustly.PayoutInProgress && ws[0].State() == trustly.PayoutPaid)) {
				t.Errorf("GetWithdrawals = %+v, %v; want one %s", ws, err, tt.state)
			}
		})
	}
}

// rawCall sends a signed request and returns its verified result data, so that a
// result "0" can be read too (the client turns it into ErrRefused).
func rawCall(t *testing.T, env *sandboxtest.Env, method string, data map[string]any) map[string]any {
	t.Helper()
	id := uuid.NewString()
	body, err := trustly.EncodeRequest(env.MerchantKey, method, id, data)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(env.APIURL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	msg, err := trustly.ParseMessage(raw)
	if err != nil || msg.Kind != trustly.KindResult || msg.UUID != id {
		t.Fatalf("%s answer %s: %v", method, raw, err)
	}
	if err := msg.Verify(env.TrustlyKey); err != nil {
		t.Fatalf("%s answer not signed by the sandbox: %v", method, err)
	}
	out, _ := msg.Data.(map[string]any)
	return out
}
