package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// signedOutForms are the forms a visitor may send, each with what would make it
// do something if its token were taken: sign in (bert's password, a staff
// member's), register, choose a language, start a Pay N Play order.
func signedOutForms() map[string]url.Values {
	return map[string]url.Values{
		"/login":            {"email": {"bert@example.com"}, "password": {testPassword}},
		"/register":         registration("new@example.com"),
		"/language":         {"lang": {"sv"}, "back": {"/cashier"}},
		"/paynplay/deposit": {"market": {"FI"}, "amount": {"100"}},
		"/paynplay/login":   {"market": {"FI"}},
		"/logout":           {},
		"/admin/login":      {"email": {"other@example.com"}, "password": {testPassword}},
		"/admin/logout":     {},
	}
}

// TestSignOutEndsTheSessionsTokens: signing out, a player's or a staff
// member's, gives the browser a new session ID and a new CSRF token, and the
// tokens of the session signed out are refused for every form, the visitors'
// ones too (sign-in, registration, language, Pay N Play, sign-out): in the same
// browser, and with a copy of the old session and token cookies in another.
// Refused is 403 or sent to sign in, with nobody signed in by it, no language
// chosen and nothing written. Before, the session's ID outlived the sign-out,
// so a visitor's form with a token issued while signed in was taken.
func TestSignOutEndsTheSessionsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db }, withPayNPlay(t, "FI=hybrid"))
		ta.player("bert@example.com")
		ta.staff("other@example.com", staff.RoleViewer)

		player, _ := ta.signedIn("anna@example.com")
		player.get("/cashier").wantStatus(http.StatusOK)
		before := sessionOf(t, ta, player)
		token, cookie := player.csrf(), player.cookie(sessionCookie).Value
		out := player.submit("/logout", nil).wantRedirect("/login")
		if after := sessionOf(t, ta, player); after.ID == "" || after.ID == before.ID {
			t.Errorf("session ID after signing out %q; want a new one (was %q)", after.ID, before.ID)
		}
		if c := out.cookie(playerCSRF.cookie); c == nil || c.Value == "" || c.Value == token {
			t.Errorf("signing out set the token cookie %+v; want a token of the new session", c)
		}

		member, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
		member.get("/admin").wantStatus(http.StatusOK)
		staffToken, staffCookieValue := member.csrfFor("/admin"), member.cookie(staffCookie).Value
		out = member.submit("/admin/logout", nil).wantRedirect("/admin/login")
		if c := out.cookie(staffCSRF.cookie); c == nil || c.Value == "" || c.Value == staffToken {
			t.Errorf("signing out of the back office set the token cookie %+v; want a token of the new session", c)
		}

		copied := ta.client()
		copied.setCookie(sessionCookie, cookie)
		copied.setCookie(playerCSRF.cookie, token)
		admin := copied.base.ResolveReference(&url.URL{Path: "/admin/"})
		copied.Jar.SetCookies(admin, []*http.Cookie{{Name: staffCookie, Value: staffCookieValue, Path: "/admin"},
			{Name: staffCSRF.cookie, Value: staffToken, Path: "/admin"}})

		digest := dbDigest(t, ta.DB)
		for path, form := range signedOutForms() {
			for _, b := range []struct {
				name string
				cl   *testClient
			}{{"the browser signed out", player}, {"a copy of the signed-out cookies", copied}, {"the member's browser signed out", member}} {
				tok := token
				if strings.HasPrefix(path, "/admin") {
					tok = staffToken
				}
				f := url.Values{csrfField: {tok}}
				for k, v := range form {
					f[k] = v
				}
				res := b.cl.post(path, f)
				loc := res.Header.Get("Location")
				toSignIn := res.Status == http.StatusSeeOther && (strings.HasPrefix(loc, "/login") || strings.HasPrefix(loc, "/admin/login"))
				if res.Status != http.StatusForbidden && !toSignIn {
					t.Errorf("POST %s with the token of a session signed out, from %s: HTTP %d to %q; want 403 or sent to sign in",
						path, b.name, res.Status, loc)
				}
				if c := res.cookie(langCookie); c != nil {
					t.Errorf("POST %s with the token of a session signed out, from %s: set the language %q", path, b.name, c.Value)
				}
				if v := sessionOf(t, ta, b.cl); v.PlayerID != 0 && b.cl != copied {
					t.Errorf("POST %s with the token of a session signed out, from %s: signed in player %d", path, b.name, v.PlayerID)
				}
				if v := ta.staffValues(b.cl); v.StaffID != 0 && b.cl != copied {
					t.Errorf("POST %s with the token of a session signed out, from %s: signed in member %d", path, b.name, v.StaffID)
				}
				// The copy keeps sending the old cookies.
				copied.setCookie(sessionCookie, cookie)
				copied.setCookie(playerCSRF.cookie, token)
				copied.Jar.SetCookies(admin, []*http.Cookie{{Name: staffCookie, Value: staffCookieValue, Path: "/admin"},
					{Name: staffCSRF.cookie, Value: staffToken, Path: "/admin"}})
			}
		}
		if changed := slices.DeleteFunc(changedTables(digest, dbDigest(t, ta.DB)), func(s string) bool { return s == "rate_counters" }); len(changed) > 0 {
			t.Errorf("forms with tokens of sessions signed out wrote to %v; want nothing written", changed)
		}
		// The new session's own token works.
		player.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}).wantRedirect("/cashier")
		member.submit("/admin/login", url.Values{"email": {"owner@example.com"}, "password": {testPassword}}).wantRedirect("/admin")
	})
}
