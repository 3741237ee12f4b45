package handlers

// A small harness for page tests: newTestApp builds the real app on a fresh SQLite
// database with a real cashier.Service, and testClient is a browser without
// JavaScript: it keeps cookies, follows nothing on its own, and can submit forms
// with the CSRF token it was given.
//
//	ta := newTestApp(t)                       // options: func(s *testSetup) { … }
//	cl, player := ta.signedIn("anna@example.com")
//	page := cl.get("/cashier").wantStatus(200)
//	if got := page.text("balance"); got != "SEK 0.00" { … } // by data-testid
//	cl.submit("/logout", nil).wantRedirect("/login")         // adds the CSRF token
//	ta.client().post("/logout", nil).wantStatus(403)         // posts exactly what it is given

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// Fixed values of the test app.
const (
	testTrustlyOrigin = "http://127.0.0.1:8081"
	testNotifyToken   = "test-notify-token"
	testPassword      = "correct horse battery"
)

// testApp is the app under test and what it was built from.
type testApp struct {
	t    testing.TB
	App  *fiber.App
	Svc  *cashier.Service
	DB   *gorm.DB
	Deps Deps
	Logs *syncBuffer // everything the app and the service logged, as text
}

// testSetup is what newTestApp builds from; options change it before anything is
// built. Cashier.DB is a fresh SQLite database, and Cashier.Trustly a client for a
// closed port: a test that needs Trustly points it at the sandbox (and sets
// Cashier.TrustlyKey to the sandbox's key). Web.Service is set after the options ran.
type testSetup struct {
	Cashier cashier.Deps
	Web     Deps
	// LogLevel is the level of the app's and the service's log (Debug unless an
	// option sets it; benchmarks log at Info, as production does by default).
	LogLevel *slog.LevelVar
}

// newTestApp builds the real app on a new SQLite database with a real
// cashier.Service, for example newTestApp(t, func(s *testSetup) { s.Web.Secure = true }).
func newTestApp(t testing.TB, options ...func(s *testSetup)) *testApp {
	t.Helper()
	logs, level := &syncBuffer{}, &slog.LevelVar{}
	level.Set(slog.LevelDebug)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s", logs.String())
		}
	})
	key, err := trustly.LoadPrivateKey("../trustly/testdata/test-merchant-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := trustly.LoadPublicKey("../trustly/testdata/test-merchant-public.pem")
	if err != nil {
		t.Fatal(err)
	}
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:1/api/1", Username: "merchant",
		Password: "secret", PrivateKey: key, TrustlyKey: pub, Env: "test", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := testSetup{
		Cashier: cashier.Deps{TOTPKey: make([]byte, 32), DB: storetest.SQLite(t), Trustly: client, MerchantKey: key, TrustlyKey: pub, Log: log,
			Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: testNotifyToken,
				ShopperStatement: "Cashier", IntegrationModule: "cashier-test"}},
		Web: Deps{TrustlyOrigin: testTrustlyOrigin, Log: log,
			SessionKeys: SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}},
		LogLevel: level,
	}
	for _, o := range options {
		o(&s)
	}
	svc, err := cashier.New(s.Cashier)
	if err != nil {
		t.Fatal(err)
	}
	if s.Web.Service == nil {
		s.Web.Service = svc
	}
	return &testApp{t: t, App: New(s.Web), Svc: svc, DB: s.Cashier.DB, Deps: s.Web, Logs: logs}
}

// player registers a player directly through the service (no pages involved).
func (a *testApp) player(email string) models.Player {
	a.t.Helper()
	// The name of the sandbox's first Swedish person, whose bank the checkout logs
	// in to by default: the account holder check finds the player's own name.
	p, err := a.Svc.Register(context.Background(), models.Registration{Email: email, Password: testPassword,
		FirstName: "Åsa", LastName: "Öberg-Lindqvist", Country: "SE", PersonID: nextSEPersonID()})
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

// staff creates a staff account with role and testPassword through the service.
func (a *testApp) staff(email string, role staff.Role) staff.Member {
	a.t.Helper()
	m, err := a.Svc.AddStaff(context.Background(), email, testPassword, role)
	if err != nil {
		a.t.Fatal(err)
	}
	return m
}

// staffSignedIn creates a staff account with role and returns a new browser
// signed in as them through the staff sign-in form.
func (a *testApp) staffSignedIn(email string, role staff.Role) (*testClient, staff.Member) {
	a.t.Helper()
	m := a.staff(email, role)
	cl := a.client()
	cl.staffSignIn(email, testPassword, "")
	return cl, m
}

// signedIn registers a player through the service and returns a new browser
// signed in as them through the login form.
func (a *testApp) signedIn(email string) (*testClient, models.Player) {
	a.t.Helper()
	p := a.player(email)
	cl := a.client()
	cl.signIn(email, testPassword)
	return cl, p
}

// client is a new browser with an empty cookie jar. It talks to https://cashier.test
// when the app has Secure cookies, so that the jar sends them back.
func (a *testApp) client() *testClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		a.t.Fatal(err)
	}
	base := "http://cashier.test"
	if a.Deps.Secure {
		base = "https://cashier.test"
	}
	u, _ := url.Parse(base)
	return &testClient{t: a.t, app: a.App, Jar: jar, base: u}
}

// testClient is one browser: it keeps cookies between requests.
type testClient struct {
	t    testing.TB
	app  *fiber.App
	Jar  *cookiejar.Jar
	base *url.URL
}

// get requests path (which may have a query) and does not follow redirects.
func (cl *testClient) get(path string) *testResponse {
	cl.t.Helper()
	return cl.do(cl.request(http.MethodGet, path, nil))
}

// post sends form exactly as given, with no CSRF token added.
func (cl *testClient) post(path string, form url.Values) *testResponse {
	cl.t.Helper()
	req := cl.request(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cl.do(req)
}

// submit posts form with the CSRF token the browser holds, as a page's form would.
func (cl *testClient) submit(path string, form url.Values) *testResponse {
	cl.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set(csrfField, cl.csrfFor(path))
	return cl.post(path, f)
}

// csrf is the CSRF token the browser holds for players' pages (the double-submit
// cookie's value), fetched with a first page view when it has none yet.
func (cl *testClient) csrf() string {
	cl.t.Helper()
	return cl.csrfFor("/")
}

// csrfFor is the CSRF token the browser holds for a form sent to path: the back
// office has a cookie of its own, bound to the staff session. It is fetched with
// a view of the sign-in page when the browser has none yet.
func (cl *testClient) csrfFor(path string) string {
	cl.t.Helper()
	scope, page := playerCSRF, "/login"
	if path == "/admin" || strings.HasPrefix(path, "/admin/") || strings.HasPrefix(path, "/admin?") {
		scope, page = staffCSRF, "/admin/login"
	}
	if c := cl.cookie(scope.cookie); c != nil && c.Value != "" {
		return c.Value
	}
	cl.get(page)
	if c := cl.cookie(scope.cookie); c != nil && c.Value != "" {
		return c.Value
	}
	cl.t.Fatalf("no CSRF cookie %s after viewing %s", scope.cookie, page)
	return ""
}

// cookie is the browser's cookie called name, or over https "__Host-" name
// (cookieName), or nil.
func (cl *testClient) cookie(name string) *http.Cookie {
	// The staff cookie is sent only to /admin.
	for _, u := range []*url.URL{cl.base, cl.base.ResolveReference(&url.URL{Path: "/admin/"})} {
		for _, c := range cl.Jar.Cookies(u) {
			if c.Name == name || c.Name == "__Host-"+name {
				return c
			}
		}
	}
	return nil
}

// staffValues is what the browser's staff cookie holds, opened with the app's
// keys; empty when it has none.
func (a *testApp) staffValues(cl *testClient) staffValues {
	a.t.Helper()
	var v staffValues
	c := cl.cookie(staffCookie)
	if c == nil || c.Value == "" {
		return v
	}
	if err := securecookie.DecodeMulti(staffCookie, c.Value, &v, newSessionStore(a.Deps.SessionKeys, false).staffCodecs...); err != nil {
		a.t.Fatalf("staff cookie: %v", err)
	}
	return v
}

// setCookie replaces a cookie in the browser, for tampering tests.
func (cl *testClient) setCookie(name, value string) {
	cl.Jar.SetCookies(cl.base, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// staffSignIn signs in through the staff sign-in form, viewed first as a browser
// would, and fails the test unless it succeeds.
func (cl *testClient) staffSignIn(email, password, code string) {
	cl.t.Helper()
	cl.get("/admin/login")
	r := cl.submit("/admin/login", url.Values{"email": {email}, "password": {password}, "code": {code}})
	if r.Status != fiber.StatusSeeOther {
		cl.t.Fatalf("staff sign in as %s: status %d; want 303\n%s", email, r.Status, r.Body)
	}
}

// staffReauth re-authenticates on /admin/reauth (requireRecentAuth) and fails the
// test unless it succeeds.
func (cl *testClient) staffReauth(password, code string) {
	cl.t.Helper()
	cl.submit("/admin/reauth", url.Values{"password": {password}, "code": {code}, "next": {"/admin"}}).wantRedirect("/admin")
}

// signUp registers through the registration form, then signs in through the
// login form it is sent to, and fails the test unless both succeed.
func (cl *testClient) signUp(email string) {
	cl.t.Helper()
	cl.submit("/register", url.Values{"email": {email}, "password": {testPassword}, "first_name": {"Anna"},
		"last_name": {"Andersson"}, "country": {"SE"}}).wantRedirect("/login")
	cl.signIn(email, testPassword)
}

// signIn signs in through the login form, viewed first as a browser would, and
// fails the test unless it succeeds.
func (cl *testClient) signIn(email, password string) {
	cl.t.Helper()
	cl.get("/login")
	r := cl.submit("/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != fiber.StatusSeeOther {
		cl.t.Fatalf("sign in as %s: status %d; want 303\n%s", email, r.Status, r.Body)
	}
}

func (cl *testClient) request(method, path string, body io.Reader) *http.Request {
	u := cl.base.ResolveReference(&url.URL{Path: path})
	if p, q, ok := strings.Cut(path, "?"); ok {
		u = cl.base.ResolveReference(&url.URL{Path: p, RawQuery: q})
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, c := range cl.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	return req
}

func (cl *testClient) do(req *http.Request) *testResponse {
	cl.t.Helper()
	resp, err := cl.app.Test(req, -1)
	if err != nil {
		cl.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.t.Fatal(err)
	}
	cl.Jar.SetCookies(req.URL, resp.Cookies())
	return &testResponse{t: cl.t, Status: resp.StatusCode, Header: resp.Header, Body: string(body),
		Cookies: resp.Cookies(), what: req.Method + " " + req.URL.Path}
}

// testResponse is a response read completely.
type testResponse struct {
	t       testing.TB
	Status  int
	Header  http.Header
	Body    string
	Cookies []*http.Cookie // as set by this response, with their attributes
	what    string         // "GET /cashier", for messages
	doc     *html.Node
}

// wantStatus fails the test unless the status is want.
func (r *testResponse) wantStatus(want int) *testResponse {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("%s: status %d; want %d\n%s", r.what, r.Status, want, r.Body)
	}
	return r
}

// wantRedirect fails the test unless the response is a 303 to location.
func (r *testResponse) wantRedirect(location string) *testResponse {
	r.t.Helper()
	if r.Status != fiber.StatusSeeOther || r.Header.Get("Location") != location {
		r.t.Fatalf("%s: %d to %q; want 303 to %q\n%s", r.what, r.Status, r.Header.Get("Location"), location, r.Body)
	}
	return r
}

// cookie is the cookie called name that this response set, or nil.
func (r *testResponse) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r *testResponse) parse() *html.Node {
	if r.doc == nil {
		doc, err := html.Parse(strings.NewReader(r.Body))
		if err != nil {
			r.t.Fatalf("%s: parse HTML: %v", r.what, err)
		}
		r.doc = doc
	}
	return r.doc
}

// find returns the elements matching pred in document order.
func (r *testResponse) find(pred func(n *html.Node) bool) []*html.Node {
	var found []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			found = append(found, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(r.parse())
	return found
}

// byTestID returns the elements with data-testid id.
func (r *testResponse) byTestID(id string) []*html.Node {
	return r.find(func(n *html.Node) bool { return attr(n, "data-testid") == id })
}

// has reports whether an element with data-testid id is on the page.
func (r *testResponse) has(id string) bool { return len(r.byTestID(id)) > 0 }

// text is the whitespace-trimmed text of the first element with data-testid id;
// the test fails when there is none.
func (r *testResponse) text(id string) string {
	r.t.Helper()
	nodes := r.byTestID(id)
	if len(nodes) == 0 {
		r.t.Fatalf("%s: no element with data-testid=%q\n%s", r.what, id, r.Body)
	}
	return textOf(nodes[0])
}

// value is the value attribute of the first element with data-testid id; for a
// select, the value of its selected option.
func (r *testResponse) value(id string) string {
	r.t.Helper()
	nodes := r.byTestID(id)
	if len(nodes) == 0 {
		r.t.Fatalf("%s: no element with data-testid=%q\n%s", r.what, id, r.Body)
	}
	n := nodes[0]
	if n.Data == "select" {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "option" && hasAttr(c, "selected") {
				return attr(c, "value")
			}
		}
		return ""
	}
	return attr(n, "value")
}

// forms returns the page's forms as action → the value of its csrf field ("" when
// it has none).
func (r *testResponse) forms() map[string]string {
	forms := map[string]string{}
	for _, f := range r.find(func(n *html.Node) bool { return n.Data == "form" }) {
		token := ""
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == csrfField {
				token = attr(n, "value")
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(f)
		forms[attr(f, "action")] = token
	}
	return forms
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// personSeq numbers the personnummer nextSEPersonID makes.
var personSeq atomic.Int64

// nextSEPersonID is a valid Swedish personnummer (born 1980-01-01, Luhn check
// digit) that no test person and no earlier call has: a register market asks every
// registration for one, and one opens one account.
func nextSEPersonID() string {
	serial := fmt.Sprintf("800101%03d", 100+personSeq.Add(1)%900)
	return fmt.Sprintf("19%s-%s%c", serial[:6], serial[6:], paynplay.SECheckDigit(serial))
}
