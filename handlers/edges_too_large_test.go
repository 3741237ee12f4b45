package handlers

import (
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"golang.org/x/net/html"
)

// TestTooLargeShowsPlayersNavigation: the page of a body too large, which the
// server refuses before any route (and so the session middleware) runs, shows a
// signed-in player their navigation and a "Log out" that works, a visitor the
// signed-out one, and a session idle past its end as signed out.
func TestTooLargeShowsPlayersNavigation(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.IdleTimeout = 10 * time.Minute })
	lv := &liveApp{testApp: ta, URL: serve(t, ta.App)}
	cl, p := ta.signedIn("anna@example.com")
	visitor := ta.client()

	page := tooLarge(t, lv, cl, "/deposit")
	if !page.has("logout") || len(page.find(func(n *html.Node) bool { return attr(n, "href") == "/login" })) != 0 {
		t.Errorf("a signed-in player's 413 page: Log out %t, a sign-in link %t; want their navigation", page.has("logout"),
			len(page.find(func(n *html.Node) bool { return attr(n, "href") == "/login" })) != 0)
	}
	if got, want := page.forms()["/logout"], cl.csrf(); got == "" || got != want {
		t.Errorf("the 413 page's Log out form has CSRF token %q; want the session's %q", got, want)
	}
	if page := tooLarge(t, lv, visitor, "/deposit"); page.has("logout") {
		t.Error("a visitor's 413 page offers Log out")
	}

	v := sessionOf(t, ta, cl)
	v.Seen = time.Now().Add(-11 * time.Minute).Unix()
	raw, err := securecookie.EncodeMulti(sessionCookie, v, newSessionStore(ta.Deps.SessionKeys, false).store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	cl.setCookie(sessionCookie, raw)
	if page := tooLarge(t, lv, cl, "/deposit"); page.has("logout") {
		t.Errorf("the 413 page of player %d's session idle past its end offers Log out", p.ID)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}
