package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestEveryCookieFlagged: over https every cookie the app sets on the way
// through a player's and a staff member's visit (their sessions, CSRF tokens,
// language, way in, known devices, time zone, and the ones that end them) is
// HttpOnly, Secure and SameSite Lax or Strict, and each "__Host-" one has the
// path / and no Domain, or browsers would drop it. Over http none is Secure.
func TestEveryCookieFlagged(t *testing.T) {
	for _, secure := range []bool{true, false} {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Secure = secure })
		ta.player("anna@example.com")
		ta.staff("owner@example.com", staff.RoleOwner)
		var set []*http.Cookie
		keep := func(r *testResponse) { set = append(set, r.Cookies...) }

		cl := ta.client()
		keep(cl.get("/login"))
		keep(cl.submit("/language", url.Values{"lang": {"sv"}, "back": {"/login"}}))
		keep(cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}))
		keep(cl.get("/cashier"))
		keep(cl.submit("/logout", nil))
		keep(cl.get("/admin/login"))
		keep(cl.submit("/admin/login", url.Values{"email": {"owner@example.com"}, "password": {testPassword}}))
		keep(cl.get("/admin/transactions?tz=Europe/Stockholm"))
		keep(cl.submit("/admin/logout", nil))

		names := map[string]bool{}
		for _, c := range set {
			names[c.Name] = true
			if !c.HttpOnly || c.Secure != secure || (c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode) {
				t.Errorf("secure=%t: cookie %s: HttpOnly=%t Secure=%t SameSite=%v; want true, %t, Lax or Strict",
					secure, c.Name, c.HttpOnly, c.Secure, c.SameSite, secure)
			}
			if strings.HasPrefix(c.Name, "__Host-") && (c.Path != "/" || c.Domain != "" || !c.Secure) {
				t.Errorf("secure=%t: cookie %s: Path=%q Domain=%q Secure=%t; a __Host- cookie needs /, none and Secure",
					secure, c.Name, c.Path, c.Domain, c.Secure)
			}
		}
		prefix := ""
		if secure {
			prefix = "__Host-"
		}
		for _, want := range []string{prefix + sessionCookie, prefix + playerCSRF.cookie, staffCSRF.cookie, staffCookie,
			langCookie, wayInCookie, zoneCookie, "cashier_device", "cashier_staff_device"} {
			if !names[want] {
				t.Errorf("secure=%t: the visit set no cookie %s (it set %v)", secure, want, names)
			}
		}
	}
}
