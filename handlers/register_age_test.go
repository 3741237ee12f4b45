package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"golang.org/x/net/html"
)

// TestRegisterRefusesMinors: a registration whose identity says the person is
// under 18 today (a Swedish personnummer, a Dutch date of birth, one in the
// future) opens no account and says why, as the bank's kyc does for Pay N Play;
// one who came of age today registers.
func TestRegisterRefusesMinors(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(stockholm)
	dateAgo := func(years, days int) string { return today.AddDate(-years, 0, -days).Format(time.DateOnly) }
	personnummer := func(dob string) string { // YYYY-MM-DD → YYYYMMDD-NNNC
		serial := dob[2:4] + dob[5:7] + dob[8:10] + "123"
		return fmt.Sprintf("%s%s%s-%s%c", dob[0:4], dob[5:7], dob[8:10], serial[6:], paynplay.SECheckDigit(serial))
	}
	for i, tt := range []struct {
		name, country, field, dob string
		opens                     bool
	}{
		{"SE aged 11", "SE", "person_id", dateAgo(11, 0), false},
		{"SE 18 tomorrow", "SE", "person_id", dateAgo(18, -1), false},
		{"SE 18 today", "SE", "person_id", dateAgo(18, 0), true},
		{"NL aged 11", "NL", "date_of_birth", dateAgo(11, 0), false},
		{"NL born next year", "NL", "date_of_birth", dateAgo(-1, 0), false},
		{"NL 18 tomorrow", "NL", "date_of_birth", dateAgo(18, -1), false},
		{"NL aged 30", "NL", "date_of_birth", dateAgo(30, 0), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestApp(t)
			f := url.Values{"email": {fmt.Sprintf("young%d@example.com", i)}, "password": {testPassword},
				"first_name": {"Elsa"}, "last_name": {"Minor"}, "country": {tt.country}}
			if tt.field == "person_id" {
				f.Set("person_id", personnummer(tt.dob))
			} else {
				f.Set("date_of_birth", tt.dob)
			}
			r := ta.client().submit("/register", f)
			if tt.opens {
				r.wantRedirect("/login")
				if n := countPlayers(t, ta); n != 1 {
					t.Errorf("players = %d; want 1", n)
				}
				return
			}
			r.wantStatus(http.StatusUnprocessableEntity)
			if got, want := r.text("problem"), "You must be 18 or older to play."; got != want {
				t.Errorf("problem = %q; want %q", got, want)
			}
			if n := r.find(func(n *html.Node) bool { return attr(n, "aria-invalid") == "true" }); len(n) != 1 || attr(n[0], "name") != tt.field {
				t.Errorf("fields marked invalid: %d; want %s", len(n), tt.field)
			}
			if n := countPlayers(t, ta); n != 0 {
				t.Errorf("players = %d; want 0", n)
			}
		})
	}
}
