package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// leakMarks are what an answer to a visitor must never show: a Go stack or panic,
// a database's words, a source path.
var leakMarks = []string{"goroutine ", "panic:", ".go:", "runtime/", "SQLSTATE", "sqlite", "gorm", "SELECT ", "INSERT INTO",
	"UPDATE \"", "syntax error", "/work/", "/home/", "/root/", "/tmp/", "no such table", "record not found", "pq: "}

// readsRecorded are the writes a page that only reads may make, by route: the
// audit row of an export of personal data (written before the export begins, or
// it does not begin), and the record of a call to Trustly with the answer kept
// for every instance (TrustlyPoll: Balance may be asked once in 15 minutes).
var readsRecorded = map[string][]string{
	"/admin/transactions.csv":       {"audits"},
	"/admin/reports/reconciliation": {"api_calls", "trustly_polls"},
}

// readWrites drops from changed the tables readsRecorded allows route, and
// SQLite's own counter of ids, which moves with them.
func readWrites(route string, changed []string) []string {
	var out []string
	for _, table := range changed {
		if table != "sqlite_sequence" && !slices.Contains(readsRecorded[route], table) {
			out = append(out, table)
		}
	}
	return out
}

// TestRouteMatrix walks every route the app answers (Fiber's app.GetRoutes, so a
// route added later is walked too) with every method it is registered for, as a
// visitor, a signed-in player and a member of each staff role, and checks what
// holds for any answer: no 5xx, the site's security headers exactly, no cache of
// a page, nothing of the server's insides in the body; the back office answers a
// visitor and a player with the staff sign-in and nothing else; a staff session
// alone opens none of a player's pages; and no GET, HEAD, OPTIONS or TRACE, by
// anyone, writes to the database but what readsRecorded lists (GET /admin/2fa
// stored a new second factor's secret: TestTOTPPageWritesNothing).
func TestRouteMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) { routeMatrix(t, db) })
}

func routeMatrix(t *testing.T, db *gorm.DB) {
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
	player, _ := ta.signedIn("anna@example.com")
	who := map[string]*testClient{"visitor": ta.client(), "player": player}
	names := []string{"visitor", "player"}
	for _, role := range staff.Roles {
		who[string(role)], _ = ta.staffSignedIn(string(role)+"@example.com", role)
		who[string(role)].staffReauth(testPassword, "")
		names = append(names, string(role))
	}
	wantCSP := "default-src 'self'; frame-src " + testTrustlyOrigin + "; frame-ancestors 'self'; " +
		"form-action 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; object-src 'none'"
	safe := map[string]bool{fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodOptions: true, fiber.MethodTrace: true}
	walked := 0
	for _, r := range ta.App.GetRoutes(true) {
		if r.Path == notifyPath || r.Method == fiber.MethodConnect || r.Path == "/logout" || r.Path == "/admin/logout" {
			continue // signing out would leave the rest of the walk to visitors
		}
		path := strings.ReplaceAll(r.Path, ":id", "999999") // nobody's: no member is disabled, no payout cancelled
		admin := path == "/admin" || strings.HasPrefix(path, "/admin/")
		visitorAnswer := ""
		for _, name := range names {
			cl := who[name]
			walked++
			var before map[string]string
			if safe[r.Method] {
				before = dbDigest(t, ta.DB)
			}
			var res *testResponse
			switch r.Method {
			case fiber.MethodGet:
				res = cl.get(path)
			case fiber.MethodPost:
				res = cl.submit(path, url.Values{})
			default:
				req := cl.request(r.Method, path, strings.NewReader(url.Values{csrfField: {cl.csrfFor(path)}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res = cl.do(req)
			}
			what := fmt.Sprintf("%s %s as %s", r.Method, path, name)
			if res.Status >= 500 {
				t.Errorf("%s: HTTP %d", what, res.Status)
			}
			for header, want := range map[string]string{"Content-Security-Policy": wantCSP, "X-Frame-Options": "SAMEORIGIN",
				"X-Content-Type-Options": "nosniff"} {
				if got := res.Header.Get(header); got != want {
					t.Errorf("%s: %s = %q; want %q", what, header, got, want)
				}
			}
			if res.Body != "" && r.Path != healthPath && r.Path != readyPath && !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
				t.Errorf("%s: HTTP %d with a body and Cache-Control %q; want no-store", what, res.Status, res.Header.Get("Cache-Control"))
			}
			for _, mark := range leakMarks {
				if strings.Contains(res.Body, mark) {
					t.Errorf("%s: HTTP %d shows %q", what, res.Status, mark)
				}
			}
			loc := res.Header.Get("Location")
			if admin && (name == "visitor" || name == "player") && path != "/admin/login" {
				toLogin := res.Status == http.StatusSeeOther && strings.HasPrefix(loc, "/admin/login")
				if !toLogin && res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
					t.Errorf("%s: HTTP %d to %q; want the staff sign-in, 403 or 404", what, res.Status, loc)
				}
			}
			answer := fmt.Sprintf("%d %s", res.Status, loc)
			if name == "visitor" {
				visitorAnswer = answer
			} else if !admin && staff.Role(name).Valid() && r.Method == fiber.MethodGet && answer != visitorAnswer {
				t.Errorf("%s: %s; want what a visitor gets (%s): a staff session is no player's", what, answer, visitorAnswer)
			}
			if before != nil {
				if changed := readWrites(r.Path, changedTables(before, dbDigest(t, ta.DB))); len(changed) > 0 {
					t.Errorf("%s: HTTP %d wrote to %v; want no write from a %s", what, res.Status, changed, r.Method)
				}
			}
		}
	}
	if walked < 100 {
		t.Errorf("walked %d requests; want every route with every identity", walked)
	}
	// Everyone is still signed in: the walk was made by who it says.
	player.get("/cashier").wantStatus(http.StatusOK)
	for _, role := range staff.Roles {
		who[string(role)].get("/admin").wantStatus(http.StatusOK)
	}
}

// offSite are targets that a browser resolves to another site, or that could be
// read so: protocol-relative, backslashes (which browsers read as slashes),
// a scheme with and without slashes, whitespace browsers strip, and each
// percent-encoded once more, as a value that is decoded twice would be.
var offSite = []string{"//evil.example", "//evil.example/admin", "/\\evil.example", "\\\\evil.example", "/\\/evil.example",
	"https:evil.example", "https://evil.example", "http:/evil.example", "HTTPS://evil.example", "javascript:alert(1)",
	"\t//evil.example", " //evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example%2f..",
	"%2F%2Fevil.example", "%2f%5cevil.example", "/%2F/evil.example", "/%5Cevil.example", "%252F%252Fevil.example",
	"//evil.example@cashier.test", "/admin//evil.example", "///evil.example", "/.//evil.example", "//%09/evil.example",
	"\\/evil.example", "/admin/\\evil.example", "//\u3002evil.example", "／／evil.example"}

// onSite reports whether a Location header names a page of this site: a path
// that starts with one slash, followed by anything but a slash or backslash, with
// no control characters, as a browser resolves it.
func onSite(loc string) bool {
	if loc == "" {
		return true
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return false
	}
	return strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\") &&
		!strings.ContainsAny(loc, "\\\t\r\n ")
}

// nextFields are the values of a page's form fields called next.
func nextFields(r *testResponse) []string {
	var values []string
	for _, n := range r.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "next" }) {
		values = append(values, attr(n, "value"))
	}
	return values
}

// TestNoOpenRedirect sends every place that takes a page to go to afterwards
// (?next= of both sign-in pages and the re-authentication, their forms' next,
// the language picker's back, the reality check's next) each off-site target,
// as it is and encoded, signed in and not: every redirect stays on this site,
// and no sign-in page carries the target in its form.
func TestNoOpenRedirect(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 1000 })
	ta.player("anna@example.com")
	ta.staff("viewer@example.com", staff.RoleViewer)
	for i, target := range offSite {
		for _, raw := range []string{target, url.QueryEscape(target)} {
			check := func(what string, res *testResponse) {
				t.Helper()
				if loc := res.Header.Get("Location"); !onSite(loc) {
					t.Errorf("%s with %q: HTTP %d to %q; want a page of this site", what, raw, res.Status, loc)
				}
				for _, next := range nextFields(res) {
					if !onSite(next) {
						t.Errorf("%s with %q: HTTP %d has a form with next %q", what, raw, res.Status, next)
					}
				}
			}
			q := "?next=" + url.QueryEscape(raw)
			visitor, member := ta.client(), ta.client()
			check("GET /login", visitor.get("/login"+q))
			check("POST /language", visitor.submit("/language", url.Values{"lang": {"sv"}, "back": {raw}}))
			check("GET /admin/login", member.get("/admin/login"+q))
			if raw != target || i%3 != 0 {
				continue // the forms below cost a password check each, and end in localPath as the pages above
			}
			check("POST /login", visitor.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword},
				"next": {raw}}).wantStatus(http.StatusSeeOther))
			check("GET /login, signed in", visitor.get("/login"+q))
			check("POST /language, signed in", visitor.submit("/language", url.Values{"lang": {"en"}, "back": {raw}}))
			check("POST /reality-check", visitor.submit("/reality-check", url.Values{"next": {raw}}))
			check("POST /admin/login", member.submit("/admin/login", url.Values{"email": {"viewer@example.com"},
				"password": {testPassword}, "next": {raw}}).wantStatus(http.StatusSeeOther))
			check("GET /admin/login, signed in", member.get("/admin/login"+q))
			check("GET /admin/reauth", member.get("/admin/reauth"+q))
			check("POST /admin/reauth", member.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {raw}}).
				wantStatus(http.StatusSeeOther))
		}
	}
}

// visitorForms are the forms a visitor sends: a browser signed out is a visitor,
// with a session of a new ID whose tokens it sends them with as any visitor's
// does; the tokens of the session signed out are refused for them too
// (TestSignOutEndsTheSessionsTokens).
var visitorForms = map[string]bool{"/login": true, "/register": true, "/language": true, "/logout": true,
	"/paynplay/deposit": true, "/paynplay/login": true, "/admin/login": true, "/admin/logout": true}

// TestTokenAfterSignOut sends every form that needs a signed-in player or staff
// member with the CSRF token of a session that has signed out since: from the
// same browser, and from another one holding a copy of the old session cookie
// and token cookie. Each is refused (403, or sent to sign in) and nothing is
// written; a staff token from before signing out is refused in the next staff
// session too.
func TestTokenAfterSignOut(t *testing.T) {
	ta := newTestApp(t)
	player, _ := ta.signedIn("anna@example.com")
	token, cookie := player.csrf(), player.cookie(sessionCookie).Value
	player.submit("/logout", nil).wantRedirect("/login")
	member, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	member.staffReauth(testPassword, "")
	staffToken, staffCookieValue := member.csrfFor("/admin"), member.cookie(staffCookie).Value
	member.submit("/admin/logout", nil).wantRedirect("/admin/login")

	copied := ta.client()
	copied.setCookie(sessionCookie, cookie)
	copied.setCookie(playerCSRF.cookie, token)
	admin := copied.base.ResolveReference(&url.URL{Path: "/admin/"})
	copied.Jar.SetCookies(admin, []*http.Cookie{{Name: staffCookie, Value: staffCookieValue, Path: "/admin"},
		{Name: staffCSRF.cookie, Value: staffToken, Path: "/admin"}})

	refused := func(what string, res *testResponse) {
		t.Helper()
		loc := res.Header.Get("Location")
		toSignIn := res.Status == http.StatusSeeOther && (strings.HasPrefix(loc, "/login") || strings.HasPrefix(loc, "/admin/login"))
		if res.Status != http.StatusForbidden && !toSignIn {
			t.Errorf("%s: HTTP %d to %q; want 403 or sent to sign in", what, res.Status, loc)
		}
	}
	before := dbDigest(t, ta.DB)
	walked := 0
	for _, r := range ta.App.GetRoutes(true) {
		if r.Method != fiber.MethodPost || r.Path == notifyPath || visitorForms[r.Path] {
			continue
		}
		walked++
		path := strings.ReplaceAll(r.Path, ":id", "1")
		tok := token
		if strings.HasPrefix(path, "/admin") {
			tok = staffToken
		}
		form := url.Values{csrfField: {tok}, "amount": {"100"}, "lang": {"sv"}}
		refused("POST "+path+" in the browser signed out", player.post(path, form))
		refused("POST "+path+" with a copy of the signed-out cookies", copied.post(path, form))
	}
	if changed := slices.DeleteFunc(changedTables(before, dbDigest(t, ta.DB)), func(s string) bool { return s == "rate_counters" }); len(changed) > 0 {
		t.Errorf("forms with tokens of sessions signed out wrote to %v; want nothing written", changed)
	}
	if walked < 30 {
		t.Errorf("walked %d forms; want every one that needs a signed-in player or member", walked)
	}
	member.staffSignIn("owner@example.com", testPassword, "")
	if res := member.post("/admin/players/1/block", url.Values{csrfField: {staffToken}}); res.Status != http.StatusForbidden {
		t.Errorf("a staff token from before signing out, in the next staff session: HTTP %d; want 403", res.Status)
	}
}
