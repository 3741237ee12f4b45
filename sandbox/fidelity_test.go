package sandbox_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestAttributeValues: an attribute is text (API.md §0 rule 5, §3.4): an object or
// array where text is expected is a parameter of the wrong format, 623, not an
// attribute left out (a Deposit whose Amount was an object let the player type any
// amount). The attributes Trustly defines as objects (SenderInformation,
// RecipientInformation) stay objects.
func TestAttributeValues(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	acc, err := env.Client(t).RegisterAccount(context.Background(), trustly.RegisterAccountParams{EndUserID: "p",
		ClearingHouse: "SWEDEN", BankNumber: "6112", AccountNumber: "69706212", Firstname: "A", Lastname: "B"})
	if err != nil {
		t.Fatal(err)
	}
	payout := func(a map[string]any) map[string]any {
		return map[string]any{"NotificationURL": m.URL, "EndUserID": "p", "MessageID": uuid.NewString(),
			"AccountID": acc.AccountID, "Amount": "10.00", "Currency": "SEK", "Attributes": a}
	}
	for _, tt := range []struct {
		name   string
		method string
		data   map[string]any
		code   int // 0: accepted
	}{
		{"Deposit Amount object", "Deposit", depositData(env, m, map[string]any{"Amount": map[string]any{"v": "100.00"}}), trustly.CodeInvalidParameters},
		{"Deposit Amount array", "Deposit", depositData(env, m, map[string]any{"Amount": []any{"100.00"}}), trustly.CodeInvalidParameters},
		{"Deposit Firstname array", "Deposit", depositData(env, m, map[string]any{"Firstname": []any{"Åsa"}}), trustly.CodeInvalidParameters},
		{"Deposit Locale object", "Deposit", depositData(env, m, map[string]any{"Locale": map[string]any{}}), trustly.CodeInvalidParameters},
		{"Deposit RequestKYC object", "Deposit", depositData(env, m, map[string]any{"RequestKYC": map[string]any{}}), trustly.CodeInvalidParameters},
		{"Deposit SandboxScenario array", "Deposit", depositData(env, m, map[string]any{"SandboxScenario": []any{"deposit-cancel"}}), trustly.CodeInvalidParameters},
		{"Deposit unknown attribute object", "Deposit", depositData(env, m, map[string]any{"SomethingNew": map[string]any{"a": "1"}}), 0},
		{"Deposit Amount number", "Deposit", depositData(env, m, map[string]any{"Amount": jsonNumber("100.00")}), 0},
		{"Deposit Email null", "Deposit", depositData(env, m, map[string]any{"Email": nil}), 0},
		{"SelectAccount Firstname object", "SelectAccount", depositData(env, m, map[string]any{"Amount": nil, "Currency": nil, "Firstname": map[string]any{}}), trustly.CodeInvalidParameters},
		{"AccountPayout ShopperStatement object", "AccountPayout", payout(map[string]any{"ShopperStatement": map[string]any{}}), trustly.CodeInvalidParameters},
		{"AccountPayout SenderInformation object", "AccountPayout", payout(map[string]any{"ShopperStatement": "Casino",
			"SenderInformation": map[string]any{"Partytype": "PERSON", "Firstname": "A", "Lastname": "B", "CountryCode": "SE"}}), 0},
		{"AccountPayout SenderInformation text", "AccountPayout", payout(map[string]any{"SenderInformation": "PERSON"}), trustly.CodeInvalidParameters},
		{"Refund ExternalReference array", "Refund", map[string]any{"OrderID": "123456", "Amount": "1.00", "Currency": "SEK",
			"Attributes": map[string]any{"ExternalReference": []any{"x"}}}, trustly.CodeInvalidParameters},
		{"RegisterAccount DateOfBirth object", "RegisterAccount", map[string]any{"EndUserID": "p", "ClearingHouse": "SWEDEN",
			"BankNumber": "6112", "AccountNumber": "69706212", "Firstname": "A", "Lastname": "B",
			"Attributes": map[string]any{"DateOfBirth": map[string]any{}}}, trustly.CodeInvalidParameters},
	} {
		got := call(t, env, tt.method, tt.data)
		code := 0
		if got.Err != nil {
			code = got.Err.Code
		}
		if code != tt.code {
			t.Errorf("%s: got code %d (%s), want %d", tt.name, code, got.Raw, tt.code)
		}
	}
}

// TestUnchangeableNeedsNationalID: UnchangeableNationalIdentificationNumber "1"
// needs a NationalIdentificationNumber (API.md §4.1); without one the flag locked
// nothing and anyone could log in, so the sandbox refuses it (623) as our client
// does before sending.
func TestUnchangeableNeedsNationalID(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	for _, tt := range []struct {
		name   string
		method string
		attrs  map[string]any
		code   int
	}{
		{"flag without number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": "1"}, trustly.CodeInvalidParameters},
		{"PHP integer flag without number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": jsonNumber("1")}, trustly.CodeInvalidParameters},
		{"flag with empty number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": "1", "NationalIdentificationNumber": ""}, trustly.CodeInvalidParameters},
		{"flag with null number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": "1", "NationalIdentificationNumber": nil}, trustly.CodeInvalidParameters},
		{"SelectAccount flag without number", "SelectAccount", map[string]any{"Amount": nil, "Currency": nil, "UnchangeableNationalIdentificationNumber": "1"}, trustly.CodeInvalidParameters},
		{"flag with number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": "1", "NationalIdentificationNumber": "19790131-1246"}, 0},
		{"flag 0 without number", "Deposit", map[string]any{"UnchangeableNationalIdentificationNumber": "0"}, 0},
		{"number without flag", "Deposit", map[string]any{"NationalIdentificationNumber": "197901311246"}, 0},
	} {
		d := depositData(env, m, nil)
		for k, v := range tt.attrs {
			if v == nil && k != "NationalIdentificationNumber" {
				delete(attrs(d), k)
			} else {
				attrs(d)[k] = v
			}
		}
		got := call(t, env, tt.method, d)
		code := 0
		if got.Err != nil {
			code = got.Err.Code
		}
		if code != tt.code {
			t.Errorf("%s: got code %d (%s), want %d", tt.name, code, got.Raw, tt.code)
		}
	}
}

// TestRefundOfDepositNotSettled: Trustly queues a refund of a deposit that has not
// settled yet (API.md §4.3), so the refund's payoutconfirmation comes after the
// deposit's credit, never before it; and a deposit whose debit went out (D1: the
// money did not settle and was taken back) is no longer refundable (655).
func TestRefundOfDepositNotSettled(t *testing.T) {
	var skew atomic.Int64 // added to the sandbox's clock
	env := sandboxtest.Start(t, func(c *sandbox.Config) {
		c.LateDelay = time.Hour
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	m := sandboxtest.NewMerchant(t, env)
	client := env.Client(t)
	ctx := context.Background()
	deposit := func(scenario string) string {
		t.Helper()
		dep, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p", MessageID: uuid.NewString(),
			Currency: "SEK", Amount: "100.00", Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": scenario}})
		if err != nil {
			t.Fatal(err)
		}
		return dep.OrderID
	}

	// deposit-delayed: pending now, credit and account an hour later.
	delayed := deposit("deposit-delayed")
	m.WaitFor(t, delayed, 1, 5*time.Second)
	if _, err := client.Refund(ctx, trustly.RefundParams{OrderID: delayed, Amount: "40.00", Currency: "SEK"}); err != nil {
		t.Fatalf("refund of a deposit not credited yet: %v, want it queued", err)
	}
	skew.Add(int64(2 * time.Hour))
	env.WaitIdle(t)
	got := sandboxtest.Methods(m.ForOrder(delayed))
	credit, confirmation := slices.Index(got, "credit"), slices.Index(got, "payoutconfirmation")
	if len(got) != 4 || credit < 0 || confirmation < credit {
		t.Errorf("notifications of the deposit refunded before its credit: %v, want pending, credit, account "+
			"and the refund's payoutconfirmation after the credit", got)
	}

	debited := deposit("deposit-credit-then-debit")
	env.WaitIdle(t)
	if got := sandboxtest.Methods(m.ForOrder(debited)); strings.Join(got, " ") != "pending credit account debit" {
		t.Fatalf("D1 deposit: %v", got)
	}
	_, err := client.Refund(ctx, trustly.RefundParams{OrderID: debited, Amount: "10.00", Currency: "SEK"})
	if !trustly.IsCode(err, trustly.CodeInvalidOrderID) {
		t.Errorf("refund of a debited deposit: %v, want 655", err)
	}
}

// TestDirectDebitNotAllowed: the sandbox's merchant has no Trustly Direct Debit, so
// a Deposit with its attributes gets 712 (API.md §4.1, §7) rather than an ordinary
// checkout; after the MessageID check, like 732.
func TestDirectDebitNotAllowed(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	for _, tt := range []struct {
		name  string
		attrs map[string]any
		code  int
	}{
		{"RequestDirectDebitMandate", map[string]any{"RequestDirectDebitMandate": "1"}, trustly.CodeDirectDebitNotAllowed},
		{"RequestDirectDebitMandate PHP integer", map[string]any{"RequestDirectDebitMandate": jsonNumber("1")}, trustly.CodeDirectDebitNotAllowed},
		{"QuickDeposit", map[string]any{"QuickDeposit": "1"}, trustly.CodeDirectDebitNotAllowed},
		{"ChargeAccountID", map[string]any{"ChargeAccountID": "1234567890"}, trustly.CodeDirectDebitNotAllowed},
		{"RequestDirectDebitMandate 0", map[string]any{"RequestDirectDebitMandate": "0", "QuickDeposit": "0"}, 0},
		{"RequestDirectDebitMandate null", map[string]any{"RequestDirectDebitMandate": nil}, 0},
		{"RequestDirectDebitMandate 2", map[string]any{"RequestDirectDebitMandate": "2"}, trustly.CodeInvalidParameters},
	} {
		d := depositData(env, m, nil)
		for k, v := range tt.attrs {
			attrs(d)[k] = v
		}
		got := call(t, env, "Deposit", d)
		code := 0
		if got.Err != nil {
			code = got.Err.Code
		}
		if code != tt.code {
			t.Errorf("%s: got code %d (%s), want %d", tt.name, code, got.Raw, tt.code)
		}
	}
	// 637 comes first: a reused MessageID is refused as such.
	d := depositData(env, m, nil)
	if got := call(t, env, "Deposit", d); got.Kind != trustly.KindResult {
		t.Fatalf("first deposit: %s", got.Raw)
	}
	attrs(d)["QuickDeposit"] = "1"
	wantCode(t, call(t, env, "Deposit", d), trustly.CodeDuplicateMessageID)
}

// TestKYCLimitMustBeAnAmount: a kyc CONTINUE's limit caps the deposit (API.md §5.5)
// and is an amount like any other ("5000.00"). An answer whose limit is not one
// (no decimals, zero, text) was counted as delivered with the limit ignored, so the
// player could deposit past the merchant's cap; it is now not a valid answer and the
// kyc is delivered again, like any invalid answer (§6.2).
func TestKYCLimitMustBeAnAmount(t *testing.T) {
	for _, tt := range []struct {
		limit string
		valid bool
	}{{"50.00", true}, {"50", false}, {"0.00", false}, {"50,00", false}, {"fifty", false}, {"-50.00", false}} {
		t.Run(tt.limit, func(t *testing.T) {
			env := sandboxtest.Start(t)
			m := sandboxtest.NewMerchant(t, env)
			m.Answer = func(n *trustly.Notification, count int) (trustly.Answer, int, bool) {
				switch {
				case n.Method != trustly.MethodKYC:
					return trustly.Answer{Status: trustly.StatusOK}, 200, true
				case count == 1:
					return trustly.Answer{Status: trustly.StatusContinue, Limit: tt.limit}, 200, true
				}
				return trustly.Answer{Status: trustly.StatusContinue, Limit: "30.00"}, 200, true
			}
			dep, err := env.Client(t).Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL,
				EndUserID: "pnp-1", MessageID: uuid.NewString(), Currency: "SEK", Amount: "100.00", RequestKYC: true,
				Country: "SE", Extra: map[string]string{"SandboxAutoComplete": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			env.WaitIdle(t)
			wantKYCs, wantAmount := 2, "30.00" // the second answer's limit
			if tt.valid {
				wantKYCs, wantAmount = 1, tt.limit
			}
			kycs, amount := 0, ""
			for _, n := range m.ForOrder(dep.OrderID) {
				switch d := n.Data.(type) {
				case *trustly.KYCData:
					kycs++
				case *trustly.TransferData:
					if n.Method == trustly.MethodCredit {
						amount = d.Amount
					}
				}
			}
			if kycs != wantKYCs || amount != wantAmount {
				t.Errorf("limit %q: kyc delivered %d times, credit %q; want %d, %q", tt.limit, kycs, amount, wantKYCs, wantAmount)
			}
		})
	}
}

// TestRegisterAccountNumbers: values may come as JSON numbers (API.md §0 rule 5:
// accept integers), also the fields RegisterAccount needs present though they may be
// empty: a BankNumber or Lastname sent as a number was refused as missing (623).
func TestRegisterAccountNumbers(t *testing.T) {
	env := sandboxtest.Start(t)
	for _, tt := range []struct {
		name string
		edit func(d map[string]any)
		code int
	}{
		{"BankNumber number", func(d map[string]any) { d["BankNumber"] = jsonNumber("6112") }, 0},
		{"AccountNumber number", func(d map[string]any) { d["AccountNumber"] = jsonNumber("69706212") }, 0},
		{"Lastname number", func(d map[string]any) { d["Lastname"] = jsonNumber("1") }, 0},
		{"BankNumber missing", func(d map[string]any) { delete(d, "BankNumber") }, trustly.CodeInvalidParameters},
		{"BankNumber null", func(d map[string]any) { d["BankNumber"] = nil }, trustly.CodeInvalidParameters},
		{"Lastname missing", func(d map[string]any) { delete(d, "Lastname") }, trustly.CodeInvalidParameters},
		{"Lastname empty", func(d map[string]any) { d["Lastname"] = "" }, 0},
	} {
		d := map[string]any{"EndUserID": "p", "ClearingHouse": "SWEDEN", "BankNumber": "6112",
			"AccountNumber": "69706212", "Firstname": "A", "Lastname": "B"}
		tt.edit(d)
		got := call(t, env, "RegisterAccount", d)
		code := 0
		if got.Err != nil {
			code = got.Err.Code
		}
		if code != tt.code {
			t.Errorf("%s: got code %d (%s), want %d", tt.name, code, got.Raw, tt.code)
		}
	}
}

// TestAccountLedgerAmounts: Trustly's AccountLedger writes amounts with many
// decimals, negative for money out ("-5.00000000000000000000", API.md §4.7), unlike
// Balance and notifications; the sandbox wrote two, so a merchant whose parser takes
// only two passed here and failed at Trustly.
func TestAccountLedgerAmounts(t *testing.T) {
	env := sandboxtest.Start(t)
	client := env.Client(t)
	ctx := context.Background()
	m := sandboxtest.NewMerchant(t, env)
	dep, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p", MessageID: uuid.NewString(),
		Currency: "SEK", Amount: "250.50", Extra: map[string]string{"SandboxAutoComplete": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t)
	if _, err := client.Refund(ctx, trustly.RefundParams{OrderID: dep.OrderID, Amount: "5.00", Currency: "SEK"}); err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t)
	today := time.Now().UTC()
	rows, err := client.AccountLedger(ctx, trustly.AccountLedgerParams{FromDate: today.Format(time.DateOnly),
		ToDate: today.AddDate(0, 0, 1).Format(time.DateOnly), Currency: "SEK"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.TransactionType+" "+r.Amount)
	}
	want := "OpeningBalance 1000000.00000000000000000000,Deposit 250.50000000000000000000,Refund -5.00000000000000000000"
	if strings.Join(got, ",") != want {
		t.Errorf("AccountLedger = %v, want %s", got, want)
	}
	bal, err := client.Balance(ctx)
	if err != nil || len(bal) != 2 || bal[1].Balance != "1000245.50" {
		t.Errorf("Balance = %+v, %v; want SEK 1000245.50, two decimals", bal, err)
	}
}

// TestCheckoutExpires: Trustly's checkout URL lives about 10–30 minutes and an order
// the player never finished expires with a cancel (API.md §4.1, §6.1, §9). A
// Deposit or SelectAccount still in its checkout CheckoutExpiry after it was
// created is cancelled: a cancel notification, and the checkout no longer goes on.
// Finished orders are not touched.
func TestCheckoutExpires(t *testing.T) {
	var skew atomic.Int64 // added to the sandbox's clock
	env := sandboxtest.Start(t, func(c *sandbox.Config) {
		c.CheckoutExpiry = 30 * time.Minute
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	m := sandboxtest.NewMerchant(t, env)
	client := env.Client(t)
	ctx := context.Background()
	open, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p", MessageID: uuid.NewString(),
		Currency: "SEK", Amount: "10.00"})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := client.SelectAccount(ctx, trustly.SelectAccountParams{NotificationURL: m.URL, EndUserID: "p", MessageID: uuid.NewString(),
		Country: "SE", Locale: "sv_SE", Firstname: "A", Lastname: "B"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p", MessageID: uuid.NewString(),
		Currency: "SEK", Amount: "10.00", Extra: map[string]string{"SandboxAutoComplete": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t)
	skew.Add(int64(29 * time.Minute))
	env.WaitIdle(t)
	if got := m.ForOrder(open.OrderID); len(got) != 0 {
		t.Fatalf("open checkout after 29 minutes: %v, want nothing yet", sandboxtest.Methods(got))
	}
	skew.Add(int64(2 * time.Minute))
	for _, id := range []string{open.OrderID, sel.OrderID} {
		got := sandboxtest.Methods(m.WaitFor(t, id, 1, 5*time.Second))
		if strings.Join(got, " ") != "cancel" {
			t.Errorf("order %s after 31 minutes: %v, want cancel", id, got)
		}
	}
	env.WaitIdle(t)
	if got := sandboxtest.Methods(m.ForOrder(done.OrderID)); strings.Join(got, " ") != "pending credit account" {
		t.Errorf("finished deposit: %v, want pending credit account and no cancel", got)
	}
}

// TestUUIDForm: params.UUID is an RFC 4122 UUID in its text form, of any version
// (API.md §2.1, §12.2); the sandbox took every form Go's uuid.Parse reads, also
// without dashes, in braces or as a URN, which no Trustly client sends. Those get
// 623 like any malformed UUID.
func TestUUIDForm(t *testing.T) {
	env := sandboxtest.Start(t)
	v1, _ := uuid.NewUUID()
	for _, tt := range []struct {
		id   string
		code int
	}{
		{uuid.NewString(), 0},
		{v1.String(), 0},
		{strings.ToUpper(uuid.NewString()), 0},
		{strings.ReplaceAll(uuid.NewString(), "-", ""), trustly.CodeInvalidParameters},
		{"{" + uuid.NewString() + "}", trustly.CodeInvalidParameters},
		{"urn:uuid:" + uuid.NewString(), trustly.CodeInvalidParameters},
		{"not-a-uuid", trustly.CodeInvalidParameters},
	} {
		body, _ := sign(t, env, "Balance", tt.id, map[string]any{})
		got := post(t, env, "/api/1", body)
		code := 0
		if got.Err != nil {
			code = got.Err.Code
		}
		if code != tt.code || got.UUID != tt.id {
			t.Errorf("UUID %q: got code %d, uuid %q; want %d, echoed", tt.id, code, got.UUID, tt.code)
		}
	}
}

// TestApproveDenyWithdrawal: Trustly's test environment answers ApproveWithdrawal and
// DenyWithdrawal of an unknown order with ERROR_NOT_FOUND (API.md §11), not
// ERROR_INVALID_FUNCTION: they are Trustly methods. The sandbox makes no Withdraw
// orders, so every OrderID is unknown to them (990, its number for the name);
// the usual checks come first. Withdraw itself stays unoffered (991).
func TestApproveDenyWithdrawal(t *testing.T) {
	env := sandboxtest.Start(t)
	for _, method := range []string{"ApproveWithdrawal", "DenyWithdrawal"} {
		got := call(t, env, method, map[string]any{"OrderID": "123456"})
		wantCode(t, got, trustly.CodeNotFound)
		if got.Method != method {
			t.Errorf("%s: error for method %q", method, got.Method)
		}
		wantCode(t, call(t, env, method, map[string]any{}), trustly.CodeInvalidParameters)
		wantCode(t, call(t, env, method, map[string]any{"OrderID": "123456", "Password": "wrong"}), trustly.CodeInvalidCredentials)
	}
	wantCode(t, call(t, env, "Withdraw", map[string]any{"OrderID": "123456"}), trustly.CodeInvalidFunction)
	wantCode(t, call(t, env, "approveWithdrawal", map[string]any{"OrderID": "123456"}), trustly.CodeInvalidFunction)
}
