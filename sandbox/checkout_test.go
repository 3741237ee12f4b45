package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func form(t *testing.T, orderURL, action string, values url.Values) *http.Response {
	t.Helper()
	u, _ := url.Parse(orderURL)
	u.RawQuery = ""
	resp, err := noRedirect.PostForm(u.String()+"/"+action, values)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func session(t *testing.T, checkoutURL string) string {
	t.Helper()
	u, err := url.Parse(checkoutURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("session")
}

// TestCheckoutForms walks a deposit checkout with plain HTTP: a typed amount
// within the bounds, a forged token, and the final redirect to SuccessURL.
func TestCheckoutForms(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	client := env.Client(t)
	ctx := context.Background()
	dep := func() trustly.DepositResult {
		res, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "player-3",
			MessageID: uuid.NewString(), Currency: "EUR", SuggestedMinAmount: "10.00", SuggestedMaxAmount: "500.00",
			Country: "FI", SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail",
			URLTarget: trustly.TargetTop})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := dep(), dep()

	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "SANDBOX") || resp.Header.Get("X-Frame-Options") != "" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("checkout page: HTTP %d, headers %v", resp.StatusCode, resp.Header)
	}
	if !regexp.MustCompile(`<option value="FI\|Nordea" selected`).Match(page) {
		t.Errorf("the Deposit's Country is not preselected")
	}

	// b's token on a's order is refused, and so is a missing one.
	if r := form(t, a.URL, "bank", url.Values{"session": {session(t, b.URL)}, "bank": {"FI|Nordea"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged token: HTTP %d, want 403", r.StatusCode)
	}
	if r, _ := http.Get(strings.Split(a.URL, "?")[0]); r.StatusCode != http.StatusForbidden {
		t.Errorf("no token: HTTP %d, want 403", r.StatusCode)
	}

	tok := url.Values{"session": {session(t, a.URL)}}
	step := func(action string, extra url.Values, want int) *http.Response {
		t.Helper()
		v := url.Values{}
		for k, x := range tok {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		r := form(t, a.URL, action, v)
		if r.StatusCode != want {
			body, _ := io.ReadAll(r.Body)
			t.Fatalf("%s: HTTP %d, want %d\n%s", action, r.StatusCode, want, body)
		}
		return r
	}
	step("bank", url.Values{"bank": {"FI|Nordea"}}, http.StatusSeeOther)
	step("login", url.Values{"person": {"se-adult"}}, http.StatusUnprocessableEntity) // not a Finnish person
	step("login", url.Values{"person": {"fi-adult"}}, http.StatusSeeOther)
	r := step("account", url.Values{"account": {"0"}, "amount": {"600"}}, http.StatusUnprocessableEntity)
	if body, _ := io.ReadAll(r.Body); !strings.Contains(string(body), "at most 500.00 EUR") || !strings.Contains(string(body), `value="600"`) {
		t.Errorf("an amount over the maximum comes back without the problem or the typed value:\n%s", body)
	}
	step("account", url.Values{"account": {"0"}, "amount": {"123,45"}}, http.StatusSeeOther)
	r = step("confirm", url.Values{"scenario": {"deposit-ok"}}, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "https://casino.example/ok" {
		t.Errorf("after confirm: Location %q, want SuccessURL", loc)
	}
	step("confirm", url.Values{"scenario": {"deposit-ok"}}, http.StatusSeeOther) // a repeat changes nothing
	env.WaitIdle(t)
	got := m.ForOrder(a.OrderID)
	if methods := sandboxtest.Methods(got); !slices.Equal(methods, []string{"pending", "credit", "account"}) {
		t.Fatalf("notifications %v", methods)
	}
	if c := got[1].Data.(*trustly.TransferData); c.Amount != "123.45" || c.Currency != "EUR" {
		t.Errorf("credit %s %s, want 123.45 EUR", c.Amount, c.Currency)
	}

	// Cancelling b sends the player to FailURL and the merchant a cancel.
	tok = url.Values{"session": {session(t, b.URL)}}
	r = form(t, b.URL, "cancel", tok)
	if loc := r.Header.Get("Location"); loc != "https://casino.example/fail" {
		t.Errorf("after cancel: Location %q, want FailURL", loc)
	}
	if got := m.WaitFor(t, b.OrderID, 1, 5*time.Second); got[0].Method != "cancel" {
		t.Errorf("after cancel: %s", got[0].Method)
	}

	// The sandbox pages list the order and its delivery attempts.
	for _, path := range []string{"/sandbox/", "/sandbox/orders/" + a.OrderID} {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), a.OrderID) {
			t.Errorf("%s: HTTP %d without the order", path, resp.StatusCode)
		}
		if path != "/sandbox/" && !strings.Contains(string(body), `{&#34;status&#34;:&#34;OK&#34;}`) &&
			!strings.Contains(string(body), `statusOK`) && !strings.Contains(string(body), "answered") {
			t.Errorf("%s does not show the merchant's answers", path)
		}
	}
	resp, _ = http.Get(env.URL + "/sandbox/public-key.pem")
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if k, err := trustly.ParsePublicKey(pem); err != nil || !k.Equal(env.TrustlyKey) {
		t.Errorf("public-key.pem: %v", err)
	}
}

// TestCheckoutBrowser clicks through a deposit checkout in Chromium and lands on
// the merchant's SuccessURL.
func TestCheckoutBrowser(t *testing.T) {
	ctx := sandboxtest.Browser(t, 60*time.Second)
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!DOCTYPE html><title>shop</title><h1 data-testid="merchant-`+strings.Trim(r.URL.Path, "/")+`">back at the shop</h1>`)
	}))
	t.Cleanup(shop.Close)
	res, err := env.Client(t).Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL,
		EndUserID: "player-b", MessageID: uuid.NewString(), Currency: "SEK", Amount: "250.00", Country: "SE",
		Locale: "sv_SE", ShopperStatement: "Test Casino", SuccessURL: shop.URL + "/ok", FailURL: shop.URL + "/fail",
		URLTarget: trustly.TargetTop})
	if err != nil {
		t.Fatal(err)
	}
	id := sandboxtest.TestID
	var loc string
	err = chromedp.Do(ctx,
		chromedp.Navigate(res.URL),
		chromedp.WaitVisible(id("sandbox-banner")),
		chromedp.Click(id("bank-next")),
		chromedp.WaitVisible(id("person-se-adult")),
		chromedp.Click(id("person-se-adult")),
		chromedp.Click(id("login")),
		chromedp.WaitVisible(id("account-next")),
		chromedp.Click(id("account-next")),
		chromedp.WaitVisible(id("scenario")),
		chromedp.Click(id("confirm")),
		chromedp.WaitVisible(id("merchant-ok")),
	)
	if err == nil {
		loc, err = chromedp.Run(ctx, chromedp.Location())
	}
	if err != nil {
		t.Fatalf("checkout in the browser: %v", err)
	}
	if loc != shop.URL+"/ok" {
		t.Errorf("landed on %s, want %s/ok", loc, shop.URL)
	}
	got := m.WaitFor(t, res.OrderID, 3, 5*time.Second)
	if c := got[1].Data.(*trustly.TransferData); got[1].Method != "credit" || c.Amount != "250.00" {
		t.Errorf("notifications %v, credit %+v", sandboxtest.Methods(got), c)
	}
}

// TestCheckoutPayNPlay: after the bank login the checkout waits for the merchant's
// kyc answer, then continues; an aborted identity check ends at FailURL.
func TestCheckoutPayNPlay(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	client := env.Client(t)
	start := func() trustly.DepositResult {
		res, err := client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL, EndUserID: "pnp-" + uuid.NewString(),
			MessageID: uuid.NewString(), Currency: "SEK", Amount: "50.00", RequestKYC: true, Country: "SE",
			SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	page := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	res := start()
	tok := url.Values{"session": {session(t, res.URL)}}
	form(t, res.URL, "bank", url.Values{"session": tok["session"], "bank": {"SE|SEB"}})
	form(t, res.URL, "login", url.Values{"session": tok["session"], "person": {"se-minor"}})
	kyc := m.WaitFor(t, res.OrderID, 1, 5*time.Second)[0].Data.(*trustly.KYCData)
	if kyc.Attributes["dob"] != "2014-05-15" || kyc.Abort {
		t.Errorf("kyc = %+v, want the under-18 person's data without abort", kyc)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(page(res.URL), `data-testid="account-next"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the checkout did not continue after CONTINUE:\n%s", page(res.URL))
		}
		time.Sleep(10 * time.Millisecond)
	}

	res = start()
	tok = url.Values{"session": {session(t, res.URL)}}
	form(t, res.URL, "bank", url.Values{"session": tok["session"], "bank": {"SE|SEB"}})
	form(t, res.URL, "login", url.Values{"session": tok["session"], "person": {"se-adult"}, "kyccheck": {"kyc-abort-underage"}})
	got := m.WaitFor(t, res.OrderID, 2, 5*time.Second)
	if k := got[0].Data.(*trustly.KYCData); !k.Abort || k.AbortMessage != "underage" || got[1].Method != "cancel" {
		t.Errorf("aborted kyc: %v %+v", sandboxtest.Methods(got), k)
	}
	if p := page(res.URL); !strings.Contains(p, `href="https://casino.example/fail"`) {
		t.Errorf("the page after an aborted kyc does not lead to FailURL:\n%s", p)
	}
}

// TestMountedUnderPrefix: with BaseURL ending in a path and http.StripPrefix, the
// checkout's links and forms stay under the prefix.
func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.BaseURL = srv.URL + "/trustly" })
	env.Sandbox.SetBaseURL(srv.URL + "/trustly")
	mux.Handle("/trustly/", http.StripPrefix("/trustly", env.Sandbox.Handler()))
	c, err := trustly.NewClient(trustly.Config{URL: srv.URL + "/trustly/api/1", Username: env.Username,
		Password: env.Password, PrivateKey: env.MerchantKey, TrustlyKey: env.TrustlyKey})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Deposit(context.Background(), trustly.DepositParams{NotificationURL: "https://casino.example/n",
		EndUserID: "p", MessageID: "prefixed", Currency: "SEK", Amount: "10.00", SuccessURL: "https://casino.example/ok"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.URL, srv.URL+"/trustly/checkout/") {
		t.Fatalf("checkout URL %s is not under the prefix", res.URL)
	}
	r := form(t, res.URL, "bank", url.Values{"session": {session(t, res.URL)}, "bank": {"SE|SEB"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/trustly/checkout/"+res.OrderID) {
		t.Errorf("after bank: HTTP %d to %q", r.StatusCode, loc)
	}
	resp, err := http.Get(res.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `action="/trustly/checkout/`+res.OrderID+`/login"`) {
		t.Errorf("login form does not post under the prefix:\n%s", body)
	}
}
