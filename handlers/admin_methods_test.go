package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestAdminRoutesEveryMethod: every back-office route, asked with any method (GET,
// HEAD, POST without a form, PUT, DELETE, PATCH, OPTIONS) by a visitor, a signed-in
// player or a viewer for an action above a viewer's, is answered without its page
// or its effect (no 2xx) and never with a 500: a HEAD is not a way past the role
// check, nor another method past the CSRF check. What the hunt tried, already
// right.
func TestAdminRoutesEveryMethod(t *testing.T) {
	ta := newTestApp(t)
	viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	visitor := ta.client()
	player, _ := ta.signedIn("p@example.com")
	// viewerMay: a route of this method (a GET's for a HEAD) and path that a
	// viewer may call.
	viewerMay := map[string]bool{}
	for _, r := range adminRoutes() {
		if staff.Can(staff.RoleViewer, r.Action) {
			viewerMay[r.Method+" "+r.Path] = true
			if r.Method == http.MethodGet {
				viewerMay[http.MethodHead+" "+r.Path] = true
			}
		}
	}
	for _, r := range adminRoutes() {
		path := strings.ReplaceAll(r.Path, ":id", "1")
		for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete,
			http.MethodPatch, http.MethodOptions} {
			for _, who := range []struct {
				name string
				cl   *testClient
				may  bool
			}{{"visitor", visitor, false}, {"player", player, false},
				{"viewer", viewer, viewerMay[method+" "+r.Path]}} {
				res := who.cl.do(who.cl.request(method, path, nil))
				if !who.may && res.Status < 300 || res.Status >= 500 {
					t.Errorf("%s %s as a %s (route %s %s, action %s): %d", method, path, who.name, r.Method, r.Path, r.Action, res.Status)
				}
			}
		}
	}
}
