package sandbox_test

import (
	"testing"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestSandboxRefusesWhatTrustlyRefuses: requests whose attributes Trustly's API
// refuses are refused by the sandbox with the code API.md gives, so that a
// merchant whose code sends one finds out against the sandbox, not in
// production: suggested bounds the wrong way round or beside a fixed Amount
// (717), amounts with three decimals (615), a currency Trustly does not know, in
// any case (622), RequestKYC in a country without Pay N Play, which Trustly offers
// in SE, FI, EE and NL only (API.md §8; 732), and on SelectAccount the attributes
// of a Deposit that it does not take: Amount, Currency, SuggestedMin/MaxAmount,
// ShopperStatement (API.md §4.5; 623). AccountPayout and Refund refuse three
// decimals and unknown currencies alike. What the cashier sends stays accepted.
func TestSandboxRefusesWhatTrustlyRefuses(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	selectData := func(a map[string]any) map[string]any {
		d := depositData(env, m, nil)
		sel := map[string]any{"Firstname": "Åsa", "Lastname": "Öberg", "Country": "SE", "Locale": "sv_SE",
			"SuccessURL": "https://casino.example/ok", "FailURL": "https://casino.example/fail"}
		for k, v := range a {
			if v == nil {
				delete(sel, k)
			} else {
				sel[k] = v
			}
		}
		d["Attributes"] = sel
		return d
	}
	payout := func(amount, currency string) map[string]any {
		return map[string]any{"NotificationURL": m.URL, "EndUserID": "player-1", "MessageID": "payout-" + amount + currency,
			"AccountID": "1", "Amount": amount, "Currency": currency}
	}
	typed := map[string]any{"Amount": nil, "SuggestedMinAmount": "10.00", "SuggestedMaxAmount": "500.00"}
	with := func(base map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		method string
		data   map[string]any
		code   int // 0: accepted
	}{
		{"typed amount within bounds", "Deposit", depositData(env, m, typed), 0},
		{"equal bounds", "Deposit", depositData(env, m, with(typed, map[string]any{"SuggestedMinAmount": "500.00"})), 0},
		{"min above max", "Deposit", depositData(env, m, with(typed, map[string]any{"SuggestedMinAmount": "500.01"})), trustly.CodeInvalidOrderAttribute},
		{"Amount with SuggestedMinAmount", "Deposit", depositData(env, m, map[string]any{"SuggestedMinAmount": "10.00"}), trustly.CodeInvalidOrderAttribute},
		{"Amount with SuggestedMaxAmount", "Deposit", depositData(env, m, map[string]any{"SuggestedMaxAmount": "500.00"}), trustly.CodeInvalidOrderAttribute},
		{"Amount with three decimals", "Deposit", depositData(env, m, map[string]any{"Amount": "100.005"}), trustly.CodeInvalidAmount},
		{"SuggestedMaxAmount with three decimals", "Deposit", depositData(env, m, with(typed, map[string]any{"SuggestedMaxAmount": "500.000"})), trustly.CodeInvalidAmount},
		{"unknown currency", "Deposit", depositData(env, m, map[string]any{"Currency": "XBT"}), trustly.CodeInvalidCurrencyCode},
		{"currency in lower case", "Deposit", depositData(env, m, map[string]any{"Currency": "sek"}), trustly.CodeInvalidCurrencyCode},
		{"Pay N Play in SE", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "1", "Country": "SE"}), 0},
		{"Pay N Play in NL", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "1", "Country": "NL", "Locale": "nl_NL"}), 0},
		{"Pay N Play, country left to the player", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "1", "Country": nil}), 0},
		{"Pay N Play in DE", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "1", "Country": "DE", "Locale": "de_DE"}), trustly.CodePayAndPlayNotAllowed},
		{"Pay N Play in NO", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "1", "Country": "NO"}), trustly.CodePayAndPlayNotAllowed},
		{"KYC off in DE", "Deposit", depositData(env, m, map[string]any{"RequestKYC": "0", "Country": "DE"}), 0},
		{"SelectAccount", "SelectAccount", selectData(nil), 0},
		{"SelectAccount with RequestKYC in FI", "SelectAccount", selectData(map[string]any{"RequestKYC": "1", "Country": "FI"}), 0},
		{"SelectAccount with RequestKYC in DK", "SelectAccount", selectData(map[string]any{"RequestKYC": "1", "Country": "DK"}), trustly.CodePayAndPlayNotAllowed},
		{"SelectAccount with Amount", "SelectAccount", selectData(map[string]any{"Amount": "100.00"}), trustly.CodeInvalidParameters},
		{"SelectAccount with Currency", "SelectAccount", selectData(map[string]any{"Currency": "SEK"}), trustly.CodeInvalidParameters},
		{"SelectAccount with SuggestedMinAmount", "SelectAccount", selectData(map[string]any{"SuggestedMinAmount": "10.00"}), trustly.CodeInvalidParameters},
		{"SelectAccount with SuggestedMaxAmount", "SelectAccount", selectData(map[string]any{"SuggestedMaxAmount": "10.00"}), trustly.CodeInvalidParameters},
		{"SelectAccount with ShopperStatement", "SelectAccount", selectData(map[string]any{"ShopperStatement": "Test Casino"}), trustly.CodeInvalidParameters},
		{"AccountPayout with three decimals", "AccountPayout", payout("10.005", "SEK"), trustly.CodeInvalidAmount},
		{"AccountPayout in an unknown currency", "AccountPayout", payout("10.00", "XBT"), trustly.CodeInvalidCurrencyCode},
		{"Refund with three decimals", "Refund", map[string]any{"OrderID": "1", "Amount": "1.001", "Currency": "SEK"}, trustly.CodeInvalidAmount},
		{"Refund in an unknown currency", "Refund", map[string]any{"OrderID": "1", "Amount": "1.00", "Currency": "sek"}, trustly.CodeInvalidCurrencyCode},
	} {
		got := call(t, env, tt.method, tt.data)
		switch {
		case tt.code == 0 && got.Kind != trustly.KindResult:
			t.Errorf("%s: %s; want it accepted", tt.name, got.Raw)
		case tt.code != 0 && (got.Err == nil || got.Err.Code != tt.code):
			t.Errorf("%s: %s; want error %d %s", tt.name, got.Raw, tt.code, trustly.ErrorName(tt.code))
		}
	}
}
