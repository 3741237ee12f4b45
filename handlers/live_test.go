package handlers

// The cashier on a real listener with the sandbox as Trustly, for tests in which
// notifications must arrive (the sandbox's outbox posts them over HTTP to
// /trustly/notify/<token>) and for browser tests:
//
//	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
//	cl, player := lv.signedIn("anna@example.com")         // app.Test, as in the harness
//	id := lv.startDeposit(cl, "100")                       // POST /deposit; the order's MessageID
//	lv.waitStatus(id, models.OrderCredited)                // as notifications leave it
//	chromedp.Navigate(lv.URL + "/register")                 // or a real browser

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
)

// liveApp is a testApp that also listens on 127.0.0.1, with a sandbox as its
// Trustly peer.
type liveApp struct {
	*testApp
	URL     string // the cashier: "http://127.0.0.1:41234"; also its BaseURL
	Sandbox *sandboxtest.Env
	// CheckoutOrigin is where the sandbox's checkout pages are: the sandbox's port
	// on "localhost" rather than 127.0.0.1, so that the checkout is another site
	// than the cashier, as Trustly's is. Chromium then runs the framed checkout in
	// its own process, a target of its own (see frameContext).
	CheckoutOrigin string
}

// liveOptions change startLive's defaults.
type liveOptions struct {
	// Extra is added to every Deposit's Attributes (cashier.Config.SandboxExtra):
	// {"SandboxAutoComplete": "1", "SandboxScenario": "deposit-cancel"}.
	Extra map[string]string
	// Sandbox changes the sandbox's config (delays, retries) before it starts.
	Sandbox func(c *sandbox.Config)
	// Setup changes the cashier's setup, as newTestApp's options do.
	Setup func(s *testSetup)
}

// startLive starts a sandbox and the cashier on a 127.0.0.1 listener, wired as
// cmd/cashier wires the embedded sandbox: the cashier's client uses the sandbox's
// API with its key, and the sandbox's checkout origin is the one origin the pages
// may frame. Everything stops in t.Cleanup.
func startLive(t testing.TB, o liveOptions) *liveApp {
	t.Helper()
	var sbOpts []func(*sandbox.Config)
	if o.Sandbox != nil {
		sbOpts = append(sbOpts, o.Sandbox)
	}
	env := sandboxtest.Start(t, sbOpts...)
	checkout := strings.Replace(env.URL, "://127.0.0.1:", "://localhost:", 1)
	env.Sandbox.SetBaseURL(checkout)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ta := newTestApp(t, func(s *testSetup) {
		s.Cashier.Trustly = env.Client(t)
		s.Cashier.TrustlyKey = env.TrustlyKey
		s.Cashier.Config.BaseURL = base
		s.Cashier.Config.SandboxExtra = o.Extra
		s.Web.TrustlyOrigin = checkout
		if o.Setup != nil {
			o.Setup(s)
		}
	})
	// Listener returns nil once the app shuts down or the listener is closed; any
	// other return is a failure of the server the test talks to.
	served := make(chan error, 1)
	go func() { served <- ta.App.Listener(ln) }()
	t.Cleanup(func() {
		if err := ta.App.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("cashier shutdown: %v", err)
		}
		// A test that fails at once may shut down before Listener began serving;
		// closing the listener makes Listener return either way.
		ln.Close()
		if err := <-served; err != nil {
			t.Errorf("cashier listener: %v", err)
		}
	})
	return &liveApp{testApp: ta, URL: base, Sandbox: env, CheckoutOrigin: checkout}
}

// startDeposit submits the deposit form for amount as cl and returns the new
// order's MessageID from the redirect to its checkout.
func (lv *liveApp) startDeposit(cl *testClient, amount string) string {
	lv.t.Helper()
	r := cl.submit("/deposit", url.Values{"amount": {amount}})
	return orderFromRedirect(lv.t, r)
}

// checkoutAction does in the sandbox's checkout of the order what a player's
// click does: "cancel" cancels it at any step; "confirm" walks the steps as the
// country's adult test person with the first bank and account, and confirms with
// the scenario the order has (deposit-ok unless SandboxScenario said otherwise).
func (lv *liveApp) checkoutAction(messageID, action string) {
	lv.t.Helper()
	u, err := url.Parse(lv.order(messageID).CheckoutURL)
	if err != nil || u.Host == "" {
		lv.t.Fatalf("order %s has no checkout URL", messageID)
	}
	session := u.Query().Get("session")
	page := strings.Replace(u.Scheme+"://"+u.Host+u.Path, lv.CheckoutOrigin, lv.Sandbox.URL, 1)
	steps := []url.Values{{"bank": {"SE|SEB"}}, {"person": {"se-adult"}}, {"account": {"0"}}, {}}
	names := []string{"bank", "login", "account", "confirm"}
	if action == "cancel" {
		steps, names = []url.Values{{}}, []string{"cancel"}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, form := range steps {
		form.Set("session", session)
		resp, err := client.PostForm(page+"/"+names[i], form)
		if err != nil {
			lv.t.Fatalf("checkout %s: %v", names[i], err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			lv.t.Fatalf("checkout %s of order %s: HTTP %d", names[i], messageID, resp.StatusCode)
		}
	}
}

// orderFromRedirect is the MessageID in a 303 to /deposit/checkout?order=….
func orderFromRedirect(t testing.TB, r *testResponse) string {
	t.Helper()
	loc := r.Header.Get("Location")
	path, query, _ := strings.Cut(loc, "?")
	q, _ := url.ParseQuery(query)
	if r.Status != 303 || path != "/deposit/checkout" || !strings.HasPrefix(q.Get("order"), "dep-") {
		t.Fatalf("%s: %d to %q; want 303 to /deposit/checkout?order=dep-…\n%s", r.what, r.Status, loc, r.Body)
	}
	return q.Get("order")
}

// order loads the order with messageID from the database.
func (a *testApp) order(messageID string) models.Order {
	a.t.Helper()
	var o models.Order
	if err := a.DB.Where("message_id = ?", messageID).Take(&o).Error; err != nil {
		a.t.Fatalf("order %s: %v", messageID, err)
	}
	return o
}

// waitStatus waits up to ten seconds for the order to reach status, as the
// sandbox's notifications arrive, and returns it.
func (a *testApp) waitStatus(messageID string, status models.OrderStatus) models.Order {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := a.order(messageID)
		if o.Status == status {
			return o
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("order %s is %s after 10 s; want %s", messageID, o.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wallet is the player's balance as the service reports it.
func (a *testApp) wallet(p models.Player) models.Money {
	a.t.Helper()
	m, err := a.Svc.Wallet(context.Background(), p)
	if err != nil {
		a.t.Fatal(err)
	}
	return m
}
