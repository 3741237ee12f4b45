package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/text/unicode/norm"
)

// TestEmailInEitherUnicodeForm: an email with an accent is one address whether
// the device sends é as one code point (NFC) or as e and a combining accent
// (NFD), as passwords are: it signs in typed either way, in any case, and
// registering it again in the other form opens no second account. An account
// kept in NFD by a version before this still signs in from both forms and is
// still found by a registration of the NFC form. Names typed decomposed are kept
// in NFC too.
func TestEmailInEitherUnicodeForm(t *testing.T) {
	const composed = "jos\u00e9@example.com" // é as one code point
	decomposed := norm.NFD.String(composed)
	if decomposed == composed {
		t.Fatal("the NFD form is the NFC one")
	}
	form := func(email string) url.Values {
		return url.Values{"email": {email}, "password": {testPassword}, "first_name": {norm.NFD.String("José")},
			"last_name": {norm.NFD.String("García")}, "country": {"DE"}}
	}
	players := func(ta *testApp) []models.Player {
		t.Helper()
		var all []models.Player
		if err := ta.DB.Order("id").Find(&all).Error; err != nil {
			t.Fatal(err)
		}
		return all
	}
	signIn := func(ta *testApp, email string) int {
		cl := ta.client()
		cl.get("/login")
		return cl.submit("/login", url.Values{"email": {email}, "password": {testPassword}}).Status
	}

	for _, tt := range []struct{ name, registered, other string }{
		{"registered composed", composed, decomposed},
		{"registered decomposed", decomposed, composed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestApp(t)
			ta.client().submit("/register", form(tt.registered)).wantRedirect("/login")
			all := players(ta)
			if len(all) != 1 || all[0].Email != composed {
				t.Fatalf("players after registering %+q: %d, email %+q; want 1 kept in NFC %+q", tt.registered, len(all), all[0].Email, composed)
			}
			if all[0].FirstName != "Jos\u00e9" || all[0].LastName != "Garc\u00eda" {
				t.Errorf("names kept: %+q %+q; want them in NFC", all[0].FirstName, all[0].LastName)
			}
			for _, email := range []string{composed, decomposed, "JOS\u00c9@EXAMPLE.COM", norm.NFD.String(" JOS\u00c9@example.com ")} {
				if got := signIn(ta, email); got != http.StatusSeeOther {
					t.Errorf("sign in as %+q: status %d; want 303", email, got)
				}
			}
			ta.client().submit("/register", form(tt.other)).wantRedirect("/login")
			if n := len(players(ta)); n != 1 {
				t.Errorf("players after registering %+q too: %d; want 1", tt.other, n)
			}
		})
	}

	t.Run("kept in NFD before", func(t *testing.T) {
		ta := newTestApp(t)
		ta.client().submit("/register", form(composed)).wantRedirect("/login")
		// As a version before this kept an address typed decomposed.
		if err := ta.DB.Model(&models.Player{}).Where("email = ?", composed).Update("email", decomposed).Error; err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{composed, decomposed} {
			if got := signIn(ta, email); got != http.StatusSeeOther {
				t.Errorf("sign in as %+q: status %d; want 303", email, got)
			}
		}
		ta.client().submit("/register", form(composed)).wantRedirect("/login")
		if n := len(players(ta)); n != 1 {
			t.Errorf("players after registering %+q: %d; want 1", composed, n)
		}
		if _, err := ta.Svc.Register(context.Background(), models.Registration{Email: composed, Password: testPassword,
			FirstName: "José", LastName: "García", Country: "DE"}); err == nil {
			t.Errorf("Register(%+q) with %+q kept = nil; want the email taken", composed, decomposed)
		}
	})
}
