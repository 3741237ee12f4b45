package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/views"
	"golang.org/x/net/html"
)

// autoComplete makes the sandbox finish every checkout itself with scenario.
func autoComplete(scenario string) liveOptions {
	return liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": scenario}}
}

func countOrders(t *testing.T, ta *testApp) int64 {
	t.Helper()
	var n int64
	if err := ta.DB.Model(&models.Order{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCashierPageDepositForm(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")

	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got := page.text("balance"); got != "SEK 0.00" {
		t.Errorf("balance = %q; want SEK 0.00", got)
	}
	amount := page.byTestID("amount")[0]
	// A text field with a pattern, not a number field, which takes "1e3"; the
	// limits are data-min and data-max, which static/js/cashier.js checks.
	if got := [6]string{attr(amount, "type"), attr(amount, "inputmode"), attr(amount, "pattern"), attr(amount, "data-min"),
		attr(amount, "data-max"), attr(amount, "value")}; got != [6]string{"text", "decimal", views.AmountPattern, "10.00", "10000.00", ""} {
		t.Errorf("amount field type, inputmode, pattern, data-min, data-max, value = %q", got)
	}
	for _, pick := range []string{"100.00", "250.00", "500.00", "1000.00"} {
		b := page.byTestID("pick-" + pick)
		if len(b) == 0 || attr(b[0], "name") != "pick" || attr(b[0], "value") != pick || attr(b[0], "type") != "submit" ||
			!hasAttr(b[0], "formnovalidate") {
			t.Errorf("quick pick %s: want a submit button name=pick value=%s that skips the empty field's check", pick, pick)
		}
	}
	if token, ok := page.forms()["/deposit"]; !ok || token == "" {
		t.Errorf("no deposit form with a CSRF token: %v", page.forms())
	}
	if page.has("blocked") || page.has("problem") {
		t.Error("a new player sees a blocked notice or a problem")
	}
	if got := cl.get("/cashier?amount=99.50").value("amount"); got != "99.50" {
		t.Errorf("?amount=99.50 fills in %q", got)
	}
}

func TestDepositValidation(t *testing.T) {
	ta := newTestApp(t) // Trustly is a closed port: no valid amount gets that far here
	cl, _ := ta.signedIn("anna@example.com")
	limits := "Choose an amount from SEK 10.00 to SEK 10,000.00."
	for _, tt := range []struct {
		typed, problem string
	}{
		{"5", limits},
		{"9.99", limits},
		{"10000.01", limits},
		{"25000", limits},
		{"abc", msgAmountUnreadable},
		{"", msgAmountUnreadable},
		{"-50", msgAmountUnreadable},
		{"1.005", msgAmountUnreadable},
	} {
		page := cl.submit("/deposit", url.Values{"amount": {tt.typed}}).wantStatus(http.StatusUnprocessableEntity)
		if got := page.text("problem"); got != tt.problem {
			t.Errorf("amount %q: problem %q; want %q", tt.typed, got, tt.problem)
		}
		if got := page.value("amount"); got != tt.typed {
			t.Errorf("amount %q: the form shows %q again", tt.typed, got)
		}
		if !page.has("deposit-form") || !page.has("balance") {
			t.Errorf("amount %q: the cashier page is not shown again", tt.typed)
		}
	}
	if n := countOrders(t, ta); n != 0 {
		t.Errorf("%d orders stored; want none", n)
	}
}

func TestDepositNeedsCSRFToken(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	cl.post("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusForbidden)
	cl.post("/deposit", url.Values{"amount": {"100"}, csrfField: {"forged"}}).wantStatus(http.StatusForbidden)
	ta.client().submit("/deposit", url.Values{"amount": {"100"}}).wantRedirect("/login?next=%2Fcashier%3Famount%3D100")
	if n := countOrders(t, ta); n != 0 {
		t.Errorf("%d orders stored; want none", n)
	}
}

func TestDepositOpensCheckout(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")

	id := lv.startDeposit(cl, "100")
	order := lv.order(id)
	if order.Amount != (models.Money{Minor: 10000, Currency: "SEK"}) || order.Status != models.OrderStarted ||
		!strings.HasPrefix(order.CheckoutURL, lv.CheckoutOrigin+"/checkout/") {
		t.Fatalf("order = %+v; want 100.00 SEK, started, checkout at %s", order, lv.CheckoutOrigin)
	}
	page := cl.get("/deposit/checkout?order=" + id).wantStatus(http.StatusOK)
	if got := page.text("checkout-title"); got != "Deposit SEK 100.00" {
		t.Errorf("title = %q", got)
	}
	frame := page.byTestID("checkout-frame")
	if len(frame) == 0 || attr(frame[0], "src") != order.CheckoutURL || attr(frame[0], "title") == "" {
		t.Fatalf("iframe: want src=%s and a title\n%s", order.CheckoutURL, page.Body)
	}
	if got := attr(page.byTestID("checkout")[0], "data-checkout-url"); got != order.CheckoutURL {
		t.Errorf("data-checkout-url = %q; want %q", got, order.CheckoutURL)
	}
	link := page.byTestID("checkout-link")[0]
	if attr(link, "href") != order.CheckoutURL || textOf(link) != "Open the bank payment page" {
		t.Errorf("fallback link %q to %q", textOf(link), attr(link, "href"))
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src "+lv.CheckoutOrigin+";") {
		t.Errorf("CSP %q does not allow framing %s", csp, lv.CheckoutOrigin)
	}

	// A quick pick without JavaScript sends its own amount, whatever was typed.
	r := cl.submit("/deposit", url.Values{"amount": {"12"}, "pick": {"250.00"}})
	if got := lv.order(orderFromRedirect(t, r)).Amount.Minor; got != 25000 {
		t.Errorf("quick pick 250.00 started a deposit of %d minor units", got)
	}
}

func TestDepositOrdersArePrivate(t *testing.T) {
	lv := startLive(t, liveOptions{})
	anna, _ := lv.signedIn("anna@example.com")
	bo, _ := lv.signedIn("bo@example.com")
	id := lv.startDeposit(anna, "100")

	for _, path := range []string{"/deposit/checkout", "/deposit/status", "/deposit/success", "/deposit/fail"} {
		anna.get(path + "?order=" + id).wantStatus(http.StatusOK)
		bo.get(path + "?order=" + id).wantStatus(http.StatusNotFound)
		bo.get(path + "?order=dep-000000000000000000000000").wantStatus(http.StatusNotFound)
		bo.get(path).wantStatus(http.StatusNotFound)
		lv.client().get(path + "?order=" + id).wantRedirect("/login?next=" + url.QueryEscape(path+"?order="+id))
	}
}

func TestDepositCreditedStatus(t *testing.T) {
	lv := startLive(t, autoComplete("deposit-ok"))
	cl, player := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "100")
	lv.waitStatus(id, models.OrderCredited)

	r := cl.get("/deposit/status?order=" + id).wantStatus(http.StatusOK)
	if ct, cc := r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"); !strings.HasPrefix(ct, "application/json") || cc != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q; want JSON, no-store", ct, cc)
	}
	var got orderStatus
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("%v in %s", err, r.Body)
	}
	want := orderStatus{Status: "credited", Text: "In your balance", Phase: "credited", Balance: "SEK\u00a0100.00",
		Title: enText("deposit.result.title_credited"), Amount: "SEK\u00a0100.00",
		Credited: "SEK\u00a0100.00 is in your balance. Good luck!"}
	if got != want {
		t.Errorf("status = %+v; want %+v", got, want)
	}

	// The checkout of a paid order is over: it shows the result instead.
	cl.get("/deposit/checkout?order=" + id).wantRedirect("/deposit/success?order=" + id)
	page := cl.get("/deposit/success?order=" + id).wantStatus(http.StatusOK)
	if got := page.text("order-status"); got != "In your balance" {
		t.Errorf("success page status %q", got)
	}
	if got := page.text("balance"); got != "SEK 100.00" {
		t.Errorf("success page balance %q", got)
	}
	if got := attr(page.byTestID("order-state")[0], "data-status-url"); got != "/deposit/status?order="+id {
		t.Errorf("data-status-url %q", got)
	}
	if got := lv.wallet(player).Minor; got != 10000 {
		t.Errorf("wallet %d; want 10000", got)
	}
}

// TestResultPagesBookNothing: SuccessURL and FailURL are not proof of payment;
// visiting them changes no order and no balance.
func TestResultPagesBookNothing(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "100")
	for _, path := range []string{"/deposit/success", "/deposit/fail", "/deposit/status"} {
		cl.get(path + "?order=" + id).wantStatus(http.StatusOK)
	}
	page := cl.get("/deposit/success?order=" + id)
	if got := page.text("order-status"); got != "Waiting for the bank" {
		t.Errorf("status %q", got)
	}
	if o := lv.order(id); o.Status != models.OrderStarted {
		t.Errorf("order is %s after the result pages; want started", o.Status)
	}
	if got := lv.wallet(player).Minor; got != 0 {
		t.Errorf("wallet %d after the result pages; want 0", got)
	}
}

func TestDepositCancelled(t *testing.T) {
	lv := startLive(t, autoComplete("deposit-cancel"))
	cl, _ := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "150.50")
	lv.waitStatus(id, models.OrderFailed)

	cl.get("/deposit/checkout?order=" + id).wantRedirect("/deposit/fail?order=" + id)
	page := cl.get("/deposit/fail?order=" + id).wantStatus(http.StatusOK)
	if got := page.text("result-title"); got != "Your deposit was not completed" {
		t.Errorf("title %q", got)
	}
	if got := page.text("order-status"); got != "Cancelled — nothing was charged" {
		t.Errorf("status %q", got)
	}
	retry := page.byTestID("try-again")
	if len(retry) == 0 || attr(retry[0], "href") != "/cashier?amount=150.50" {
		t.Fatalf("no Try again link to /cashier?amount=150.50\n%s", page.Body)
	}
	if got := cl.get("/cashier?amount=150.50").value("amount"); got != "150.50" {
		t.Errorf("Try again fills in %q", got)
	}
}

func TestBlockedPlayer(t *testing.T) {
	lv := startLive(t, autoComplete("deposit-credit-then-debit"))
	cl, player := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "100")
	lv.waitStatus(id, models.OrderDebited)
	if got := lv.wallet(player).Minor; got != 0 {
		t.Fatalf("wallet %d after credit and debit; want 0", got)
	}
	if cl.get("/cashier").has("blocked") {
		t.Error("a balance of zero shows the blocked notice")
	}
	// The player had played 40.00 of the deposit before the bank returned it: the
	// same sums, booked here after the debit.
	played := models.Move("test:played", "Played", models.PlayerWallet(player.ID), models.Adjustments,
		models.Money{Minor: 4000, Currency: "SEK"})
	played.AllowOverdraft = true
	if _, err := ledger.New(lv.DB).Post(context.Background(), played); err != nil {
		t.Fatal(err)
	}

	page := cl.get("/cashier").wantStatus(http.StatusOK)
	want := "A deposit of SEK 100.00 was returned by your bank. Deposits and payouts are paused until your balance is back above zero."
	if got := page.text("blocked"); !strings.Contains(got, want) {
		t.Errorf("blocked notice %q; want it to say %q", got, want)
	}
	if got := page.text("balance"); got != "-SEK 40.00" {
		t.Errorf("balance %q", got)
	}
	if fs := page.find(func(n *html.Node) bool { return n.Data == "fieldset" }); len(fs) == 0 || !hasAttr(fs[0], "disabled") {
		t.Error("the deposit form is not disabled")
	}

	r := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := r.text("problem"); !strings.Contains(got, "paused") {
		t.Errorf("problem %q; want the blocked sentence", got)
	}
	if !r.has("blocked") {
		t.Error("the refused form does not show the blocked notice")
	}
	if n := countOrders(t, lv.testApp); n != 1 {
		t.Errorf("%d orders; want only the first", n)
	}
}

// TestCappedDepositPages: a new Swede's Pay N Play deposit of 2 000 SEK is capped by
// the kyc at 1 000.00 (the SE policy's unset cap) and Trustly brings 1 000.00. While
// it is pending its result page, the status its script polls and the history say
// 1 000.00, with a sentence on why it is less than chosen, and the credited sentence
// the page shows next promises no more; once credited they say what the credit
// booked, and once the bank returned it the cashier's notice names that amount.
func TestCappedDepositPages(t *testing.T) {
	const (
		shown    = "SEK 1,000.00"
		credited = "SEK 1,000.00 is in your balance. Good luck!"
		capped   = "Your deposit limits allow SEK 1,000.00 now, not the SEK 2,000.00 you chose. We are waiting for your bank to confirm the payment of SEK 1,000.00. This page updates by itself, and you may also leave it: the money is in your balance as soon as it arrives."
	)
	for _, tt := range []struct {
		scenario string
		status   models.OrderStatus
	}{
		{"deposit-delayed", models.OrderPending},
		{"deposit-ok", models.OrderCredited},
		{"deposit-credit-then-debit", models.OrderDebited},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			lv := startLive(t, liveOptions{
				Setup: func(s *testSetup) {
					withPayNPlay(t, "pure")(s)
					s.Cashier.Config.LimitPolicy = limits.Builtin()
				},
				Extra:   map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult", "SandboxScenario": tt.scenario},
				Sandbox: func(c *sandbox.Config) { c.LateDelay = 10 * time.Minute }, // deposit-delayed: no credit during the test
			})
			cl := lv.client()
			id := startPayNPlay(cl, "SE", "2000")
			if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady || out.Order.KYCLimitMinor != 100000 {
				t.Fatalf("decision %s, kyc limit %d; want ready, capped at 100000", out.State, out.Order.KYCLimitMinor)
			}
			order := lv.waitStatus(id, tt.status)
			result := "/deposit/success?order=" + url.QueryEscape(id)
			cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect(result)

			page := cl.get(result).wantStatus(http.StatusOK)
			if got := page.text("order-amount"); got != shown {
				t.Errorf("result page amount %q; want %q", got, shown)
			}
			if got := page.text("result-credited"); got != credited {
				t.Errorf("result page's credited sentence %q; want %q", got, credited)
			}
			waiting := page.find(func(n *html.Node) bool { return attr(n, "data-when") == "waiting" })
			if len(waiting) != 1 || strings.TrimSpace(textOf(waiting[0])) != capped {
				t.Errorf("result page's waiting sentence %q; want %q", textOf(waiting[0]), capped)
			}
			var status orderStatus
			if err := json.Unmarshal([]byte(cl.get("/deposit/status?order="+url.QueryEscape(id)).wantStatus(http.StatusOK).Body), &status); err != nil {
				t.Fatal(err)
			}
			if want := strings.Replace(credited, " ", "\u00a0", 1); status.Amount != "SEK\u00a01,000.00" || status.Credited != want {
				t.Errorf("status amount %q, credited %q; want SEK 1,000.00 and %q", status.Amount, status.Credited, want)
			}
			rows := cl.get("/history").wantStatus(http.StatusOK).byTestID("order-row")
			if len(rows) != 1 {
				t.Fatalf("%d order rows; want 1", len(rows))
			}
			if got := (&testResponse{t: t, doc: rows[0], what: "order row"}).text("order-amount"); got != shown {
				t.Errorf("history amount %q; want %q", got, shown)
			}
			if tt.status != models.OrderDebited {
				return
			}
			// The player had played 40.00 of the deposit before the bank returned it.
			played := models.Move("test:played", "Played", models.PlayerWallet(order.PlayerID), models.Adjustments,
				models.Money{Minor: 4000, Currency: "SEK"})
			played.AllowOverdraft = true
			if _, err := ledger.New(lv.DB).Post(context.Background(), played); err != nil {
				t.Fatal(err)
			}
			want := "A deposit of SEK 1,000.00 was returned by your bank."
			// The withdrawal page says it (the cashier page first asks a new Swede for limits).
			if got := cl.get("/payout").wantStatus(http.StatusOK).text("blocked"); !strings.Contains(got, want) {
				t.Errorf("blocked notice %q; want it to say %q", got, want)
			}
		})
	}
}

// TestResultPagesRefreshWithoutScript: a deposit's result page, and an account
// selection's, say they update by themselves while they wait, which their script
// does for ten minutes; without script a refresh in noscript reloads them every
// five seconds for as long (TestBrowserWithoutJavaScript clicks through it). A
// deposit in the balance, or one started more than ten minutes ago, has none.
func TestResultPagesRefreshWithoutScript(t *testing.T) {
	clock := &testClock{now: time.Now()}
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.Now = clock.Now }})
	cl, player := lv.signedIn("ines@example.com")
	const refresh = `<noscript><meta http-equiv="refresh" content="5"></noscript>`
	waiting := lv.startDeposit(cl, "100")
	r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
	q, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Location"), "/bank-accounts/checkout?"))
	selection := q.Get("order")
	lv.fund(cl, "200")
	credited := latestOrder(t, lv, player, models.OrderDeposit)
	pages := map[string]bool{"/deposit/success?order=" + waiting: true, "/deposit/fail?order=" + waiting: true,
		"/accounts/success?order=" + selection: true, "/deposit/success?order=" + credited: false}
	for path, want := range pages {
		if got := strings.Contains(cl.get(path).wantStatus(http.StatusOK).Body, refresh); got != want {
			t.Errorf("%s: refresh without script %v; want %v", path, got, want)
		}
	}
	clock.Advance(noScriptWait + time.Minute)
	for path := range pages {
		if body := cl.get(path).wantStatus(http.StatusOK).Body; strings.Contains(body, refresh) {
			t.Errorf("%s: refresh without script after %v", path, noScriptWait)
		}
	}
}
