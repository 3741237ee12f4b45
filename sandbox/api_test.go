package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// post sends raw bytes to the API and returns the parsed, verified response.
func post(t *testing.T, env *sandboxtest.Env, path string, body []byte) *trustly.Message {
	t.Helper()
	resp, err := http.Post(env.URL+path, "", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", resp.StatusCode, raw)
	}
	m, err := trustly.ParseMessage(raw)
	if err != nil {
		t.Fatalf("parse response %s: %v", raw, err)
	}
	if err := m.Verify(env.TrustlyKey); err != nil {
		t.Fatalf("response does not verify with the sandbox key: %v\n%s", err, raw)
	}
	return m
}

// call signs data (credentials added unless present) and posts it.
func call(t *testing.T, env *sandboxtest.Env, method string, data map[string]any) *trustly.Message {
	t.Helper()
	body, _ := sign(t, env, method, uuid.NewString(), data)
	return post(t, env, "/api/1", body)
}

func sign(t *testing.T, env *sandboxtest.Env, method, id string, data map[string]any) ([]byte, string) {
	t.Helper()
	d := maps.Clone(data)
	if _, ok := d["Username"]; !ok {
		d["Username"] = env.Username
	}
	if _, ok := d["Password"]; !ok {
		d["Password"] = env.Password
	}
	body, err := trustly.EncodeRequest(env.MerchantKey, method, id, d)
	if err != nil {
		t.Fatal(err)
	}
	return body, id
}

func wantCode(t *testing.T, m *trustly.Message, code int) {
	t.Helper()
	if m.Kind != trustly.KindError || m.Err == nil || m.Err.Code != code {
		got := 0
		if m.Err != nil {
			got = m.Err.Code
		}
		t.Fatalf("got %s code %d (%s), want error %d %s", m.Kind, got, m.Raw, code, trustly.ErrorName(code))
	}
}

func depositData(env *sandboxtest.Env, m *sandboxtest.Merchant, attrs map[string]any) map[string]any {
	a := map[string]any{"Currency": "SEK", "Amount": "100.00", "Firstname": "Åsa", "Lastname": "Öberg",
		"Email": "a@example.com", "Country": "SE", "Locale": "sv_SE", "ShopperStatement": "Test Casino",
		"SuccessURL": "https://casino.example/ok", "FailURL": "https://casino.example/fail"}
	for k, v := range attrs {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	url := "http://127.0.0.1:1/notify"
	if m != nil {
		url = m.URL
	}
	return map[string]any{"NotificationURL": url, "EndUserID": "player-1", "MessageID": uuid.NewString(), "Attributes": a}
}

func TestAPIErrors(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)

	// A registered account and a completed deposit for the business checks.
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-1", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("unreadable", func(t *testing.T) {
		for _, body := range []string{`{"method":`, `[1,2]`, "{\"method\":\"Deposit\",\"params\":{\"Data\":{}}, \"x\":\"\xff\"}", `{"result":{}}`} {
			got := post(t, env, "/1", []byte(body))
			wantCode(t, got, trustly.CodeUnknown)
			if got.Method != "" || got.UUID != "" {
				t.Errorf("%s: method %q uuid %q, want null", body, got.Method, got.UUID)
			}
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		for _, method := range []string{"Withdraw", "getWithdrawals", "Nonsense"} {
			got := call(t, env, method, map[string]any{"OrderID": "1"})
			wantCode(t, got, trustly.CodeInvalidFunction)
			if got.Method != method {
				t.Errorf("error method %q, want %q", got.Method, method)
			}
		}
	})
	t.Run("credentials before signature", func(t *testing.T) {
		d := depositData(env, m, nil)
		d["Password"] = "wrong"
		body, _ := sign(t, env, "Deposit", uuid.NewString(), d)
		// Break the signature too: the credentials check comes first.
		body = bytes.Replace(body, []byte(`"Signature":"`), []byte(`"Signature":"AAAA`), 1)
		wantCode(t, post(t, env, "/api/1", body), trustly.CodeInvalidCredentials)
	})
	t.Run("signature", func(t *testing.T) {
		other, _ := trustly.GenerateKey()
		c, _ := trustly.NewClient(trustly.Config{URL: env.APIURL, Username: env.Username, Password: env.Password,
			PrivateKey: other, TrustlyKey: env.TrustlyKey})
		_, err := c.Balance(ctx)
		if !trustly.IsCode(err, trustly.CodeUnableToVerifyRSASignature) {
			t.Fatalf("Balance with a wrong key: %v, want 636", err)
		}
		// A changed value after signing.
		body, _ := sign(t, env, "Balance", uuid.NewString(), map[string]any{})
		body = bytes.Replace(body, []byte(env.Username), []byte(env.Username+"x"), 1)
		wantCode(t, post(t, env, "/api/1", body), trustly.CodeInvalidCredentials)
	})
	t.Run("alg prefix", func(t *testing.T) {
		id := uuid.NewString()
		data := map[string]any{"Username": env.Username, "Password": env.Password}
		pt, _ := trustly.Plaintext("Balance", id, data)
		sig := signSHA256(t, env, pt)
		body, _ := jsonBody(map[string]any{"method": "Balance", "version": "1.1",
			"params": map[string]any{"Signature": "alg=RS256;" + sig, "UUID": id, "Data": data}})
		if got := post(t, env, "/api/1", body); got.Kind != trustly.KindResult {
			t.Fatalf("alg=RS256 request: %s", got.Raw)
		}
	})
	t.Run("uuid reuse", func(t *testing.T) {
		id := uuid.NewString()
		body, _ := sign(t, env, "Balance", id, map[string]any{})
		if got := post(t, env, "/api/1", body); got.Kind != trustly.KindResult {
			t.Fatalf("first: %s", got.Raw)
		}
		wantCode(t, post(t, env, "/api/1", body), trustly.CodeDuplicateUUID)
	})
	t.Run("fields and formats", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			edit func(d map[string]any)
			code int
		}{
			{"EndUserId casing", func(d map[string]any) { d["EndUserId"] = d["EndUserID"]; delete(d, "EndUserID") }, trustly.CodeInvalidParameters},
			{"attribute casing", func(d map[string]any) { attrs(d)["AccountId"] = "1" }, trustly.CodeInvalidParameters},
			{"no EndUserID", func(d map[string]any) { delete(d, "EndUserID") }, trustly.CodeEndUserIDIsNull},
			{"null MessageID", func(d map[string]any) { d["MessageID"] = nil }, trustly.CodeMessageIDIsNull},
			{"no Currency", func(d map[string]any) { delete(attrs(d), "Currency") }, trustly.CodeInvalidParameters},
			{"flag 2", func(d map[string]any) { attrs(d)["HoldNotifications"] = "2" }, trustly.CodeInvalidParameters},
			{"amount one decimal", func(d map[string]any) { attrs(d)["Amount"] = "100.0" }, trustly.CodeInvalidAmount},
			{"amount zero", func(d map[string]any) { attrs(d)["Amount"] = "0.00" }, trustly.CodeInvalidAmount},
			{"amount negative", func(d map[string]any) { attrs(d)["Amount"] = "-5.00" }, trustly.CodeInvalidAmount},
			{"currency", func(d map[string]any) { attrs(d)["Currency"] = "XXX" }, trustly.CodeInvalidCurrencyCode},
			{"locale", func(d map[string]any) { attrs(d)["Locale"] = "sv-SE" }, trustly.CodeInvalidLocale},
			{"ip", func(d map[string]any) { attrs(d)["IP"] = "1.2.3.4, 5.6.7.8" }, trustly.CodeInvalidIP},
			{"success url", func(d map[string]any) { attrs(d)["SuccessURL"] = "ftp://x" }, trustly.CodeMalformedSuccessURL},
			{"fail url", func(d map[string]any) { attrs(d)["FailURL"] = "/relative" }, trustly.CodeMalformedFailURL},
			{"template url", func(d map[string]any) { attrs(d)["TemplateURL"] = "nope" }, trustly.CodeMalformedTemplateURL},
			{"url target", func(d map[string]any) { attrs(d)["URLTarget"] = "_blank" }, trustly.CodeMalformedURLTarget},
			{"message id", func(d map[string]any) { d["MessageID"] = " padded " }, trustly.CodeMalformedMessageID},
			{"notification url query", func(d map[string]any) { d["NotificationURL"] = "https://x.example/n?a=1" }, trustly.CodeMalformedNotificationURL},
			{"enduser id", func(d map[string]any) { d["EndUserID"] = strings.Repeat("x", 101) }, trustly.CodeMalformedEndUserID},
			{"http notification url", func(d map[string]any) { d["NotificationURL"] = "http://casino.example/n" }, trustly.CodeNotSecureNotificationURL},
			{"country", func(d map[string]any) { attrs(d)["Country"] = "XX" }, trustly.CodeInvalidCountry},
			{"scenario", func(d map[string]any) { attrs(d)["SandboxScenario"] = "no-such" }, trustly.CodeInvalidOrderAttribute},
		} {
			d := depositData(env, m, nil)
			tt.edit(d)
			got := call(t, env, "Deposit", d)
			if got.Err == nil || got.Err.Code != tt.code {
				t.Errorf("%s: got %s, want %d", tt.name, got.Raw, tt.code)
			}
		}
	})
	t.Run("boolean", func(t *testing.T) {
		// Signed by PHP's rule (true as "1"), sent as a JSON boolean: 623, not 636.
		d := depositData(env, m, map[string]any{"RequestKYC": "1"})
		body, _ := sign(t, env, "Deposit", uuid.NewString(), d)
		body = bytes.Replace(body, []byte(`"RequestKYC":"1"`), []byte(`"RequestKYC":true`), 1)
		wantCode(t, post(t, env, "/api/1", body), trustly.CodeInvalidParameters)
	})
	t.Run("message id reuse", func(t *testing.T) {
		d := depositData(env, m, nil)
		if got := call(t, env, "Deposit", d); got.Kind != trustly.KindResult {
			t.Fatalf("first: %s", got.Raw)
		}
		wantCode(t, call(t, env, "Deposit", d), trustly.CodeDuplicateMessageID)
		// 637 comes after the format checks.
		attrs(d)["Amount"] = "1"
		wantCode(t, call(t, env, "Deposit", d), trustly.CodeInvalidAmount)
	})
	t.Run("pay n play disabled", func(t *testing.T) {
		off := sandboxtest.Start(t, func(c *sandbox.Config) { c.PayNPlay = false })
		_, err := off.Client(t).Deposit(ctx, trustly.DepositParams{NotificationURL: "https://x.example/n", EndUserID: "p",
			MessageID: "m1", Currency: "SEK", RequestKYC: true})
		if !trustly.IsCode(err, trustly.CodePayAndPlayNotAllowed) {
			t.Fatalf("got %v, want 732", err)
		}
	})
	t.Run("business", func(t *testing.T) {
		_, err := client.Refund(ctx, trustly.RefundParams{OrderID: "123456", Amount: "1.00", Currency: "SEK"})
		if !trustly.IsCode(err, trustly.CodeInvalidOrderID) {
			t.Errorf("refund of unknown order: %v, want 655", err)
		}
		_, err = client.GetWithdrawals(ctx, trustly.GetWithdrawalsParams{OrderID: "123456"})
		if !trustly.IsCode(err, trustly.CodeInvalidOrderID) {
			t.Errorf("GetWithdrawals of unknown order: %v, want 655", err)
		}
		_, err = client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-1",
			MessageID: uuid.NewString(), AccountID: "AccountID", Amount: "10.00", Currency: "SEK"})
		if !trustly.IsCode(err, trustly.CodeUnknown) {
			t.Errorf("payout to unknown account: %v, want 620", err)
		}
		_, err = client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-1",
			MessageID: uuid.NewString(), AccountID: acc.AccountID, Amount: "99999999.00", Currency: "SEK"})
		if !trustly.IsCode(err, trustly.CodeInsufficientFunds) {
			t.Errorf("payout beyond the balance: %v, want %d", err, trustly.CodeInsufficientFunds)
		}
		for _, tt := range []struct{ ch, bank, number string }{
			{"SWEDEN", "6112", "AASSSRMFKF"}, {"SWEDEN", "61", "1234"}, {"FINLAND", "", "FI2112345600000786"},
			{"NETHERLANDS", "", "NL91ABNA041716430"}, {"UNITED_KINGDOM", "12345", "12345678"},
		} {
			_, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "p", ClearingHouse: tt.ch,
				BankNumber: tt.bank, AccountNumber: tt.number, Firstname: "A", Lastname: "B"})
			if !trustly.IsCode(err, trustly.CodeInvalidBankAccountNumber) {
				t.Errorf("RegisterAccount %s %s %s: %v, want 624", tt.ch, tt.bank, tt.number, err)
			}
		}
	})
}

func attrs(d map[string]any) map[string]any { return d["Attributes"].(map[string]any) }

// TestQuirks sends what Trustly's official clients send (API.md §12.2).
func TestQuirks(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	ok := func(name string, body []byte, path string) *trustly.Message {
		t.Helper()
		got := post(t, env, path, body)
		if got.Kind != trustly.KindResult {
			t.Errorf("%s: %s", name, got.Raw)
		}
		return got
	}
	// PHP: integer flags, \/ and \u escapes, posted to /1.
	d := depositData(env, m, map[string]any{"RequestKYC": jsonNumber("1"), "HoldNotifications": jsonNumber("0"),
		"Firstname": "\u00c5sa"})
	body, _ := sign(t, env, "Deposit", uuid.NewString(), d)
	body = bytes.ReplaceAll(body, []byte("/"), []byte(`\/`))
	body = bytes.ReplaceAll(body, []byte("Å"), []byte(`\u00c5`))
	ok("php", body, "/1")
	// PHP/Python: no Attributes on AccountPayout, no ShopperStatement.
	client := env.Client(t)
	acc, err := client.RegisterAccount(context.Background(), trustly.RegisterAccountParams{EndUserID: "p", ClearingHouse: "SWEDEN",
		BankNumber: "5329", AccountNumber: "1865391", Firstname: "A", Lastname: "B"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = sign(t, env, "AccountPayout", uuid.NewString(), map[string]any{"NotificationURL": m.URL, "EndUserID": "p",
		"MessageID": uuid.NewString(), "AccountID": acc.AccountID, "Amount": "10.00", "Currency": "SEK"})
	ok("no attributes", body, "/api/1")
	// Python: version-1 UUID, no Content-Type (post sends none).
	v1, _ := uuid.NewUUID()
	body, _ = sign(t, env, "Balance", v1.String(), map[string]any{})
	if got := ok("uuid v1", body, "/api/1"); got.UUID != v1.String() {
		t.Errorf("uuid %q, want %q echoed", got.UUID, v1)
	}
	// Java/.NET: explicit nulls in optional fields; PHP's AddressPostalcode.
	d = depositData(env, m, map[string]any{"Locale": nil})
	attrs(d)["Locale"] = nil
	attrs(d)["IP"] = nil
	body, _ = sign(t, env, "Deposit", uuid.NewString(), d)
	ok("nulls", body, "/api/1")
	body, _ = sign(t, env, "RegisterAccount", uuid.NewString(), map[string]any{"EndUserID": "p", "ClearingHouse": "SWEDEN",
		"BankNumber": "6112", "AccountNumber": "69706212", "Firstname": "A", "Lastname": "B",
		"Attributes": map[string]any{"AddressPostalcode": "11122", "DateOfBirth": nil}})
	ok("postalcode", body, "/api/1")
	body, _ = sign(t, env, "AccountLedger", uuid.NewString(), map[string]any{"FromDate": "2020-01-01", "ToDate": "2030-01-01", "Currency": nil})
	ok("null currency", body, "/api/1")
}

// TestMethods drives every method through trustly.Client.
func TestMethods(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)

	dep, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "player-1",
		MessageID: "dep-1", Currency: "SEK", Amount: "250.00", Country: "SE", Locale: "sv_SE",
		SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail", URLTarget: trustly.TargetTop,
		Extra: map[string]string{"SandboxAutoComplete": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dep.OrderID) != 10 || !strings.HasPrefix(dep.URL, env.URL+"/checkout/"+dep.OrderID) {
		t.Errorf("Deposit = %+v", dep)
	}
	got := m.WaitFor(t, dep.OrderID, 3, 5*time.Second)
	account := got[2].Data.(*trustly.AccountData)

	sel, err := client.SelectAccount(ctx, trustly.SelectAccountParams{NotificationURL: m.URL, EndUserID: "player-1",
		MessageID: "sel-1", Locale: "sv_SE", Country: "SE", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil || len(sel.OrderID) != 10 {
		t.Fatalf("SelectAccount = %+v, %v", sel, err)
	}

	reg, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-1", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}
	if reg.AccountID != account.AccountID || reg.Bank != "Handelsbanken" || reg.Descriptor != "**706212" || reg.ClearingHouse != "SWEDEN" {
		t.Errorf("RegisterAccount = %+v; want the deposit's account %s at Handelsbanken, **706212", reg, account.AccountID)
	}
	iban, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-1", ClearingHouse: "FINLAND",
		AccountNumber: "FI21 1234 5600 0007 85", Firstname: "Matti", Lastname: "M"})
	if err != nil || iban.Descriptor != "**000785" {
		t.Errorf("RegisterAccount IBAN = %+v, %v", iban, err)
	}

	pay, err := client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-1",
		MessageID: "pay-1", AccountID: reg.AccountID, Amount: "40.00", Currency: "SEK", ShopperStatement: "Test Casino"})
	if err != nil {
		t.Fatal(err)
	}
	m.WaitFor(t, pay.OrderID, 1, 5*time.Second)
	_, err = client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-1",
		MessageID: "pay-1", AccountID: reg.AccountID, Amount: "40.00", Currency: "SEK"})
	if !trustly.IsCode(err, trustly.CodeDuplicateMessageID) {
		t.Errorf("second payout with the same MessageID: %v, want 637", err)
	}
	if n := env.Sandbox.PayoutCalls("pay-1"); n != 2 {
		t.Errorf("PayoutCalls = %d, want 2", n)
	}
	ws, err := client.GetWithdrawals(ctx, trustly.GetWithdrawalsParams{OrderID: pay.OrderID})
	if err != nil || len(ws) != 1 || ws[0].TransferState != "CONFIRMED" || ws[0].Amount != "40.00" || ws[0].AccountID != reg.AccountID {
		t.Errorf("GetWithdrawals = %+v, %v", ws, err)
	}

	ref, err := client.Refund(ctx, trustly.RefundParams{OrderID: dep.OrderID, Amount: "50.00", Currency: "SEK"})
	if err != nil || ref.OrderID != dep.OrderID {
		t.Fatalf("Refund = %+v, %v", ref, err)
	}
	_, err = client.Refund(ctx, trustly.RefundParams{OrderID: dep.OrderID, Amount: "200.01", Currency: "SEK"})
	if !trustly.IsCode(err, trustly.CodeInvalidAmount) {
		t.Errorf("refund beyond the deposit: %v, want 615", err)
	}
	got = m.WaitFor(t, dep.OrderID, 4, 5*time.Second)
	if got[3].Method != trustly.MethodPayoutConfirmation {
		t.Errorf("refund notification %s, want payoutconfirmation on the deposit", got[3].Method)
	}

	bal, err := client.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 1 000 000.00 opening + 250.00 − 40.00 − 50.00
	if want := "1000160.00"; len(bal) != 2 || bal[1].Currency != "SEK" || bal[1].Balance != want {
		t.Errorf("Balance = %+v, want SEK %s", bal, want)
	}
	today := time.Now().UTC()
	ledger, err := client.AccountLedger(ctx, trustly.AccountLedgerParams{FromDate: today.Format(time.DateOnly),
		ToDate: today.AddDate(0, 0, 1).Format(time.DateOnly), Currency: "SEK"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range ledger {
		types = append(types, e.TransactionType+" "+e.Amount)
	}
	want := "OpeningBalance 1000000.00000000000000000000,Deposit 250.00000000000000000000," +
		"AccountPayout -40.00000000000000000000,Refund -50.00000000000000000000" // twenty decimals, as at Trustly
	if strings.Join(types, ",") != want {
		t.Errorf("AccountLedger = %v, want %s", types, want)
	}
	ledger, err = client.AccountLedger(ctx, trustly.AccountLedgerParams{FromDate: today.Format(time.DateOnly),
		ToDate: today.Format(time.DateOnly), Currency: "SEK"})
	if err != nil || len(ledger) != 0 {
		t.Errorf("AccountLedger with ToDate = FromDate (exclusive) = %v, %v; want nothing", ledger, err)
	}
	if bad := m.Bad(); len(bad) > 0 {
		t.Errorf("notifications that did not verify: %v", bad)
	}
	var te *trustly.Error
	if errors.As(err, &te) {
		t.Error(te)
	}
}
