package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestEveryAdminRouteRoleChecked walks every back-office route the app answers
// (Fiber's app.GetRoutes, not the adminRoutes table TestAdminRoutes walks), so a
// route added beside the table is seen: each but sign-in and sign-out must be in
// adminRoutes, which puts requireStaff and its action before the handler, and
// every POST among them, sent with a valid CSRF token by a member of each role,
// is refused with 403 to a role below its action (a viewer blocking a player, an
// operator adding staff) and let through to a role that may do it.
func TestEveryAdminRouteRoleChecked(t *testing.T) {
	ta := newTestApp(t)
	members := map[staff.Role]*testClient{}
	for _, role := range staff.Roles {
		members[role], _ = ta.staffSignedIn(string(role)+"@example.com", role)
		members[role].staffReauth(testPassword, "")
	}
	table, tablePosts := map[string]staff.Action{}, 0
	for _, r := range adminRoutes() {
		table[r.Method+" "+r.Path] = r.Action
		if r.Method == fiber.MethodPost {
			tablePosts++
		}
	}
	signIn := map[string]bool{"GET /admin/login": true, "POST /admin/login": true, "POST /admin/logout": true}
	posts := 0
	for _, r := range ta.App.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if r.Method == fiber.MethodHead || r.Path != "/admin" && !strings.HasPrefix(r.Path, "/admin/") || signIn[key] {
			continue
		}
		action, listed := table[key]
		if !listed {
			t.Errorf("%s is answered but not in adminRoutes: no role is checked before its handler", key)
			continue
		}
		if r.Method != fiber.MethodPost {
			continue
		}
		posts++
		path := strings.ReplaceAll(r.Path, ":id", "999999")
		for _, role := range staff.Roles {
			res := members[role].submit(path, url.Values{})
			switch may := staff.Can(role, action); {
			case !may && res.Status != http.StatusForbidden:
				t.Errorf("%s as %s (action %s): %d; want 403", key, role, action, res.Status)
			case may && (res.Status == http.StatusForbidden || res.Status >= 500):
				t.Errorf("%s as %s (action %s): %d; want it let through", key, role, action, res.Status)
			}
		}
	}
	if posts != tablePosts || posts < 19 {
		t.Errorf("walked %d back-office POST routes; want the %d of adminRoutes (19 or more)", posts, tablePosts)
	}
}
