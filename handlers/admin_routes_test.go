package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestAdminRoutes walks every back-office route in adminRoutes with a signed-out
// visitor, a signed-in player and each staff role: the visitor and the player are
// sent to the staff sign-in, a role below the route's action gets 403, and every
// role that may do it gets through (whatever the handler then answers: a page, a
// redirect, 404 for the made-up order id, 422 for an empty form). A form listed
// in needsReauth first sends a member who may use it to re-authenticate; after
// re-authenticating, no route does. Routes added to the table later are covered
// without touching this test.
func TestAdminRoutes(t *testing.T) {
	ta := newTestApp(t)
	player, _ := ta.signedIn("anna@example.com")
	who := map[string]*testClient{"visitor": ta.client(), "player": player}
	for _, role := range staff.Roles {
		who[string(role)], _ = ta.staffSignedIn(string(role)+"@example.com", role)
	}
	for _, r := range adminRoutes() {
		if r.Method == fiber.MethodPost && r.Action == staff.ActionManageStaff && needsReauth[r.Path] == "" {
			t.Errorf("POST %s changes staff accounts and is not in needsReauth", r.Path)
		}
	}
	walk := func(reauthenticated bool) {
		t.Helper()
		for _, r := range adminRoutes() {
			path := strings.ReplaceAll(r.Path, ":id", "999999")
			for name, cl := range who {
				var res *testResponse
				if r.Method == fiber.MethodGet {
					res = cl.get(path)
				} else {
					res = cl.submit(path, url.Values{})
				}
				loc := res.Header.Get("Location")
				refusedToLogin := res.Status == http.StatusSeeOther && strings.HasPrefix(loc, "/admin/login")
				sentToReauth := res.Status == http.StatusSeeOther && strings.HasPrefix(loc, "/admin/reauth")
				role := staff.Role(name)
				switch {
				case !role.Valid():
					if !refusedToLogin {
						t.Errorf("%s %s as %s: %d to %q; want 303 to /admin/login", r.Method, r.Path, name, res.Status, loc)
					}
				case !staff.Can(role, r.Action):
					if res.Status != http.StatusForbidden {
						t.Errorf("%s %s as %s (action %s): %d; want 403", r.Method, r.Path, name, r.Action, res.Status)
					}
				case res.Status == http.StatusForbidden || refusedToLogin || res.Status >= 500:
					t.Errorf("%s %s as %s (action %s): %d to %q; want it let through", r.Method, r.Path, name, r.Action, res.Status, loc)
				case reauthenticated && sentToReauth:
					t.Errorf("%s %s as %s, re-authenticated: sent to %q; want it let through", r.Method, r.Path, name, loc)
				case !reauthenticated && r.Method == fiber.MethodPost && needsReauth[r.Path] != "" &&
					loc != "/admin/reauth?next="+url.QueryEscape(needsReauth[r.Path]):
					t.Errorf("%s %s as %s without re-authenticating: %d to %q; want 303 to /admin/reauth", r.Method, r.Path, name, res.Status, loc)
				}
			}
		}
	}
	walk(false)
	for _, role := range staff.Roles {
		who[string(role)].staffReauth(testPassword, "")
	}
	walk(true)
	// Every staff session is still alive: the walk ended none.
	for _, role := range staff.Roles {
		who[string(role)].get("/admin").wantStatus(http.StatusOK)
	}
}
