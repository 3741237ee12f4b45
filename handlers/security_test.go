package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/static"
)

func TestSecurityHeaders(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	want := "default-src 'self'; frame-src http://127.0.0.1:8081; frame-ancestors 'self'; " +
		"form-action 'self' http://127.0.0.1:8081; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
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
		c := r.cookie(sessionCookie)
		if c == nil {
			t.Fatalf("secure=%t: signing in set no %s cookie", secure, sessionCookie)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.Path != "/" || c.MaxAge != 12*60*60 {
			t.Errorf("secure=%t: session cookie HttpOnly=%t SameSite=%v Secure=%t Path=%q MaxAge=%d; want true, Lax, %t, /, 43200",
				secure, c.HttpOnly, c.SameSite, c.Secure, c.Path, c.MaxAge, secure)
		}
		var csrf *http.Cookie
		for _, c := range cl.get("/login").Cookies {
			if c.Name == "cashier_csrf" {
				csrf = c
			}
		}
		if csrf == nil {
			csrf = cl.cookie("cashier_csrf")
		}
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
		cl.get("/").wantRedirect("/login")
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
	cl.get("/").wantRedirect("/login")
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

func TestAdminGuard(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	ta.admin("boss@example.com")

	ta.client().get("/admin").wantRedirect("/login?next=%2Fadmin")

	player := ta.client()
	player.signIn("anna@example.com", testPassword)
	r := player.get("/admin").wantStatus(http.StatusForbidden)
	if r.has("admin-title") {
		t.Error("a player sees the back office")
	}
	if strings.Contains(player.get("/cashier").Body, `href="/admin"`) {
		t.Error("a player's navigation links to the back office")
	}

	admin := ta.client()
	admin.signIn("boss@example.com", testPassword)
	if got := admin.get("/admin").wantStatus(http.StatusOK).text("admin-title"); got != "Back office" {
		t.Errorf("admin page title = %q", got)
	}
	if !strings.Contains(admin.get("/cashier").Body, `href="/admin"`) {
		t.Error("the admin's navigation has no back-office link")
	}

	// An admin demoted in the database loses the back office at once.
	if err := ta.DB.Exec("UPDATE players SET role = 'player' WHERE email = 'boss@example.com'").Error; err != nil {
		t.Fatal(err)
	}
	if r := admin.get("/admin"); r.Status == http.StatusOK {
		t.Errorf("demoted admin: /admin status %d", r.Status)
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
