package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestPasswordLengthInCharacters: over HTTP, a 30-character Cyrillic password
// registers and signs in, as does a 100-character emoji one, and the emoji one with
// its last character changed does not sign in; a 9-character Cyrillic one is
// refused with the sentence that says 10 to 128 characters, in each of the five
// languages. Every form that sets a password asks for at least 10 characters (a
// staff member's 12) and sets no maxlength: the browser counts maxlength in UTF-16 code units, so any
// value either refuses a password of 128 emoji or cuts a longer one silently to a
// password the sign-in form then never matches; the server refuses past 128.
func TestPasswordLengthInCharacters(t *testing.T) {
	ta := newTestApp(t)
	cyrillic, emoji := strings.Repeat("пароль", 5), strings.Repeat("🔑", 99)+"🎲"
	for _, tt := range []struct{ email, password string }{{"ivan@example.com", cyrillic}, {"emoji@example.com", emoji}} {
		cl := ta.client()
		f := registration(tt.email)
		f.Set("password", tt.password)
		cl.submit("/register", f).wantRedirect("/login")
		cl.signIn(tt.email, tt.password)
		cl.get("/cashier").wantStatus(http.StatusOK)
	}
	cl := ta.client()
	r := cl.submit("/login", url.Values{"email": {"emoji@example.com"}, "password": {strings.Repeat("🔑", 99) + "🎰"}})
	if r.Status == http.StatusSeeOther {
		t.Errorf("the emoji password with its last character changed signed in (%s)", r.Header.Get("Location"))
	}
	for lang, want := range map[string]string{
		"en": "Choose a password of 10 to 128 characters.",
		"sv": "Välj ett lösenord på 10 till 128 tecken.",
		"fi": "Valitse 10–128 merkin salasana.",
		"et": "Vali 10 kuni 128 märgi pikkune parool.",
		"nl": "Kies een wachtwoord van 10 tot 128 tekens.",
	} {
		cl := newTestApp(t).client() // an app each: sign-ins and registrations are limited per address
		cl.submit("/language", url.Values{"lang": {lang}, "back": {"/"}}).wantRedirect("/")
		f := registration(lang + "@example.com")
		f.Set("password", strings.Repeat("ж", 9))
		if got := cl.submit("/register", f).wantStatus(http.StatusUnprocessableEntity).text("problem"); got != want {
			t.Errorf("9 characters in %s: %q; want %q", lang, got, want)
		}
	}

	ta = newTestApp(t)
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	ta.staff("op@example.com", staff.RoleOperator) // a temporary password form of theirs
	for _, form := range []struct {
		path  *testResponse
		ids   []string
		least string
	}{
		{ta.client().get("/register").wantStatus(http.StatusOK), []string{"password"}, "10"},
		{owner.get("/admin/password").wantStatus(http.StatusOK), []string{"new-password"}, "12"},
		{owner.get("/admin/staff").wantStatus(http.StatusOK), []string{"new-password", "temporary-password"}, "12"},
	} {
		path := form.path
		for _, id := range form.ids {
			for _, n := range path.byTestID(id) {
				if attr(n, "minlength") != form.least || hasAttr(n, "maxlength") {
					t.Errorf("%s %s: minlength %q maxlength %q; want %s and none", path.what, id, attr(n, "minlength"), attr(n, "maxlength"), form.least)
				}
			}
			if len(path.byTestID(id)) == 0 {
				t.Errorf("%s: no %s", path.what, id)
			}
		}
	}
}
