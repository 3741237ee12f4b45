package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestRoleRefusalSaysWhat: a member whose role may not do what a back-office
// route does was told only "Your account does not have access to this page.",
// also after pressing a button (resolve, approve, block), which is no page, and
// without a word of what was refused or who may do it. Every such refusal, for
// every route and every role below the route's, now names the member's role, what
// it may not do, and the roles that may; still 403 with nothing done (TestAdminRoutes).
func TestRoleRefusalSaysWhat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) { roleRefusalSaysWhat(t, db) })
}

func roleRefusalSaysWhat(t *testing.T, db *gorm.DB) {
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
	clients := map[staff.Role]*testClient{}
	for _, role := range staff.Roles {
		clients[role], _ = ta.staffSignedIn(string(role)+"@example.com", role)
	}
	refused := 0
	for _, r := range adminRoutes() {
		words := actionWords[r.Action]
		if words == "" && r.Action != staff.ActionSelf {
			t.Errorf("%s %s: action %s has no words for its refusal", r.Method, r.Path, r.Action)
		}
		var may []string
		for _, role := range staff.Roles {
			if staff.Can(role, r.Action) {
				may = append(may, string(role))
			}
		}
		path := strings.ReplaceAll(r.Path, ":id", "1")
		for _, role := range staff.Roles {
			if staff.Can(role, r.Action) {
				continue
			}
			refused++
			var res *testResponse
			if r.Method == http.MethodGet {
				res = clients[role].get(path)
			} else {
				res = clients[role].submit(path, url.Values{"note": {"x"}, "reason": {"x"}})
			}
			res.wantStatus(http.StatusForbidden)
			got := res.text("error-message")
			for _, want := range []string{"Your role, " + string(role) + ", may not " + words, strings.Join(may, ", ")} {
				if !strings.Contains(got, want) {
					t.Errorf("%s %s as %s: %q; want it to say %q", r.Method, r.Path, role, got, want)
				}
			}
			if strings.Contains(got, "this page") {
				t.Errorf("%s %s as %s: %q; want no word of a page", r.Method, r.Path, role, got)
			}
		}
	}
	if refused == 0 {
		t.Fatal("no route refused any role")
	}
}
