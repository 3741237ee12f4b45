package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/models"
)

// TestLimitsRequiredAsThePolicySays: the limits form says what the market
// requires, as the server enforces it. Sweden asks for a limit for at least one
// period, any one: one sentence over the fields says so, no field is marked
// required, and a form with one limit is saved while one with none is refused.
// Finland requires a daily and a monthly limit: those two fields are marked.
func TestLimitsRequiredAsThePolicySays(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	for _, tt := range []struct {
		country  string
		oneOf    bool            // the sentence asking for at least one limit is shown
		required map[string]bool // the fields marked required
	}{
		{"SE", true, map[string]bool{}},
		{"FI", false, map[string]bool{"day": true, "month": true}},
	} {
		t.Run(tt.country, func(t *testing.T) {
			email := tt.country + "@example.com"
			reg := models.Registration{Email: email, Password: testPassword, FirstName: "Anna", LastName: "Andersson",
				Country: tt.country}
			if tt.country == "SE" {
				reg.PersonID = nextSEPersonID()
			}
			if _, err := ta.Svc.Register(t.Context(), reg); err != nil {
				t.Fatal(err)
			}
			cl := ta.client()
			cl.signIn(email, testPassword)
			page := cl.get("/limits").wantStatus(http.StatusOK)
			if got := page.has("limits-required-one"); got != tt.oneOf {
				t.Errorf("sentence asking for at least one limit shown: %t; want %t", got, tt.oneOf)
			} else if tt.oneOf {
				if got, want := page.text("limits-required-one"), "At least one of these limits is required."; got != want {
					t.Errorf("sentence %q; want %q", got, want)
				}
			}
			for _, per := range []string{"day", "week", "month"} {
				if got := page.has("limit-required-" + per); got != tt.required[per] {
					t.Errorf("%s limit marked required: %t; want %t", per, got, tt.required[per])
				}
				input := page.byTestID("limit-input-" + per)
				if len(input) != 1 {
					t.Fatalf("%d inputs for the %s limit; want 1", len(input), per)
				}
				if hasAttr(input[0], "required") {
					t.Errorf("%s limit input has the required attribute", per)
				}
			}
			if !tt.oneOf {
				return
			}
			r := cl.submit("/limits", url.Values{"day": {""}, "week": {""}, "month": {""}}).
				wantStatus(http.StatusUnprocessableEntity)
			if got, want := r.text("problem"), "Set at least one deposit limit: for a day, a week or a month."; got != want {
				t.Errorf("no limit: %q; want %q", got, want)
			}
			cl.submit("/limits", url.Values{"day": {""}, "week": {"500"}, "month": {""}}).wantRedirect("/limits")
		})
	}
}

// TestAmountHintSaysWhatTheLimitsLeave: the hint beside the cashier's amount says
// the range a deposit may have now: up to what the deposit limits leave when that
// is less than the largest deposit (the field's max says the same), and the
// configured range when nothing fits (the sentence above says what is left).
func TestAmountHintSaysWhatTheLimitsLeave(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	cl, _ := ta.signedIn("anna@example.com")
	cl.submit("/limits", url.Values{"day": {"400"}}).wantRedirect("/limits")
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got := page.text("amount-hint"); got != "SEK 10.00 to SEK 400.00" {
		t.Errorf("hint %q; want SEK 10.00 to SEK 400.00", got)
	}
	if n := page.byTestID("amount"); len(n) != 1 || attr(n[0], "data-max") != "400.00" && attr(n[0], "max") != "400.00" {
		t.Errorf("the amount field's max is not 400.00")
	}
	cl.submit("/limits", url.Values{"day": {"5"}}).wantRedirect("/limits")
	if got := cl.get("/cashier").text("amount-hint"); got != "SEK 10.00 to SEK 10,000.00" {
		t.Errorf("with 5 SEK left: hint %q; want the configured range", got)
	}
}

// TestLimitZeroIsNoLimit: a player who types 0 in a limit's field asks for no
// deposits, yet 0 is what the form reads as no limit of their own (an empty
// field), so it became a removal of their limit, waiting as a raise does and then
// letting them deposit without it. The form refuses 0 with a sentence saying to
// leave the field empty for none, or to take a break to stop deposits, and
// records nothing; an empty field still asks for none.
func TestLimitZeroIsNoLimit(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	cl, p := ta.signedIn("anna@example.com")
	cl.submit("/limits", url.Values{"day": {"500"}, "week": {"2000"}}).wantRedirect("/limits")
	for _, zero := range []string{"0", "0.00", " 0,0 "} {
		r := cl.submit("/limits", url.Values{"day": {zero}, "week": {"2000"}, "month": {""}}).wantStatus(http.StatusUnprocessableEntity)
		if got, want := r.text("problem"), "A limit must be more than zero: leave the field empty for none. To stop deposits for a while, take a break."; got != want {
			t.Errorf("day limit %q: problem %q; want %q", zero, got, want)
		}
	}
	st, err := ta.Svc.DepositLimits(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if day := st.Periods[0]; day.Limit.Minor != 50000 || day.Pending != nil || len(st.History) != 2 {
		t.Errorf("after a day limit of 0 was typed: day limit %d, pending %+v, %d changes; want 50000, none pending, the 2 first changes",
			day.Limit.Minor, day.Pending, len(st.History))
	}
	cl.submit("/limits", url.Values{"day": {""}, "week": {"2000"}, "month": {""}}).wantRedirect("/limits")
}

// TestDepositAboveTheRangeSaysWhatTheLimitsLeave: a deposit above the cashier's
// range, by a player whose own limit leaves less than the range's top, was refused
// with "Choose an amount from SEK 10.00 to SEK 10,000.00.", under a hint saying
// "SEK 10.00 to SEK 400.00": the sentence invited deposits the limit refuses. It
// says what the limit leaves, as a deposit above the limit within the range is
// told; one below the range is given the range up to what the limit leaves.
func TestDepositAboveTheRangeSaysWhatTheLimitsLeave(t *testing.T) {
	ta := newTestApp(t, withLimitPolicies)
	cl, _ := ta.signedIn("anna@example.com")
	cl.submit("/limits", url.Values{"day": {"400"}}).wantRedirect("/limits")
	for _, amount := range []string{"500", "20000"} {
		page := cl.submit("/deposit", url.Values{"amount": {amount}}).wantStatus(http.StatusUnprocessableEntity)
		if got, want := page.text("problem"), "Your daily deposit limit leaves SEK 400.00 now; deposit at most that amount."; got != want {
			t.Errorf("deposit of %s: %q; want %q", amount, got, want)
		}
		if got := page.text("amount-hint"); got != "SEK 10.00 to SEK 400.00" {
			t.Errorf("deposit of %s: hint %q; want SEK 10.00 to SEK 400.00", amount, got)
		}
	}
	page := cl.submit("/deposit", url.Values{"amount": {"5"}}).wantStatus(http.StatusUnprocessableEntity)
	if got, want := page.text("problem"), "Choose an amount from SEK 10.00 to SEK 400.00."; got != want {
		t.Errorf("deposit of 5: %q; want %q", got, want)
	}
}
