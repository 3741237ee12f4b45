package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// TestRefusedFieldMarkedInvalid: a refused form marks the field its sentence is
// about with aria-invalid="true", and no other, so a screen reader says which
// field to fix when the player reaches it; only a red border said so, which a
// player who does not see it never learns.
func TestRefusedFieldMarkedInvalid(t *testing.T) {
	lv := startLive(t, liveOptions{})
	visitor := lv.client()
	cl, anna := lv.signedIn("anna@example.com")
	lv.fund(cl, "100")
	// The sandbox sends the deposit's account notification after its credit, so
	// the account is the player's (and the withdrawal form's) only once it is
	// applied: the payout below names it.
	account := strconv.FormatInt(lv.waitAccount(anna, models.AccountFromDeposit).ID, 10)
	for _, tt := range []struct {
		cl   *testClient
		path string
		form url.Values
		want string // data-testid of the field marked
	}{
		{visitor, "/register", url.Values{"email": {"ivo@example.com"}, "password": {"short"}, "first_name": {"Ivo"},
			"last_name": {"Ek"}, "country": {"SE"}}, "password"},
		{visitor, "/register", url.Values{"email": {"not an email"}, "password": {testPassword}, "first_name": {"Ivo"},
			"last_name": {"Ek"}, "country": {"SE"}}, "email"},
		{cl, "/bank-accounts/new", url.Values{"country": {"FI"}, "account": {"FI00 1234"}}, "account"},
		{cl, "/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"12"}, "account": {"69706212"}}, "bank"},
		{cl, "/payout", url.Values{"amount": {"5000"}, "account": {account}}, "amount"},
	} {
		page := tt.cl.submit(tt.path, tt.form).wantStatus(http.StatusUnprocessableEntity)
		var marked []string
		for _, n := range page.find(func(n *html.Node) bool { return attr(n, "aria-invalid") == "true" }) {
			marked = append(marked, attr(n, "data-testid"))
		}
		if !slices.Equal(marked, []string{tt.want}) {
			t.Errorf("POST %s %v: fields marked invalid %q; want [%s] (%s)", tt.path, tt.form, marked, tt.want, page.text("problem"))
		}
	}
}
