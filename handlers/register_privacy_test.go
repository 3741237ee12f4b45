package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestRegistrationDoesNotTellWhoIsExcluded: anyone can type another person's
// personnummer into the registration form, so the answer to a registration must
// not say whether that person is in the national self-exclusion register. A
// registration with an excluded person's number gets exactly the answer of one
// whose number already has an account, and of a new account (the redirect to sign
// in and its sentence), never the register's name or the word "excluded"; nothing
// is stored for the person, and the audit trail keeps the true reason for staff.
// The account's owner, who signs in with the password, is still told (as before).
func TestRegistrationDoesNotTellWhoIsExcluded(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.Exclusions = exclusions.Sandbox() })
	taken := nextSEPersonID()
	ta.Svc.Register(t.Context(), models.Registration{Email: "owner@example.com", Password: testPassword,
		FirstName: "Anna", LastName: "Andersson", Country: "SE", PersonID: taken})

	// answer registers through the form and returns the status, the redirect and
	// the page it leads to.
	answer := func(email, first, last, personID string) (int, string, *testResponse) {
		cl := ta.client()
		cl.get("/register")
		r := cl.submit("/register", url.Values{"email": {email}, "password": {testPassword}, "first_name": {first},
			"last_name": {last}, "country": {"SE"}, "person_id": {personID}})
		if strings.Contains(r.Body, "excluded") || strings.Contains(r.Body, "fake") {
			t.Errorf("registration of %s: the answer names the exclusion:\n%s", email, r.Body)
		}
		loc := r.Header.Get("Location")
		if loc == "" {
			return r.Status, "", r
		}
		return r.Status, loc, cl.get(loc)
	}
	newStatus, newLoc, newPage := answer("new@example.com", "Bo", "Ek", nextSEPersonID())
	takenStatus, takenLoc, takenPage := answer("other@example.com", "Anna", "Andersson", taken)
	exclStatus, exclLoc, exclPage := answer("sven@example.com", "Sven", "Spelpaus", "19850202-1119")
	if newStatus != http.StatusSeeOther || takenStatus != newStatus || exclStatus != newStatus ||
		takenLoc != newLoc || exclLoc != newLoc {
		t.Errorf("answers: new %d %q, number taken %d %q, excluded %d %q; want one answer for all",
			newStatus, newLoc, takenStatus, takenLoc, exclStatus, exclLoc)
	}
	want := newPage.text("flash")
	if want == "" || takenPage.text("flash") != want || exclPage.text("flash") != want {
		t.Errorf("sentences: new %q, number taken %q, excluded %q; want the same",
			want, takenPage.text("flash"), exclPage.text("flash"))
	}
	if strings.Contains(exclPage.Body, "excluded") {
		t.Errorf("the page after the excluded person's registration names the exclusion:\n%s", exclPage.Body)
	}

	var n int64
	if ta.DB.Model(&models.Player{}).Where("email = ?", "sven@example.com").Count(&n); n != 0 {
		t.Errorf("%d accounts for the excluded person; want none", n)
	}
	var rows []staff.Audit
	ta.DB.Where("event = ?", staff.EventRegistrationRefused).Find(&rows)
	if len(rows) != 1 || !strings.Contains(rows[0].Reason, "self-excluded") || !strings.Contains(rows[0].Reason, "fake") ||
		!strings.Contains(rows[0].After, "sven@example.com") || strings.Contains(rows[0].After, "198502021119") {
		t.Errorf("audit rows %+v; want one registration.refused naming the register, the email and no whole personnummer", rows)
	}
	if !strings.Contains(ta.Logs.String(), "refused: self-excluded in the national register") {
		t.Error("no log line with the true reason")
	}
}
