package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

const notifyToken = "s3cr3t-notify-token-0123456789abcdef"

// adminEnv is a sandbox with an admin password and one deposit whose
// NotificationURL carries a token.
func adminEnv(t *testing.T, password string) (*sandboxtest.Env, trustly.DepositResult) {
	t.Helper()
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.AdminPassword = password })
	res, err := env.Client(t).Deposit(context.Background(), trustly.DepositParams{
		NotificationURL: "http://127.0.0.1:9/trustly/notify/" + notifyToken, EndUserID: "player-1",
		MessageID: uuid.NewString(), Currency: "SEK", Amount: "100.00", Country: "SE",
		SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail"})
	if err != nil {
		t.Fatal(err)
	}
	return env, res
}

// get fetches path with the password given as HTTP Basic ("" sends none).
func get(t *testing.T, env *sandboxtest.Env, path, password string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL+path, nil)
	if password != "" {
		req.SetBasicAuth("anyone", password)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// TestAdminPassword: with an AdminPassword the /sandbox/ pages and form ask for
// it; the API, the checkout and the public key stay open, as Trustly's are.
func TestAdminPassword(t *testing.T) {
	env, dep := adminEnv(t, "open sesame")
	for _, path := range []string{"/sandbox/", "/sandbox/orders/" + dep.OrderID} {
		for _, tt := range []struct {
			password string
			want     int
		}{{"", http.StatusUnauthorized}, {"open sesam", http.StatusUnauthorized}, {"open sesame!", http.StatusUnauthorized},
			{"open sesame", http.StatusOK}} {
			code, h, body := get(t, env, path, tt.password)
			if code != tt.want {
				t.Errorf("GET %s with password %q: HTTP %d; want %d", path, tt.password, code, tt.want)
			}
			if code == http.StatusUnauthorized && (!strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") || strings.Contains(body, dep.OrderID)) {
				t.Errorf("GET %s refused without a Basic challenge, or showing the order", path)
			}
			if h.Get("X-Frame-Options") != "DENY" || h.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
				t.Errorf("GET %s may be framed: %v", path, h)
			}
		}
	}
	form := strings.NewReader(url.Values{"scenario": {"payout-failed"}}.Encode())
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/sandbox/payout-scenario", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || env.Sandbox.PayoutScenario() != "" {
		t.Errorf("payout scenario form without the password: HTTP %d, scenario now %q; want 401 and unchanged",
			resp.StatusCode, env.Sandbox.PayoutScenario())
	}

	// Open as Trustly's: the public key, the checkout, the API.
	if code, _, body := get(t, env, "/sandbox/public-key.pem", ""); code != http.StatusOK || !strings.Contains(body, "PUBLIC KEY") {
		t.Errorf("public key without a password: HTTP %d", code)
	}
	u, _ := url.Parse(dep.URL)
	if code, _, _ := get(t, env, u.RequestURI(), ""); code != http.StatusOK {
		t.Errorf("checkout without a password: HTTP %d", code)
	}
	if _, err := env.Client(t).Balance(context.Background()); err != nil {
		t.Errorf("API without the admin password: %v", err)
	}

	// Without AdminPassword (the embedded sandbox on loopback) the pages are open.
	open, _ := adminEnv(t, "")
	if code, _, _ := get(t, open, "/sandbox/", ""); code != http.StatusOK {
		t.Errorf("GET /sandbox/ without AdminPassword configured: HTTP %d; want 200", code)
	}
}

// TestOrderPageMasksNotifyToken: the order page shows the notification URL with
// the merchant's token masked, and nowhere in full.
func TestOrderPageMasksNotifyToken(t *testing.T) {
	env, dep := adminEnv(t, "")
	code, _, body := get(t, env, "/sandbox/orders/"+dep.OrderID, "")
	if code != http.StatusOK {
		t.Fatalf("order page: HTTP %d", code)
	}
	if strings.Contains(body, notifyToken) || strings.Contains(body, notifyToken[4:12]) {
		t.Errorf("the order page shows the notify token:\n%s", body)
	}
	if want := "http://127.0.0.1:9/trustly/notify/" + notifyToken[:4] + "****"; !strings.Contains(body, want) {
		t.Errorf("the order page does not show the masked URL %q:\n%s", want, body)
	}
}

// TestPayoutScenarioSameOrigin: the "Next payouts" form is refused from any
// other origin, whichever header the browser sends, and accepted from the page
// itself and from tools that send neither header.
func TestPayoutScenarioSameOrigin(t *testing.T) {
	env := sandboxtest.Start(t)
	post := func(scenario string, header http.Header) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/sandbox/payout-scenario",
			strings.NewReader(url.Values{"scenario": {scenario}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}}, // another port of the same host
		{"Origin": {"http://evil.example"}},
		{"Origin": {"http://localhost:3000"}},
	} {
		if got := post("payout-failed", h); got != http.StatusForbidden {
			t.Errorf("POST with %v: HTTP %d; want 403", h, got)
		}
	}
	if got := env.Sandbox.PayoutScenario(); got != "" {
		t.Fatalf("refused posts changed the payout scenario to %q", got)
	}
	for _, tt := range []struct {
		scenario sandbox.Scenario
		header   http.Header
	}{
		{sandbox.ScenarioPayoutFailed, http.Header{"Sec-Fetch-Site": {"same-origin"}}},
		{sandbox.ScenarioPayoutBounce, http.Header{"Origin": {env.URL}}},
		{sandbox.ScenarioPayoutRejected, nil}, // curl
	} {
		if got := post(string(tt.scenario), tt.header); got != http.StatusSeeOther || env.Sandbox.PayoutScenario() != tt.scenario {
			t.Errorf("POST %s with %v: HTTP %d, scenario %q; want 303 and the change", tt.scenario, tt.header, got,
				env.Sandbox.PayoutScenario())
		}
	}
}

// TestAdminPagesOnlyOnOwnHost: without an admin password the /sandbox/ pages and
// their forms answer only on the sandbox's own host (BaseURL's), localhost or an
// IP address. A web page
// whose name an attacker points at 127.0.0.1 (DNS rebinding) is same-origin
// with itself: without this it could read every order's checkout link and send
// the forms, which CrossOriginProtection lets through when Origin and Host agree.
func TestAdminPagesOnlyOnOwnHost(t *testing.T) {
	env, dep := adminEnv(t, "")
	port := env.URL[strings.LastIndex(env.URL, ":"):]
	send := func(method, path, host string) int {
		t.Helper()
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(url.Values{"scenario": {"payout-failed"}}.Encode())
		}
		req, _ := http.NewRequest(method, env.URL+path, body)
		req.Host = host
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://"+host) // the rebound page's own origin
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && strings.Contains(string(b), dep.OrderID) {
			t.Errorf("%s %s on %s refused, but the answer names the order", method, path, host)
		}
		return resp.StatusCode
	}
	for _, host := range []string{"rebind.example" + port, "rebind.example", "127.0.0.1.nip.io" + port} {
		for _, tt := range []struct{ method, path string }{
			{http.MethodGet, "/sandbox/"}, {http.MethodGet, "/sandbox/orders/" + dep.OrderID},
			{http.MethodPost, "/sandbox/payout-scenario"}, {http.MethodPost, "/sandbox/orders/" + dep.OrderID + "/fire"},
		} {
			if got := send(tt.method, tt.path, host); got != http.StatusMisdirectedRequest {
				t.Errorf("%s %s on host %s: HTTP %d; want %d", tt.method, tt.path, host, got, http.StatusMisdirectedRequest)
			}
		}
	}
	if got := env.Sandbox.PayoutScenario(); got != "" {
		t.Errorf("a form on another host changed the payout scenario to %q", got)
	}
	for _, host := range []string{strings.TrimPrefix(env.URL, "http://"), "localhost" + port, "LocalHost" + port, "[::1]" + port} {
		if got := send(http.MethodGet, "/sandbox/", host); got != http.StatusOK {
			t.Errorf("GET /sandbox/ on host %s: HTTP %d; want 200", host, got)
		}
	}
	// The checkout and the API are Trustly's public side: any host, as before.
	u, _ := url.Parse(dep.URL)
	if got := send(http.MethodGet, u.RequestURI(), "rebind.example"+port); got != http.StatusOK {
		t.Errorf("checkout on another host: HTTP %d; want 200", got)
	}

	// Its own host name, once BaseURL names one (as SetBaseURL may, after New).
	env.Sandbox.SetBaseURL("http://sandbox.test" + port)
	if got := send(http.MethodGet, "/sandbox/", "sandbox.test"+port); got != http.StatusOK {
		t.Errorf("GET /sandbox/ on BaseURL's host sandbox.test: HTTP %d; want 200", got)
	}
	if got := send(http.MethodGet, "/sandbox/", "rebind.example"+port); got != http.StatusMisdirectedRequest {
		t.Errorf("GET /sandbox/ on rebind.example after SetBaseURL: HTTP %d; want %d", got, http.StatusMisdirectedRequest)
	}

	// With a password, which no browser sends to another origin, any host is
	// served: a proxy may send the upstream's name ("sandbox:8081") as Host.
	locked, _ := adminEnv(t, "open sesame")
	req, _ := http.NewRequest(http.MethodGet, locked.URL+"/sandbox/", nil)
	req.Host = "sandbox" + locked.URL[strings.LastIndex(locked.URL, ":"):]
	req.SetBasicAuth("anyone", "open sesame")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /sandbox/ with the password on host %s: HTTP %d; want 200", req.Host, resp.StatusCode)
	}
}
