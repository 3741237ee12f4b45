package handlers

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/static"
)

func TestSecurityHeaders(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	// Forms post only here: no page has a form for Trustly's checkout, and its own
	// forms (target _top) are under its own policy, not ours.
	want := "default-src 'self'; frame-src http://127.0.0.1:8081; frame-ancestors 'self'; " +
		"form-action 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"base-uri 'none'; object-src 'none'"
	for _, path := range []string{"/login", "/register", "/no-such-page", "/", static.Path("css/app.css")} {
		r := cl.get(path)
		for name, value := range map[string]string{
			"Content-Security-Policy": want,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"X-Frame-Options":         "SAMEORIGIN",
		} {
			if got := r.Header.Get(name); got != value {
				t.Errorf("GET %s: %s = %q; want %q", path, name, got, value)
			}
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-ID", path)
		}
	}
	r := cl.get("/login")
	if got := r.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("page Cache-Control = %q; want no-store", got)
	}
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over http")
	}

	// The Trustly origin is configured, and only that origin may be framed.
	live := newTestApp(t, func(s *testSetup) { s.Web.TrustlyOrigin = "https://test.trustly.com/" })
	csp := live.client().get("/login").Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-src https://test.trustly.com;") || strings.Contains(csp, "127.0.0.1") {
		t.Errorf("CSP = %q; want frame-src https://test.trustly.com only", csp)
	}

	// No inline script or style anywhere: the CSP would block them.
	for _, path := range []string{"/login", "/register"} {
		body := cl.get(path).Body
		for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onchange="} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s contains %q", path, bad)
			}
		}
	}
}

func TestDepsCheck(t *testing.T) {
	ta := newTestApp(t)
	for _, tt := range []struct {
		name   string
		change func(d *Deps)
	}{
		{"origin with path", func(d *Deps) { d.TrustlyOrigin = "https://test.trustly.com/x" }},
		{"origin with injection", func(d *Deps) { d.TrustlyOrigin = "https://a.com; script-src *" }},
		{"no origin", func(d *Deps) { d.TrustlyOrigin = "" }},
		{"short hash key", func(d *Deps) { d.SessionKeys.Hash = d.SessionKeys.Hash[:16] }},
		{"short block key", func(d *Deps) { d.SessionKeys.Block = d.SessionKeys.Block[:16] }},
		{"bad proxy", func(d *Deps) { d.TrustedProxies = []string{"proxy.local"} }},
		{"no service", func(d *Deps) { d.Service = nil }},
	} {
		d := ta.Deps
		tt.change(&d)
		if d.Check() == nil {
			t.Errorf("%s: Check() = nil; want an error", tt.name)
		}
	}
	if err := ta.Deps.Check(); err != nil {
		t.Errorf("Check() = %v for the test deps", err)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Secure = secure })
		cl := ta.client()
		ta.player("anna@example.com")
		r := cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}).wantRedirect("/cashier")
		prefix := "" // over https, cookies only this host can set (TestCookieTossingLoginCSRF)
		if secure {
			prefix = "__Host-"
		}
		c := r.cookie(prefix + sessionCookie)
		if c == nil {
			t.Fatalf("secure=%t: signing in set no %s cookie", secure, prefix+sessionCookie)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.Path != "/" || c.MaxAge != 12*60*60 {
			t.Errorf("secure=%t: session cookie HttpOnly=%t SameSite=%v Secure=%t Path=%q MaxAge=%d; want true, Lax, %t, /, 43200",
				secure, c.HttpOnly, c.SameSite, c.Secure, c.Path, c.MaxAge, secure)
		}
		csrf := r.cookie(prefix + playerCSRF.cookie) // a token of the new session
		if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode || csrf.Secure != secure {
			t.Errorf("secure=%t: CSRF cookie %+v; want HttpOnly, Lax, Secure=%t", secure, csrf, secure)
		}
		hsts := cl.get("/login").Header.Get("Strict-Transport-Security")
		if (hsts != "") != secure {
			t.Errorf("secure=%t: HSTS = %q", secure, hsts)
		}
		cl.get("/cashier").wantStatus(http.StatusOK)
	}
}

func TestSignInRotatesSession(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	cl.signIn("anna@example.com", testPassword)
	first := cl.cookie(sessionCookie).Value
	cl.signIn("anna@example.com", testPassword)
	if cl.cookie(sessionCookie).Value == first {
		t.Error("signing in again kept the same session cookie")
	}
}

func TestTamperedSessionIsAnonymous(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.signUp("anna@example.com")
	good := cl.cookie(sessionCookie).Value

	// Another app's keys, a changed byte, garbage: all are nobody.
	other := newTestApp(t, func(s *testSetup) { s.Web.SessionKeys.Hash = []byte(strings.Repeat("x", 32)) })
	oc := other.client()
	oc.signUp("anna@example.com")
	foreign := oc.cookie(sessionCookie).Value

	flipped := []byte(good)
	flipped[len(flipped)/2] ^= 1
	for name, value := range map[string]string{"flipped": string(flipped), "foreign keys": foreign, "garbage": "abc", "truncated": good[:len(good)-4]} {
		cl.setCookie(sessionCookie, value)
		cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
		if r := cl.get("/").wantStatus(http.StatusOK); !r.has("to-login") {
			t.Errorf("%s: the start page offers no way to log in", name)
		}
		if r := cl.get("/admin"); r.Status != http.StatusSeeOther {
			t.Errorf("%s: /admin status %d; want a redirect", name, r.Status)
		}
	}
	cl.setCookie(sessionCookie, good)
	cl.get("/cashier").wantStatus(http.StatusOK)
}

func TestDeletedPlayerIsSignedOut(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.signUp("anna@example.com")
	if err := ta.DB.Exec("DELETE FROM players").Error; err != nil {
		t.Fatal(err)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if !cl.get("/").wantStatus(http.StatusOK).has("to-login") {
		t.Error("the start page offers no way to log in")
	}
}

func TestLoginRateLimit(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	wrong := url.Values{"email": {"anna@example.com"}, "password": {"wrong password"}}
	for i := range 10 {
		if r := cl.submit("/login", wrong); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d; want 422", i+1, r.Status)
		}
	}
	r := cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}).
		wantStatus(http.StatusTooManyRequests)
	if got := r.text("error-message"); got != "You have tried too many times. Wait a minute and try again." {
		t.Errorf("message = %q", got)
	}
	cl.submit("/register", registration("eve@example.com")).wantStatus(http.StatusTooManyRequests)
	if r.cookie(sessionCookie) != nil {
		t.Error("a limited login set a session")
	}
	// Pages and Trustly's notifications are not limited.
	cl.get("/login").wantStatus(http.StatusOK)
	notify := ta.client().post("/trustly/notify/"+testNotifyToken, nil)
	if notify.Status == http.StatusTooManyRequests || notify.Status == http.StatusForbidden || len(notify.Cookies) != 0 {
		t.Errorf("notification: status %d, cookies %v; want no limit, no CSRF check, no cookies", notify.Status, notify.Cookies)
	}
}

func TestLoginRateLimitBehindProxy(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 2; s.Web.TrustedProxies = []string{"0.0.0.0/8"} })
	cl := ta.client()
	wrong := url.Values{"email": {"anna@example.com"}, "password": {"wrong password"}, csrfField: {cl.csrf()}}
	from := func(xff string) int {
		req := cl.request(http.MethodPost, "/login", strings.NewReader(wrong.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		return cl.do(req).Status
	}
	// The client's own X-Forwarded-For entries (left) change nothing; the address
	// the proxy saw (right-most untrusted) is counted.
	for i, xff := range []string{"1.1.1.1, 203.0.113.7", "2.2.2.2, 203.0.113.7"} {
		if got := from(xff); got != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d; want 422", i+1, got)
		}
	}
	if got := from("3.3.3.3, 203.0.113.7"); got != http.StatusTooManyRequests {
		t.Errorf("third attempt from 203.0.113.7: status %d; want 429", got)
	}
	if got := from("203.0.113.8"); got != http.StatusUnprocessableEntity {
		t.Errorf("another client: status %d; want 422", got)
	}
}

// TestLoginRateLimitBehindProxyHeaderLines: a proxy that adds its own
// X-Forwarded-For line below the client's (HAProxy's "option forwardfor") sends
// one list in two lines (RFC 9110 §5.3), and the address it saw is the last
// entry of the last line. Read from the first line alone, every attempt with a
// new forged address was counted in a fresh bucket and never limited.
func TestLoginRateLimitBehindProxyHeaderLines(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 2; s.Web.TrustedProxies = []string{"0.0.0.0/8"} })
	cl := ta.client()
	wrong := url.Values{"email": {"anna@example.com"}, "password": {"wrong password"}, csrfField: {cl.csrf()}}
	from := func(lines ...string) int {
		req := cl.request(http.MethodPost, "/login", strings.NewReader(wrong.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header["X-Forwarded-For"] = lines
		return cl.do(req).Status
	}
	for i, forged := range []string{"1.1.1.1", "2.2.2.2"} {
		if got := from(forged, "203.0.113.7"); got != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d; want 422", i+1, got)
		}
	}
	if got := from("3.3.3.3", "203.0.113.7"); got != http.StatusTooManyRequests {
		t.Errorf("third attempt from 203.0.113.7 with a forged first line: status %d; want 429", got)
	}
	if got := from("203.0.113.7", "203.0.113.8"); got != http.StatusUnprocessableEntity {
		t.Errorf("another client naming the limited one in its own line: status %d; want 422", got)
	}
}

func TestErrorPages(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	r := cl.get("/no-such-page").wantStatus(http.StatusNotFound)
	if got := r.text("error-title"); got != "Page not found" {
		t.Errorf("404 title = %q", got)
	}
	if got := r.text("request-id"); got != r.Header.Get("X-Request-Id") {
		t.Errorf("request id on page %q; header %q", got, r.Header.Get("X-Request-Id"))
	}
	// A failure inside (the database is gone): a generic page, and the details only
	// in the log with the request id.
	cl.signUp("anna@example.com")
	if err := store.Close(ta.DB); err != nil {
		t.Fatal(err)
	}
	r = cl.get("/cashier").wantStatus(http.StatusInternalServerError)
	if got := r.text("error-message"); got != "Something went wrong on our side. Please try again in a moment." {
		t.Errorf("500 message = %q", got)
	}
	if strings.Contains(r.Body, "closed") {
		t.Error("the error page shows the error's details")
	}
	id := r.text("request-id")
	if logs := ta.Logs.String(); !strings.Contains(logs, "database is closed") || !strings.Contains(logs, "request_id="+id) {
		t.Errorf("log lacks the error or its request id %s:\n%s", id, logs)
	}
}

func TestPanicBecomesErrorPage(t *testing.T) {
	ta := newTestApp(t)
	handleError := errorHandler(ta.Deps.Log)
	mw := newMiddleware(ta.Deps, handleError)
	app := fiber.New(fiber.Config{ErrorHandler: handleError})
	app.Use(mw.requestID, mw.logRequests, mw.recoverPanics, mw.securityHeaders)
	app.Get("/boom", func(c *fiber.Ctx) error { panic("secret detail 4711") })
	cl := ta.client()
	cl.app = app
	r := cl.get("/boom").wantStatus(http.StatusInternalServerError)
	if strings.Contains(r.Body, "4711") {
		t.Error("the error page shows the panic")
	}
	id := r.text("request-id")
	if logs := ta.Logs.String(); !strings.Contains(logs, "secret detail 4711") || !strings.Contains(logs, "request_id="+id) {
		t.Errorf("log lacks the panic or its request id %s:\n%s", id, logs)
	}
}

func TestStaticFiles(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	path := static.Path("css/app.css")
	if !strings.Contains(path, "?v=") {
		t.Fatalf("static.Path = %q; want a version", path)
	}
	r := cl.get(path).wantStatus(http.StatusOK)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") || !strings.Contains(r.Body, ".checkout-frame") {
		t.Errorf("app.css: Content-Type %q, has .checkout-frame: %t", r.Header.Get("Content-Type"), strings.Contains(r.Body, ".checkout-frame"))
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("versioned Cache-Control = %q", got)
	}
	if got := cl.get("/static/js/cashier.js").wantStatus(http.StatusOK).Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("unversioned Cache-Control = %q", got)
	}
	if r := cl.get("/static/css/nope.css?v=1"); r.Status != http.StatusNotFound || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("missing file: status %d, Cache-Control %q; want 404, no-store", r.Status, r.Header.Get("Cache-Control"))
	}
	if r := cl.get("/static/"); r.Status != http.StatusNotFound {
		t.Errorf("directory listing: status %d; want 404", r.Status)
	}
	if r.cookie("cashier_csrf") != nil {
		t.Error("static files set cookies")
	}
}

func TestRequestLog(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.submit("/register", registration("anna@example.com")).wantRedirect("/login")
	cl.get("/login?next=%2Fsecret-query")
	ta.client().post("/trustly/notify/"+testNotifyToken, url.Values{"x": {"body-secret"}})
	ta.client().get("/trustly/notify/" + testNotifyToken)
	logs := ta.Logs.String()
	if testing.Verbose() {
		t.Log(logs)
	}
	for _, secret := range []string{testNotifyToken, testPassword, "body-secret", "secret-query", "anna@example.com", sessionCookie + "="} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`route=/register status=303`, `route=/trustly/notify/:token`, "method=POST", "ms="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// submitFrom posts form with the browser's CSRF token as a proxy would pass it on
// for the client at xff.
func (cl *testClient) submitFrom(xff, path string, form url.Values) *testResponse {
	cl.t.Helper()
	f := url.Values{csrfField: {cl.csrfFor(path)}}
	for k, v := range form {
		f[k] = v
	}
	req := cl.request(http.MethodPost, path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	return cl.do(req)
}

const msgTooManyOrders = "You have started many payments in a short time. Wait a minute and try again."

// TestOrderLimitPerPlayer: one player's orders share one bucket across deposits,
// bank accounts and payouts; past it nothing reaches Trustly, and another player
// at the same address is not held back.
// TestRateLimitPerIPv6Network: an IPv6 client counts by its /64, the network a
// single subscriber or server gets; counted by its whole address, one host could
// take a new address for every guess (2^64 of them) and never reach the sign-in
// limit nor the order limit per address. IPv4 addresses still count alone.
func TestRateLimitPerIPv6Network(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit, s.Web.TrustedProxies = 2, []string{"0.0.0.0/8"} })
	cl := ta.client()
	wrong := url.Values{"email": {"anna@example.com"}, "password": {"wrong password"}}
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		want := http.StatusUnprocessableEntity
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if got := cl.submitFrom(ip, "/login", wrong).Status; got != want {
			t.Errorf("sign-in %d from %s: status %d; want %d", i+1, ip, got, want)
		}
	}
	for _, ip := range []string{"2001:db8:1:3::1", "198.51.100.1", "198.51.100.2"} {
		if got := cl.submitFrom(ip, "/login", wrong).Status; got != http.StatusUnprocessableEntity {
			t.Errorf("sign-in from %s, another network: status %d; want 422", ip, got)
		}
	}

	// Orders: players sign in from 127.0.0.1, within its own limit.
	ta = newTestApp(t, func(s *testSetup) { s.Web.OrderLimitPerIP, s.Web.TrustedProxies = 2, []string{"0.0.0.0/8"} })
	typo := url.Values{"country": {"SE"}, "bank": {"6000"}, "account": {"12"}}
	for i, ip := range []string{"2001:db8:9:9::1", "2001:db8:9:9::2", "2001:db8:9:9::3"} {
		player, _ := ta.signedIn(fmt.Sprintf("v6player%d@example.com", i))
		want := http.StatusUnprocessableEntity
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if got := player.submitFrom(ip, "/bank-accounts/new", typo).Status; got != want {
			t.Errorf("order %d from %s: status %d; want %d", i+1, ip, got, want)
		}
	}
}

func TestOrderLimitPerPlayer(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Web.OrderLimit = 3 }})
	cl, _ := lv.signedIn("anna@example.com")
	for range 3 {
		lv.startDeposit(cl, "100")
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/deposit", url.Values{"amount": {"100"}}},
		{"/bank-accounts/select", nil},
		{"/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6000"}, "account": {"123456789"}}},
		{"/payout", url.Values{"amount": {"100"}, "account": {"1"}}},
	} {
		r := cl.submit(tt.path, tt.form).wantStatus(http.StatusTooManyRequests)
		if got := r.text("error-message"); got != msgTooManyOrders {
			t.Errorf("POST %s over the limit: message %q; want %q", tt.path, got, msgTooManyOrders)
		}
	}
	if n := countOrders(t, lv.testApp); n != 3 {
		t.Errorf("orders = %d; want 3: none past the limit", n)
	}
	other, _ := lv.signedIn("bo@example.com")
	lv.startDeposit(other, "100")
	if !strings.Contains(lv.Logs.String(), `msg="order rate limit reached" bucket=player`) {
		t.Error("no log line for the refused orders")
	}
}

// TestOrderLimitPerIP: the players behind one address share its bucket; another
// address has its own.
func TestOrderLimitPerIP(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.OrderLimitPerIP = 3; s.Web.TrustedProxies = []string{"0.0.0.0/8"} })
	typo := url.Values{"country": {"SE"}, "bank": {"6000"}, "account": {"12"}} // refused before Trustly
	for i := range 3 {
		cl, _ := ta.signedIn(fmt.Sprintf("player%d@example.com", i))
		cl.submitFrom("203.0.113.7", "/bank-accounts/new", typo).wantStatus(http.StatusUnprocessableEntity)
	}
	cl, _ := ta.signedIn("fourth@example.com")
	r := cl.submitFrom("203.0.113.7", "/bank-accounts/new", typo).wantStatus(http.StatusTooManyRequests)
	if got := r.text("error-message"); got != msgTooManyOrders {
		t.Errorf("message %q; want %q", got, msgTooManyOrders)
	}
	cl.submitFrom("203.0.113.8", "/bank-accounts/new", typo).wantStatus(http.StatusUnprocessableEntity)
}

// rawGet sends one keep-alive GET with extra header lines on conn and reads the response.
func rawGet(t *testing.T, conn net.Conn, r *bufio.Reader, extra string) *http.Response {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET /login HTTP/1.1\r\nHost: cashier.test\r\n%s\r\n", extra); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestServerLimits: the configured idle timeout, connection limit and read buffer
// are the ones the server applies.
func TestServerLimits(t *testing.T) {
	t.Run("idle timeout", func(t *testing.T) {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Server.IdleTimeout = 200 * time.Millisecond })
		conn, err := net.Dial("tcp", strings.TrimPrefix(serve(t, ta.App), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		rawGet(t, conn, r, "").Body.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second)) // a failsafe, not a timing
		if _, err := r.ReadByte(); err != io.EOF {
			t.Errorf("idle connection: read %v; want it closed by the server (EOF)", err)
		}
	})
	t.Run("connections", func(t *testing.T) {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Server.MaxConnections = 2 })
		addr := strings.TrimPrefix(serve(t, ta.App), "http://")
		for i := range 3 {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if i < 2 {
				if got := rawGet(t, conn, bufio.NewReader(conn), "").StatusCode; got != http.StatusOK {
					t.Fatalf("connection %d: status %d; want 200", i+1, got)
				}
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil) // refused before any request
			if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("third connection: %v, %v; want 503", resp, err)
			}
		}
	})
	t.Run("read buffer", func(t *testing.T) {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Server.ReadBufferSize = 2048 })
		conn, err := net.Dial("tcp", strings.TrimPrefix(serve(t, ta.App), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		if got := rawGet(t, conn, r, "Cookie: a="+strings.Repeat("x", 1000)+"\r\n").StatusCode; got != http.StatusOK {
			t.Errorf("1 kB of cookies: status %d; want 200", got)
		}
		if got := rawGet(t, conn, r, "Cookie: a="+strings.Repeat("x", 4000)+"\r\n").StatusCode; got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("4 kB of cookies with a 2 kB buffer: status %d; want 431", got)
		}
	})
}

// TestPageInOneWrite: the signed-in cashier page, its headers and body, reaches
// the connection in one write (writeBufferSize), not headers and body apart.
func TestPageInOneWrite(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counting := &writeCounter{Listener: ln}
	go ta.App.Listener(counting)
	t.Cleanup(func() { _ = ta.App.Shutdown() })
	base := "http://" + ln.Addr().String()
	client := cookieBrowser(t, base, cl.cookie(sessionCookie), &http.Transport{})
	for range 2 { // the second with the cookies the first set, as a browser asks again
		before := counting.writes.Load()
		resp, err := client.Get(base + "/cashier")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) < 4096 {
			t.Fatalf("/cashier: %d, %d bytes; want 200 and a page larger than fasthttp's default buffer", resp.StatusCode, len(body))
		}
		if n := counting.writes.Load() - before; n != 1 {
			t.Errorf("/cashier went out in %d writes; want 1", n)
		}
	}
}

// writeCounter is a listener whose connections count the writes made to them.
type writeCounter struct {
	net.Listener
	writes atomic.Int64
}

func (w *writeCounter) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, writes: &w.writes}, nil
}

type countedConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestBehindReverseProxy puts a TLS-terminating reverse proxy (httputil.ReverseProxy,
// appending to the client's X-Forwarded-For as nginx's $proxy_add_x_forwarded_for
// does) in front of the app on loopback. The proxy connects from 127.0.0.3, the one
// trusted address; clients connect from 127.0.0.2, 127.0.0.4 and 127.0.0.5.
func TestBehindReverseProxy(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) {
		s.Web.LoginLimit, s.Web.Secure, s.Web.TrustedProxies = 2, true, []string{"127.0.0.3"}
	})
	ta.player("anna@example.com")
	app, _ := url.Parse(serve(t, ta.App))
	from := func(ip string) *net.Dialer { return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}} }
	proxy := httptest.NewUnstartedServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(app)
			r.Out.Header["X-Forwarded-For"] = r.In.Header["X-Forwarded-For"]
			r.SetXForwarded()
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{DialContext: from("127.0.0.3").DialContext},
	})
	proxy.StartTLS()
	t.Cleanup(proxy.Close)

	// browser is a client at ip; via the proxy unless direct.
	type browser struct {
		http *http.Client
		base string
	}
	newBrowser := func(ip string, direct bool) browser {
		jar, _ := cookiejar.New(nil)
		tr := proxy.Client().Transport.(*http.Transport).Clone()
		tr.DialContext = from(ip).DialContext
		b := browser{http: &http.Client{Jar: jar, Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: proxy.URL}
		if direct {
			b.base = app.String()
		}
		return b
	}
	token := func(b browser) string {
		t.Helper()
		resp, err := b.http.Get(b.base + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(b.base)
		for _, c := range b.http.Jar.Cookies(u) {
			if c.Name == "__Host-"+playerCSRF.cookie { // a __Host- cookie: https, as the proxy says
				return c.Value
			}
		}
		t.Fatalf("no CSRF cookie after GET %s/login", b.base)
		return ""
	}
	// wrongLogin posts a wrong password with a forged X-Forwarded-For and referer
	// and returns the status.
	wrongLogin := func(b browser, forged, referer string) int {
		t.Helper()
		form := url.Values{"email": {"anna@example.com"}, "password": {"wrong password"}, csrfField: {token(b)}}
		req, _ := http.NewRequest(http.MethodPost, b.base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", forged)
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	site := proxy.URL + "/login"

	// Each client has its own bucket, and its forged X-Forwarded-For entries do
	// not give it new ones.
	a, b := newBrowser("127.0.0.2", false), newBrowser("127.0.0.4", false)
	for i, forged := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		want := http.StatusUnprocessableEntity
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if got := wrongLogin(a, forged, site); got != want {
			t.Errorf("client 127.0.0.2, attempt %d (forged %s): status %d; want %d", i+1, forged, got, want)
		}
	}
	if got := wrongLogin(b, "198.51.100.1", site); got != http.StatusUnprocessableEntity {
		t.Errorf("client 127.0.0.4 behind the same proxy: status %d; want 422 (a bucket of its own)", got)
	}

	// The proxy says https, so the CSRF check compares the Referer with the site.
	for _, referer := range []string{"https://evil.example/login", "http://" + strings.TrimPrefix(site, "https://")} {
		if got := wrongLogin(b, "", referer); got != http.StatusForbidden {
			t.Errorf("Referer %s through the proxy: status %d; want 403", referer, got)
		}
	}

	// A client reaching the app directly, not through a trusted proxy: its
	// X-Forwarded-For is ignored and its address is its bucket.
	c := newBrowser("127.0.0.5", true)
	for i, forged := range []string{"198.51.100.4", "198.51.100.5", "198.51.100.6"} {
		want := http.StatusUnprocessableEntity
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if got := wrongLogin(c, forged, ""); got != want {
			t.Errorf("direct client, attempt %d (forged %s): status %d; want %d", i+1, forged, got, want)
		}
	}
}

// TestNotifyRefusalLogged: a refused notification is logged on the app's log (not
// the process's default logger), with its request id and the sender's address as
// the trusted proxy saw it.
func TestNotifyRefusalLogged(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.TrustedProxies = []string{"0.0.0.0/8"} })
	cl := ta.client()
	req := cl.request(http.MethodPost, "/trustly/notify/"+testNotifyToken, strings.NewReader(`{"method":"credit"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	r := cl.do(req).wantStatus(http.StatusBadRequest)
	id := r.Header.Get("X-Request-ID")
	var line string
	for _, l := range strings.Split(ta.Logs.String(), "\n") {
		if strings.Contains(l, "alert: trustly notification refused") {
			line = l
		}
	}
	if id == "" || !strings.Contains(line, "request_id="+id) || !strings.Contains(line, "ip=203.0.113.9") {
		t.Errorf("refusal log line %q; want request_id=%s and ip=203.0.113.9", line, id)
	}
}

// TestServerErrorPagesFramed: requests the server refuses before any route runs (a
// malformed request line, an unreadable Content-Length, a body over the limit,
// headers over the read buffer) get an HTML error page from the app's error
// handler outside the middleware chain. Those pages carry the same
// Content-Security-Policy, X-Frame-Options and nosniff as every other page, so
// that no page of the site can be framed by another.
func TestServerErrorPagesFramed(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.Server.ReadBufferSize = 2048 })
	addr := strings.TrimPrefix(serve(t, ta.App), "http://")
	for _, tt := range []struct {
		name, raw string
		status    int
	}{
		{"headers too large", "GET /login HTTP/1.1\r\nHost: cashier.test\r\nCookie: a=" + strings.Repeat("x", 4000) + "\r\n\r\n", 431},
		{"body too large", "POST /login HTTP/1.1\r\nHost: cashier.test\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 9999999\r\n\r\n", 413},
		{"bad content length", "GET /login HTTP/1.1\r\nHost: cashier.test\r\nContent-Length: abc\r\n\r\n", 400},
		{"garbage", "GARBAGE\r\n\r\n", 400},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, tt.raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), "<html") {
			t.Errorf("%s: status %d, HTML %t; want %d, an HTML page", tt.name, resp.StatusCode, strings.Contains(string(body), "<html"), tt.status)
		}
		if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'self'") {
			t.Errorf("%s: Content-Security-Policy = %q; want the site's policy", tt.name, got)
		}
		for name, want := range map[string]string{
			"X-Frame-Options":        "SAMEORIGIN",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("%s: %s = %q; want %q", tt.name, name, got, want)
			}
		}
	}
}
