package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestEveryPostNeedsCSRFToken walks every POST route the app has (not a list
// kept beside routes.go), as a visitor, a signed-in player and a signed-in owner
// whose browser holds a valid token cookie, and sends each form the way a
// foreign page could: without the token, with another browser's, and with this
// browser's own token in a body the check does not read (JSON, text/plain, the
// query string). Each is refused with 403 before its handler runs; Trustly's
// notifications alone take no token.
func TestEveryPostNeedsCSRFToken(t *testing.T) {
	ta := newTestApp(t)
	player, _ := ta.signedIn("anna@example.com")
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	who := map[string]*testClient{"visitor": ta.client(), "player": player, "owner": owner}
	other := ta.client()
	seen := 0
	for _, r := range ta.App.GetRoutes(true) {
		if r.Method != fiber.MethodPost || r.Path == notifyPath {
			continue
		}
		seen++
		path := strings.ReplaceAll(r.Path, ":id", "1")
		for name, cl := range who {
			token := cl.csrfFor(path)
			if token == "" {
				t.Fatalf("%s: no CSRF token for %s", name, path)
			}
			sends := map[string]*http.Request{}
			form := func(kind string, v url.Values) {
				req := cl.request(http.MethodPost, path, strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				sends[kind] = req
			}
			form("no token", url.Values{})
			form("another browser's token", url.Values{csrfField: {other.csrfFor(path)}})
			req := cl.request(http.MethodPost, path, strings.NewReader(`{"csrf":"`+token+`"}`))
			req.Header.Set("Content-Type", "application/json")
			sends["JSON body"] = req
			req = cl.request(http.MethodPost, path, strings.NewReader(csrfField+"="+token))
			req.Header.Set("Content-Type", "text/plain")
			sends["text/plain body"] = req
			req = cl.request(http.MethodPost, path+"?"+csrfField+"="+url.QueryEscape(token), nil)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sends["token in the query"] = req
			for kind, req := range sends {
				if res := cl.do(req); res.Status != http.StatusForbidden {
					t.Errorf("POST %s as %s, %s: HTTP %d; want 403", r.Path, name, kind, res.Status)
				}
			}
		}
	}
	if seen < 40 {
		t.Errorf("walked %d POST routes; want every one of them (40 or more)", seen)
	}
}
