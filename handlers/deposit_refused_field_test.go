package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/models"
)

// TestDepositRefusalMarksAmountOnlyForIt: a refused deposit marks the amount
// field (aria-invalid and its red border) only when the refusal is about the
// amount; a refusal for anything else (the deposit could not be started at
// Trustly, a break from play) shows its sentence with no
// field marked. The amount was marked whatever the refusal, which sent a player
// of a screen reader to an amount there was nothing wrong with.
func TestDepositRefusalMarksAmountOnlyForIt(t *testing.T) {
	ta := newTestApp(t) // Trustly is a closed port: a deposit of a good amount cannot start
	for i, tt := range []struct {
		name   string
		amount string
		before func(p models.Player)
		want   []string
	}{
		{"below the range", "1", nil, []string{"amount"}},
		{"unreadable", "abc", nil, []string{"amount"}},
		{"Trustly unreachable", "250", nil, nil},
		{"on a break", "250", func(p models.Player) {
			if _, err := ta.Svc.TakeBreak(t.Context(), p, "", breaks.TimeOut7d); err != nil {
				t.Fatal(err)
			}
		}, nil},
	} {
		cl, p := ta.signedIn(fmt.Sprintf("refused%d@example.com", i))
		if tt.before != nil {
			tt.before(p)
		}
		page := cl.submit("/deposit", url.Values{"amount": {tt.amount}})
		if page.Status != http.StatusUnprocessableEntity || !page.has("problem") || !page.has("deposit-form") {
			t.Errorf("%s: %d, problem shown %t, form shown %t; want 422 with the deposit form and its problem", tt.name,
				page.Status, page.has("problem"), page.has("deposit-form"))
			continue
		}
		what := tt.name + ": POST /deposit " + tt.amount
		if got := markedInvalid(t, what, page); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fields marked invalid %q; want %q (%s)", what, got, tt.want, page.text("problem"))
		}
	}
}

// TestPayNPlayDepositRefusalMarksAmountOnlyForIt: the Pay N Play start page's
// deposit form likewise marks the amount only for a refusal about it, not for an
// unknown market or a deposit Trustly could not start.
func TestPayNPlayDepositRefusalMarksAmountOnlyForIt(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "SE=pure,FI=hybrid")) // Trustly is a closed port
	for _, tt := range []struct {
		market, amount string
		want           []string
	}{
		{"SE", "lots", []string{"amount"}},
		{"SE", "1", []string{"amount"}},
		{"XX", "100", nil},
		{"SE", "100", nil},
	} {
		page := ta.client().submit("/paynplay/deposit", url.Values{"market": {tt.market}, "amount": {tt.amount}}).
			wantStatus(http.StatusUnprocessableEntity)
		what := "POST /paynplay/deposit " + tt.market + " " + tt.amount
		if got := markedInvalid(t, what, page); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fields marked invalid %q; want %q (%s)", what, got, tt.want, page.text("problem"))
		}
	}
}
