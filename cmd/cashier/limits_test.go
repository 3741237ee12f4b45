package main

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
)

func TestParseLimits(t *testing.T) {
	got, err := parseLimits(`{"SEK": {"deposit": ["20", "5000"], "approval_above": "2500,50", "approval_two_person_above": "7500",
		"refund_operator_max": "250", "quick_picks": ["20", "5000"]}, "EUR": {"payout": ["5", "900.5"], "approval_two_person_above": "0"}}`)
	if err != nil {
		t.Fatal(err)
	}
	sek, eur := got["SEK"], got["EUR"]
	for _, tt := range []struct {
		name      string
		got, want int64
	}{
		{"SEK min deposit", sek.MinDeposit.Minor, 2000}, {"SEK max deposit", sek.MaxDeposit.Minor, 500000},
		{"SEK approval", sek.ApprovalAbove.Minor, 250050}, {"SEK payout max (default)", sek.MaxPayout.Minor, 1000000},
		{"SEK quick picks", int64(len(sek.QuickPicks)), 2}, {"EUR max payout", eur.MaxPayout.Minor, 90050},
		{"EUR max deposit (default)", eur.MaxDeposit.Minor, 1000000},
		{"SEK two-person approval", sek.TwoPersonAbove.Minor, 750000}, {"EUR two-person approval off", eur.TwoPersonAbove.Minor, 0},
		{"SEK operator refunds", sek.RefundOperatorMax.Minor, 25000}, {"EUR operator refunds (default)", eur.RefundOperatorMax.Minor, 100000},
		{"DKK two-person approval (default)", cashier.Config{Limits: got}.LimitsFor("DKK").TwoPersonAbove.Minor, 1000000},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	if l, err := parseLimits(""); err != nil || l != nil {
		t.Errorf("empty: got %v, %v; want defaults", l, err)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"SEK": {"deposit": ["10"]}}`, "want [min, max]"},
		{`{"SEK": {"deposit": ["100", "10"]}}`, "0 < min ≤ max"},
		{`{"SEK": {"deposit": ["0", "10"]}}`, "0 < min ≤ max"},
		{`{"SEK": {"payout": ["1.005", "10"]}}`, "payout min"},
		{`{"XXX": {}}`, "unknown currency"},
		{`{"SEK": {"maximum": "10"}}`, "documented shape"},
		{`{"SEK": {"quick_picks": ["1"]}}`, "outside the deposit range"},
		{`[1]`, "documented shape"},
		{`{"SEK": {"approval_two_person_above": "100"}}`, "below approval_above"},
		{`{"SEK": {"approval_two_person_above": "x"}}`, "approval_two_person_above"},
	} {
		if _, err := parseLimits(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseLimits(%s) = %v; want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// TestParseLimitsStrictJSON: CASHIER_LIMITS is one JSON object, each key once:
// text after it, a currency or a field given twice (where the last would quietly
// win) and null stop the start instead of being read as something else.
func TestParseLimitsStrictJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"SEK": {}} {"EUR": {}}`, "after the JSON"},
		{`{"SEK": {"deposit": ["10", "20"]}} x`, "documented shape"},
		{`{"SEK": {"deposit": ["10", "20"]}, "SEK": {}}`, `"SEK" is given twice`},
		{`{"SEK": {"deposit": ["10", "20"], "deposit": ["10", "30"]}}`, `"SEK.deposit" is given twice`},
		{`null`, "documented shape"},
	} {
		if _, err := parseLimits(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseLimits(%s) = %v; want an error containing %q", tt.in, err, tt.want)
		}
	}
}
