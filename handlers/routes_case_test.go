package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestRoutesCaseSensitive: every URL is answered only as routes.go spells it.
// Fiber matched routes in any case, so the back office answered at /ADMIN/…, a
// path that a proxy's rule for /admin does not cover, and there with the
// players' CSRF scope and error pages (csrfScopeOf, the error handler and the
// staff cookies' path read "/admin" as written): its sign-in took the players'
// token.
func TestRoutesCaseSensitive(t *testing.T) {
	ta := newTestApp(t)
	ta.staff("owner@example.com", staff.RoleOwner)
	for _, path := range []string{"/ADMIN/login", "/Admin/login", "/admin/LOGIN", "/ADMIN", "/Admin/staff", "/LOGIN", "/Cashier"} {
		if r := ta.client().get(path); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d; want 404", path, r.Status)
		}
	}
	cl := ta.client()
	token := cl.csrf() // the players' token
	r := cl.post("/ADMIN/login", url.Values{"email": {"owner@example.com"}, "password": {testPassword}, csrfField: {token}})
	if r.Status != http.StatusNotFound || r.cookie(staffCookie) != nil {
		t.Errorf("POST /ADMIN/login with the players' token: %d, staff cookie %v; want 404 and none", r.Status, r.cookie(staffCookie))
	}
	ta.client().get("/admin/login").wantStatus(http.StatusOK)
}
