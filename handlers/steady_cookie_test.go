package handlers

import (
	"net/http"
	"testing"
)

// TestPageSetsNoCookie: a signed-in player's page views that change nothing send
// no Set-Cookie: the session cookie is written again only when its values change
// (sign-in, a one-time message, the idle clock moved on by a minute or more), and
// the CSRF token cookie only when a token is made. A page view costs no cookie to
// encode, sign and encrypt, and the browser none to store.
func TestPageSetsNoCookie(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	cl.get("/cashier").wantStatus(http.StatusOK) // the first page: the reality check's start, perhaps a token
	for _, page := range []string{"/cashier", "/history", "/cashier"} {
		r := cl.get(page).wantStatus(http.StatusOK)
		if len(r.Cookies) != 0 {
			var names []string
			for _, c := range r.Cookies {
				names = append(names, c.Name)
			}
			t.Errorf("GET %s set cookies %v; want none", page, names)
		}
	}
}
