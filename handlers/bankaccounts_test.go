package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// fundingOptions make the sandbox finish deposits and account selections by
// itself with their default scenarios (deposit-ok, select-ok).
func fundingOptions() liveOptions {
	return liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}}
}

// funded signs up a player on lv and deposits amount through the sandbox; it
// returns the browser, the player, and the bank account the deposit's account
// notification saved.
func funded(t *testing.T, lv *liveApp, email, amount string) (*testClient, models.Player, models.BankAccount) {
	t.Helper()
	cl, player := lv.signedIn(email)
	id := lv.startDeposit(cl, amount)
	lv.waitStatus(id, models.OrderCredited)
	return cl, player, lv.waitAccount(player, models.AccountFromDeposit)
}

// waitAccount waits for the player's first bank account from source.
func (a *testApp) waitAccount(player models.Player, source models.AccountSource) models.BankAccount {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var acc models.BankAccount
		if err := a.DB.Where("player_id = ? AND source = ?", player.ID, source).Limit(1).Find(&acc).Error; err != nil {
			a.t.Fatal(err)
		}
		if acc.ID != 0 {
			return acc
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no %s bank account for player %d after 10 s", source, player.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accounts lists the accounts shown on /bank-accounts as "bank number (source)".
func accountsShown(t *testing.T, cl *testClient) []string {
	t.Helper()
	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	var out []string
	for _, n := range page.byTestID("bank-account") {
		sub := &testResponse{t: t, doc: n, what: "account"}
		out = append(out, sub.text("account-bank")+" "+sub.text("account-number")+" ("+sub.text("account-source")+", "+
			sub.text("account-verified")+")")
	}
	return out
}

func countAccounts(t *testing.T, ta *testApp) int64 {
	t.Helper()
	var n int64
	if err := ta.DB.Model(&models.BankAccount{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBankAccountsPageEmpty(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	if !page.has("no-accounts") || page.has("bank-account") {
		t.Error("a new player's page does not say there are no accounts")
	}
	if token := page.forms()["/bank-accounts/select"]; token == "" {
		t.Errorf("no Add account with Trustly form with a CSRF token: %v", page.forms())
	}
	if link := page.byTestID("enter-details"); len(link) == 0 || attr(link[0], "href") != "/bank-accounts/new" {
		t.Error("no Enter bank details link to /bank-accounts/new")
	}
	ta.client().get("/bank-accounts").wantRedirect("/login?next=%2Fbank-accounts")
}

func TestBankDetailsFormFollowsMarket(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	for _, tt := range []struct {
		query, country, accountLabel, hint string
		bankField                          bool
	}{
		{"", "SE", "Account number", "The rest of the number, digits only", true},
		{"?country=FI", "FI", "IBAN", "Starts with FI and has 18 characters. Spaces are fine.", false},
		{"?country=de", "DE", "IBAN", "Starts with DE and has 22 characters. Spaces are fine.", false},
		{"?country=US", "SE", "Account number", "The rest of the number, digits only", true},
	} {
		page := cl.get("/bank-accounts/new" + tt.query).wantStatus(http.StatusOK)
		if got := page.value("country"); got != tt.country {
			t.Errorf("%s: country %q; want %q", tt.query, got, tt.country)
		}
		labels := page.find(func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "account" })
		if len(labels) == 0 || !strings.HasPrefix(textOf(labels[0]), tt.accountLabel+" "+tt.hint) {
			t.Errorf("%s: account label %q; want %q and hint %q", tt.query, firstText(labels), tt.accountLabel, tt.hint)
		}
		if page.has("bank") != tt.bankField {
			t.Errorf("%s: clearing number field shown %t; want %t", tt.query, page.has("bank"), tt.bankField)
		}
		if token := page.forms()["/bank-accounts/new"]; token == "" {
			t.Errorf("%s: the details form has no CSRF token", tt.query)
		}
		hidden := page.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "country" })
		if len(hidden) == 0 || attr(hidden[0], "value") != tt.country {
			t.Errorf("%s: the details form does not carry country %s", tt.query, tt.country)
		}
	}
	if got := cl.get("/bank-accounts/new").text("holder"); got != "Åsa Öberg-Lindqvist" {
		t.Errorf("holder %q", got)
	}
}

// TestRegisterBankAccountValidation: details that do not validate come back with
// what was typed and one sentence, and nothing reaches Trustly (here a closed
// port: a call would end in "We could not save this bank account").
func TestRegisterBankAccountValidation(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	for _, tt := range []struct {
		country, bank, account, field, problem string
	}{
		{"SE", "12", "69706212", "bank", "Enter the clearing number: 4 digits, or 5 for Swedbank numbers starting with 8."},
		{"SE", "6112", "69-70-62-12x", "account", "Enter the account number after the clearing number: digits only, at most 15."},
		{"FI", "", "FI21 1234 5600 0007 86", "account", "This IBAN has a typing error: check the digits again."},
		{"FI", "", "DE89 3704 0044 0532 0130 00", "account", "Enter an IBAN from Finland: it starts with FI."},
		{"FI", "", "", "account", "Enter an IBAN from Finland: it starts with FI."},
		{"US", "", "US12", "country", "Choose the country of your bank from the list."},
	} {
		page := cl.submit("/bank-accounts/new", url.Values{"country": {tt.country}, "bank": {tt.bank}, "account": {tt.account}}).
			wantStatus(http.StatusUnprocessableEntity)
		if got := page.text("problem"); got != tt.problem {
			t.Errorf("%s %q %q: problem %q; want %q", tt.country, tt.bank, tt.account, got, tt.problem)
		}
		if tt.field != "country" && page.value("account") != tt.account {
			t.Errorf("%s %q: the form shows %q again", tt.country, tt.account, page.value("account"))
		}
		invalid := page.find(func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "invalid") })
		if len(invalid) == 0 {
			t.Errorf("%s %q: no field is marked invalid", tt.country, tt.account)
		}
	}
	if n := countAccounts(t, ta); n != 0 {
		t.Errorf("%d bank accounts stored; want none", n)
	}
	if strings.Contains(ta.Logs.String(), "RegisterAccount failed") {
		t.Error("RegisterAccount was called for details that do not validate")
	}
}

func TestRegisterBankAccounts(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")

	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"6970 6212"}}).
		wantRedirect("/bank-accounts")
	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	if got := page.text("flash"); got != "Handelsbanken **706212 was added. Payouts can go to it now." {
		t.Errorf("flash %q", got)
	}
	cl.submit("/bank-accounts/new", url.Values{"country": {"FI"}, "account": {"fi21 1234 5600 0007 85"}}).
		wantRedirect("/bank-accounts")
	flash := cl.get("/bank-accounts").text("flash")
	conversion := "Payouts are sent in SEK. A bank account in Finland is usually in EUR: your bank converts the money at its own rate and may charge a fee."
	if !strings.HasSuffix(flash, "**000785 was added. Payouts can go to it now. "+conversion) {
		t.Errorf("flash %q; want the IBAN account's descriptor and the currency conversion", flash)
	}
	if got := cl.get("/bank-accounts/new?country=FI").text("currency-conversion"); got != conversion {
		t.Errorf("the Finnish bank details form says %q; want %q", got, conversion)
	}
	if cl.get("/bank-accounts/new?country=SE").has("currency-conversion") {
		t.Error("the Swedish bank details form warns a Swedish player of a conversion")
	}
	if notes := cl.get("/payout").text("account-choices"); !strings.Contains(notes, "sent in SEK; your bank converts it to EUR") {
		t.Errorf("the withdrawal form's accounts read %q; want the Finnish one to say it is converted", notes)
	}
	shown := accountsShown(t, cl)
	if len(shown) != 2 || shown[0] != "Handelsbanken **706212 (Entered by you, Not verified)" ||
		!strings.HasSuffix(shown[1], "**000785 (Entered by you, Not verified)") {
		t.Errorf("accounts shown %q", shown)
	}
	// The same details again: the same account, not a second one.
	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"69706212"}}).
		wantRedirect("/bank-accounts")
	if got := cl.get("/bank-accounts").text("flash"); got != "Handelsbanken **706212 is already saved. Payouts can go to it." {
		t.Errorf("flash after entering a saved account again %q", got)
	}
	if n := countAccounts(t, lv.testApp); n != 2 {
		t.Errorf("%d accounts after registering one twice; want 2", n)
	}
}

// TestRegisterAccountFormSentAgain: the bank details form carries a token, and
// sent again (a double click, the back button) it shows the first sending's
// result, the account added, and calls RegisterAccount once: each sending called
// it, and the second said the account was already saved. A token that is not a
// bank details form's is refused with a sentence; the form shown again carries a
// new one.
func TestRegisterAccountFormSentAgain(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")
	token := cl.get("/bank-accounts/new").wantStatus(http.StatusOK).value("details-token")
	if !models.IsRegistrationToken(token) {
		t.Fatalf("the form's token %q is not a registration token", token)
	}
	form := url.Values{"token": {token}, "country": {"SE"}, "bank": {"6112"}, "account": {"69706212"}}
	for i := range 2 {
		cl.submit("/bank-accounts/new", form).wantRedirect("/bank-accounts")
		if got := cl.get("/bank-accounts").text("flash"); got != "Handelsbanken **706212 was added. Payouts can go to it now." {
			t.Errorf("sending %d: flash %q; want the account added", i+1, got)
		}
	}
	var calls int64
	if err := lv.DB.Model(&models.APICall{}).Where("method = ?", "RegisterAccount").Count(&calls).Error; err != nil {
		t.Fatal(err)
	}
	if n := countAccounts(t, lv.testApp); calls != 1 || n != 1 {
		t.Errorf("the form sent twice: %d RegisterAccount calls, %d accounts; want 1 and 1", calls, n)
	}

	form.Set("token", models.NewMessageID(models.OrderSelectAccount))
	page := cl.submit("/bank-accounts/new", form).wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); got != "This bank details form is out of date; open it again." {
		t.Errorf("another form's token: problem %q", got)
	}
	if again := page.value("details-token"); !models.IsRegistrationToken(again) || again == token {
		t.Errorf("the form shown again carries token %q; want a new one", again)
	}
}

func TestRemoveBankAccount(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	other, _ := lv.signedIn("bo@example.com")
	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"69706212"}}).
		wantRedirect("/bank-accounts")
	var acc models.BankAccount
	if err := lv.DB.Where("player_id = ?", player.ID).Take(&acc).Error; err != nil {
		t.Fatal(err)
	}
	path := "/bank-accounts/" + strconv.FormatInt(acc.ID, 10) + "/remove"
	page := cl.get("/bank-accounts")
	if _, ok := page.forms()[path]; !ok {
		t.Fatalf("no remove form posting to %s: %v", path, page.forms())
	}
	if b := page.byTestID("remove"); len(b) == 0 || attr(b[0], "data-confirm") == "" {
		t.Error("Remove does not ask for confirmation")
	}

	other.submit(path, nil).wantStatus(http.StatusNotFound)
	cl.submit("/bank-accounts/nope/remove", nil).wantStatus(http.StatusNotFound)
	cl.submit(path, nil).wantRedirect("/bank-accounts")
	page = cl.get("/bank-accounts")
	if got := page.text("flash"); got != "Handelsbanken **706212 was removed. Payouts already on their way to it go on." {
		t.Errorf("flash %q", got)
	}
	if page.has("bank-account") || !page.has("no-accounts") {
		t.Error("the removed account is still listed")
	}
	// Sent again (a double click, a retry), the form answers as the first time.
	cl.submit(path, nil).wantRedirect("/bank-accounts")
	if got := cl.get("/bank-accounts").text("flash"); got != "Handelsbanken **706212 was removed. Payouts already on their way to it go on." {
		t.Errorf("flash after removing again %q", got)
	}
	other.submit(path, nil).wantStatus(http.StatusNotFound)
}

// TestSelectAccountPages: Add account with Trustly opens the checkout; the
// success page says it is verifying until the account notification arrives, then
// shows the account, which is listed.
func TestSelectAccountPages(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")

	r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
	loc := r.Header.Get("Location")
	q, _ := url.ParseQuery(strings.TrimPrefix(loc, "/bank-accounts/checkout?"))
	id := q.Get("order")
	if !strings.HasPrefix(loc, "/bank-accounts/checkout?order=sel-") {
		t.Fatalf("Add account with Trustly went to %q", loc)
	}
	order := lv.order(id)
	page := cl.get(loc).wantStatus(http.StatusOK)
	if frame := page.byTestID("checkout-frame"); len(frame) == 0 || attr(frame[0], "src") != order.CheckoutURL {
		t.Fatalf("no checkout frame for %s\n%s", order.CheckoutURL, page.Body)
	}
	if got := page.text("checkout-title"); got != "Add a bank account" {
		t.Errorf("checkout title %q", got)
	}

	success := "/accounts/success?order=" + id
	page = cl.get(success).wantStatus(http.StatusOK)
	if got := page.text("account-status"); got != "Verifying your account…" {
		t.Errorf("before the notification: %q", got)
	}
	box := page.byTestID("account-state")[0]
	if attr(box, "data-poll-url") != "/accounts/status?order="+id || attr(box, "data-token") != "verifying" {
		t.Errorf("the verifying page does not poll: %v", box.Attr)
	}
	var status struct{ Token, Phase string }
	if err := json.Unmarshal([]byte(cl.get("/accounts/status?order="+id).wantStatus(http.StatusOK).Body), &status); err != nil ||
		status.Token != "verifying" {
		t.Errorf("status JSON %+v, %v", status, err)
	}

	lv.checkoutAction(id, "confirm")
	lv.waitAccount(player, models.AccountFromSelectAccount)
	page = cl.get(success).wantStatus(http.StatusOK)
	if got := page.text("result-title"); got != "Bank account added" {
		t.Errorf("title %q", got)
	}
	if got := page.text("account-verified"); got != "Verified" {
		t.Errorf("verified %q", got)
	}
	if attr(page.byTestID("account-state")[0], "data-poll-url") != "" {
		t.Error("the page still polls after the account arrived")
	}
	if shown := accountsShown(t, cl); len(shown) != 1 || !strings.HasSuffix(shown[0], "(Chosen with Trustly, Verified)") {
		t.Errorf("accounts shown %q", shown)
	}
	// The checkout of a finished selection goes to its result page.
	cl.get("/bank-accounts/checkout?order=" + id).wantRedirect(success)

	// The selection is done in the history, also after the checkout's life (it
	// read "Not completed — the bank page has closed…"), and in the back office
	// (it read "Checkout started" for good).
	lv.waitStatus(id, models.OrderAccountAdded)
	if err := lv.DB.Model(&models.Order{}).Where("message_id = ?", id).Update("created_at", time.Now().Add(-31*time.Minute)).Error; err != nil {
		t.Fatal(err)
	}
	history := cl.get("/history").wantStatus(http.StatusOK)
	if got := history.text("order-status"); got != "Added to your bank accounts" {
		t.Errorf("history of the selection reads %q; want Added to your bank accounts", got)
	}
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	admin := op.get(orderPath(order.ID)).wantStatus(http.StatusOK)
	if got := admin.text("order-status"); got != "Account added" {
		t.Errorf("the back office's order page reads %q; want Account added", got)
	}
	if ids := rowIDs(t, op.get(transactionsPath+"?status=account-added").wantStatus(http.StatusOK)); !slices.Equal(ids, []int64{order.ID}) {
		t.Errorf("transactions filtered by account-added: %v; want [%d]", ids, order.ID)
	}

	other, _ := lv.signedIn("bo@example.com")
	other.get(success).wantStatus(http.StatusNotFound)
	other.get("/accounts/status?order=" + id).wantStatus(http.StatusNotFound)
	other.get("/bank-accounts/checkout?order=" + id).wantStatus(http.StatusNotFound)
}

func TestSelectAccountCancelled(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")
	r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
	q, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Location"), "/bank-accounts/checkout?"))
	id := q.Get("order")
	lv.checkoutAction(id, "cancel")
	lv.waitStatus(id, models.OrderFailed)
	page := cl.get("/accounts/fail?order=" + id).wantStatus(http.StatusOK)
	if got := page.text("result-title"); got != "No bank account was added" {
		t.Errorf("title %q", got)
	}
	if !page.has("nothing-added") || page.has("to-payout") {
		t.Error("the fail page does not say nothing was added")
	}
	cl.get("/bank-accounts/checkout?order=" + id).wantRedirect("/accounts/fail?order=" + id)
	if n := countAccounts(t, lv.testApp); n != 0 {
		t.Errorf("%d accounts; want none", n)
	}
}

// TestSelectAccountFormSentAgain: the "Add account with Trustly" form carries a
// token, and sent again (a double click, the back button) it goes to the
// checkout of the selection it started, and after that selection's account came
// to its result page: each sending started a selection and a SelectAccount call
// of its own, and the player got a checkout for each. A token that is not an
// account selection's is refused with a sentence.
func TestSelectAccountFormSentAgain(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	token := cl.get("/bank-accounts").wantStatus(http.StatusOK).value("select-token")
	if !models.IsMessageID(models.OrderSelectAccount, token) {
		t.Fatalf("the form's token %q is not an account selection's MessageID", token)
	}
	form := url.Values{"token": {token}}
	checkout := "/bank-accounts/checkout?order=" + token
	for i := range 2 {
		if got := cl.submit("/bank-accounts/select", form).wantStatus(http.StatusSeeOther).Header.Get("Location"); got != checkout {
			t.Fatalf("sending %d went to %q; want %q", i+1, got, checkout)
		}
	}
	counts := func() (orders, calls int64) {
		t.Helper()
		if err := lv.DB.Model(&models.Order{}).Where("player_id = ? AND kind = ?", player.ID, models.OrderSelectAccount).Count(&orders).Error; err != nil {
			t.Fatal(err)
		}
		if err := lv.DB.Model(&models.APICall{}).Where("method = ?", "SelectAccount").Count(&calls).Error; err != nil {
			t.Fatal(err)
		}
		return orders, calls
	}
	if orders, calls := counts(); orders != 1 || calls != 1 {
		t.Errorf("the form sent twice: %d selections, %d SelectAccount calls; want 1 and 1", orders, calls)
	}

	lv.checkoutAction(token, "confirm")
	lv.waitStatus(token, models.OrderAccountAdded)
	if got := cl.submit("/bank-accounts/select", form).wantStatus(http.StatusSeeOther).Header.Get("Location"); got != checkout {
		t.Fatalf("the form sent after its account came went to %q; want %q", got, checkout)
	}
	cl.get(checkout).wantRedirect("/accounts/success?order=" + token)
	if orders, calls := counts(); orders != 1 || calls != 1 {
		t.Errorf("the form sent after its account came: %d selections, %d SelectAccount calls; want 1 and 1", orders, calls)
	}

	page := cl.submit("/bank-accounts/select", url.Values{"token": {models.NewMessageID(models.OrderDeposit)}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); got != "This form is out of date; open the bank accounts page again." {
		t.Errorf("a deposit's token: problem %q", got)
	}
}

// TestSelectAccountRefused: Trustly does not answer (a closed port); the page
// says so and nothing is added.
func TestSelectAccountRefused(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	page := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); !strings.Contains(got, "Trustly could not start") {
		t.Errorf("problem %q", got)
	}
}

// firstText is the text of the first node, or "" when there is none.
func firstText(nodes []*html.Node) string {
	if len(nodes) == 0 {
		return ""
	}
	return textOf(nodes[0])
}

// TestUnverifiedAccountPages: an account chosen with Trustly whose account
// notification says verified "0" is listed as waiting for the bank, the result
// page does not offer a withdrawal, the payout form does not offer it, and a
// payout posted to it anyway comes back with the reason.
func TestUnverifiedAccountPages(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	deposit := lv.startDeposit(cl, "500")
	lv.checkoutAction(deposit, "confirm")
	lv.waitStatus(deposit, models.OrderCredited)
	paid := lv.waitAccount(player, models.AccountFromDeposit)

	r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
	q, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Location"), "/bank-accounts/checkout?"))
	id := q.Get("order")
	// The test person's second account, so that the deposit did not verify it.
	lv.walkCheckout(id, "1", "select-unverified")
	waiting := lv.waitAccount(player, models.AccountFromSelectAccount)
	if waiting.Verified || waiting.AccountID == paid.AccountID {
		t.Fatalf("selected account %+v; want another account, unverified", waiting)
	}

	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	rows := page.byTestID("bank-account")
	if len(rows) != 2 {
		t.Fatalf("%d accounts listed, want 2", len(rows))
	}
	for _, n := range rows {
		sub := &testResponse{t: t, doc: n, what: "account"}
		want := attr(n, "data-account") == strconv.FormatInt(waiting.ID, 10)
		if got := sub.has("account-waiting"); got != want {
			t.Errorf("account %s: waiting note shown %t, want %t", attr(n, "data-account"), got, want)
		}
	}
	if got := page.text("account-waiting"); !strings.HasPrefix(got, "Waiting for your bank to verify this account.") {
		t.Errorf("waiting note %q", got)
	}

	page = cl.get("/accounts/success?order=" + id).wantStatus(http.StatusOK)
	if !page.has("account-waiting") || page.has("to-payout") {
		t.Errorf("the result page of an unverified account offers a withdrawal or does not say it waits:\n%s", page.Body)
	}

	page = cl.get("/payout").wantStatus(http.StatusOK)
	if !page.has("account-"+strconv.FormatInt(paid.ID, 10)) || page.has("account-"+strconv.FormatInt(waiting.ID, 10)) {
		t.Errorf("the payout form should offer account %d only:\n%s", paid.ID, page.Body)
	}
	page = cl.submit("/payout", url.Values{"amount": {"100"}, "account": {strconv.FormatInt(waiting.ID, 10)}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := page.text("problem"); !strings.HasPrefix(got, "This bank account is waiting for your bank to verify it.") {
		t.Errorf("payout to the unverified account: problem %q", got)
	}
	if got := lv.wallet(player); got.Minor != 50000 {
		t.Errorf("wallet %s after the refused payout, want 500.00", got)
	}
}

// walkCheckout goes through the sandbox's checkout of the order as the
// country's adult test person, with the person's account number account ("0",
// "1") and the scenario chosen in the order options.
func (lv *liveApp) walkCheckout(messageID, account, scenario string) {
	lv.t.Helper()
	u, err := url.Parse(lv.order(messageID).CheckoutURL)
	if err != nil || u.Host == "" {
		lv.t.Fatalf("order %s has no checkout URL", messageID)
	}
	session := u.Query().Get("session")
	page := strings.Replace(u.Scheme+"://"+u.Host+u.Path, lv.CheckoutOrigin, lv.Sandbox.URL, 1)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, step := range []struct {
		name string
		form url.Values
	}{
		{"bank", url.Values{"bank": {"SE|SEB"}}},
		{"login", url.Values{"person": {"se-adult"}}},
		{"account", url.Values{"account": {account}}},
		{"confirm", url.Values{"scenario": {scenario}}},
	} {
		step.form.Set("session", session)
		resp, err := client.PostForm(page+"/"+step.name, step.form)
		if err != nil {
			lv.t.Fatalf("checkout %s: %v", step.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			lv.t.Fatalf("checkout %s of order %s: HTTP %d", step.name, messageID, resp.StatusCode)
		}
	}
}

// TestRegistrationKeptOutlivesForms: the janitor deletes a bank details form's
// registration cashier.RegistrationKept after it was made; the form can be sent
// again only with the CSRF token of its page, made before the registration and
// good for csrfTTL at most, so no form that can still be sent has lost its
// registration, and sending it again never calls RegisterAccount twice.
func TestRegistrationKeptOutlivesForms(t *testing.T) {
	if csrfTTL >= cashier.RegistrationKept {
		t.Errorf("CSRF tokens are good for %s, registrations kept %s; want them kept longer", csrfTTL, cashier.RegistrationKept)
	}
}
