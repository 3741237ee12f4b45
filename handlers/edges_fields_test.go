package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// markedInvalid returns the data-testid of every element of page marked
// aria-invalid="true", and fails t for one whose field (the nearest element of
// class "field") lacks the class "invalid" that gives it its red border, or for a
// field of that class around no marked element.
func markedInvalid(t *testing.T, what string, page *testResponse) []string {
	t.Helper()
	hasClass := func(n *html.Node, class string) bool {
		return strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
	}
	var marked []string
	for _, n := range page.find(func(n *html.Node) bool { return attr(n, "aria-invalid") == "true" }) {
		marked = append(marked, attr(n, "data-testid"))
		f := n.Parent
		for f != nil && !hasClass(f, "field") {
			f = f.Parent
		}
		if f == nil || !hasClass(f, "invalid") {
			t.Errorf("%s: %s is marked aria-invalid but its field has no red border", what, attr(n, "data-testid"))
		}
	}
	for _, f := range page.find(func(n *html.Node) bool { return hasClass(n, "field") && hasClass(n, "invalid") }) {
		var inside bool
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				inside = inside || attr(c, "aria-invalid") == "true"
				walk(c)
			}
		}
		if walk(f); !inside {
			t.Errorf("%s: a field with a red border has no field marked aria-invalid", what)
		}
	}
	return marked
}

// TestBreaksAndProfileRefusedFieldMarkedInvalid: the breaks form sent without a
// choice (or its confirmation with a kind of break there is not), the profile's password change refused (a wrong current password, a
// short new one) and the deposit refused for its amount mark the refused field,
// and only it, with aria-invalid="true" and the red border, as the registration
// does (TestRefusedFieldMarkedInvalid).
func TestBreaksAndProfileRefusedFieldMarkedInvalid(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	kinds := func(page *testResponse) (ids []string) {
		for _, n := range page.find(func(n *html.Node) bool { return attr(n, "name") == "kind" && attr(n, "type") == "radio" }) {
			ids = append(ids, attr(n, "data-testid"))
		}
		return ids
	}
	breaks := cl.get("/breaks").wantStatus(http.StatusOK)
	for _, tt := range []struct {
		path string
		form url.Values
		want func(page *testResponse) []string
	}{
		{"/breaks", url.Values{}, kinds},
		{"/breaks", url.Values{"kind": {"forever-and-a-day"}}, kinds},
		{"/breaks/confirm", url.Values{"kind": {"forever-and-a-day"}, "token": {"a-token-of-no-break-00"}}, kinds},
		{"/profile/password", url.Values{"current": {"wrong password 1"}, "password": {"a new password 1"}}, func(*testResponse) []string { return []string{"current"} }},
		{"/profile/password", url.Values{"current": {testPassword}, "password": {"short"}}, func(*testResponse) []string { return []string{"new-password"} }},
		{"/profile/password", url.Values{"current": {testPassword}, "password": {testPassword}}, func(*testResponse) []string { return []string{"new-password"} }},
		{"/deposit", url.Values{"amount": {"1"}}, func(*testResponse) []string { return []string{"amount"} }},
	} {
		page := cl.submit(tt.path, tt.form).wantStatus(http.StatusUnprocessableEntity)
		what := "POST " + tt.path + " " + tt.form.Encode()
		if got, want := markedInvalid(t, what, page), tt.want(page); len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: fields marked invalid %q; want %q (%s)", what, got, want, page.text("problem"))
		}
	}
	if got := markedInvalid(t, "GET /breaks", breaks); len(got) != 0 {
		t.Errorf("GET /breaks: fields marked invalid %q; want none", got)
	}
}

// TestPayNPlaySignInFormRefusedFieldMarkedInvalid: the profile's form where a
// Pay N Play player chooses an email and a password marks the field its refusal
// is about.
func TestPayNPlaySignInFormRefusedFieldMarkedInvalid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		_, cl, _, _ := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox())
		for _, tt := range []struct {
			form url.Values
			want string
		}{
			{signInForm("not an email", "a new password 1", "a new password 1"), "sign-in-email"},
			{signInForm("sven@example.com", "short", "short"), "sign-in-password"},
			{signInForm("sven@example.com", "a new password 1", "a new password 2"), "sign-in-password-again"},
		} {
			page := cl.submit("/profile/sign-in", tt.form).wantStatus(http.StatusUnprocessableEntity)
			what := "POST /profile/sign-in " + tt.form.Get("email")
			if got := markedInvalid(t, what, page); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("%s: fields marked invalid %q; want [%s]", what, got, tt.want)
			}
		}
	})
}
