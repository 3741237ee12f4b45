package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLimitsRefusedFieldMarkedInvalid: the limits form refused for one field
// marks that field, and only it, with aria-invalid, as the other refused forms do
// (TestRefusedFieldMarkedInvalid).
func TestLimitsRefusedFieldMarkedInvalid(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.submit("/register", url.Values{"email": {"anna@example.com"}, "password": {testPassword}, "first_name": {"Anna"},
		"last_name": {"Andersson"}, "country": {"DE"}}).wantRedirect("/login")
	cl.signIn("anna@example.com", testPassword)
	for _, tt := range []struct{ field, value string }{{"week", "1e3"}, {"month", "0"}, {"day", "-5"}} {
		page := cl.submit("/limits", url.Values{tt.field: {tt.value}}).wantStatus(http.StatusUnprocessableEntity)
		for _, per := range []string{"day", "week", "month"} {
			in := page.byTestID("limit-input-" + per)
			if len(in) != 1 {
				t.Fatalf("%s=%s: %d inputs for %s", tt.field, tt.value, len(in), per)
			}
			if got, want := attr(in[0], "aria-invalid") == "true", per == tt.field; got != want {
				t.Errorf("%s=%s: %s marked invalid %t; want %t", tt.field, tt.value, per, got, want)
			}
			// Its red border: the class of the field around it.
			field := in[0].Parent.Parent
			if got, want := strings.Contains(" "+attr(field, "class")+" ", " invalid "), per == tt.field; got != want {
				t.Errorf("%s=%s: %s field class %q; want invalid %t", tt.field, tt.value, per, attr(field, "class"), want)
			}
		}
	}
}
