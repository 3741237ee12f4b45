package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/lang"
)

// TestSessionLifetimeFromSignIn: a player's session ends 12 hours after its
// sign-in however active it is, as a staff member's does. The cookie's own time
// bounded nothing: every request that moved the idle clock (Seen, once a minute)
// wrote the cookie anew, so a session used every half hour, or a copy of its
// cookie kept warm by a script, lived for ever. A session signed in 11 hours 59
// minutes ago and seen a minute ago goes on; one signed in 12 hours and a minute
// ago ends, the sign-in page says so, and its forms are refused and sent to sign
// in. A cookie from before the sign-in time was kept counts from its next request.
func TestSessionLifetimeFromSignIn(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.IdleTimeout = 30 * time.Minute })
	cl, p := ta.signedIn("anna@example.com")
	store := newSessionStore(ta.Deps.SessionKeys, false)
	// forge writes the browser's session as it is, with signedIn as the time of
	// its sign-in ("Since"; none when zero) and seen a minute ago.
	forge := func(signedIn time.Duration) {
		v := sessionOf(t, ta, cl)
		if v.PlayerID != p.ID {
			t.Fatalf("session %+v; want player %d", v, p.ID)
		}
		v.Seen = time.Now().Add(-time.Minute).Unix()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "Since")
		if signedIn != 0 {
			m["Since"] = time.Now().Add(-signedIn).Unix()
		}
		raw, err := securecookie.EncodeMulti(sessionCookie, m, store.store.Codecs...)
		if err != nil {
			t.Fatal(err)
		}
		cl.setCookie(sessionCookie, raw)
	}

	forge(0) // a cookie of the version before: its lifetime counts from now
	cl.get("/cashier").wantStatus(http.StatusOK)
	if since := sessionOf(t, ta, cl).Since; time.Since(time.Unix(since, 0)) > time.Minute {
		t.Errorf("a cookie without a sign-in time: signed in %v ago after a request; want now", time.Since(time.Unix(since, 0)))
	}
	forge(12*time.Hour - time.Minute)
	cl.get("/cashier").wantStatus(http.StatusOK)
	token := cl.csrf()

	forge(12*time.Hour + time.Minute)
	cl.post("/deposit", url.Values{csrfField: {token}, "amount": {"250"}}).
		wantRedirect("/login?next=" + url.QueryEscape("/cashier?amount=250"))
	if got, want := cl.get("/login").text("flash"), lang.For("en", nil).T("session.ended"); got != want {
		t.Errorf("flash %q; want %q", got, want)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if v := sessionOf(t, ta, cl); v.PlayerID != 0 {
		t.Errorf("session after its lifetime %+v; want nobody signed in", v)
	}
}
