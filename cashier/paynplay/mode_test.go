package paynplay

import (
	"slices"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

func TestParseModes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // Modes.String(); "" for an error
	}{
		{"", "EE=off,FI=off,NL=off,SE=off"},
		{"off", "EE=off,FI=off,NL=off,SE=off"},
		{"pure", "EE=pure,FI=pure,NL=pure,SE=pure"},
		{" hybrid ", "EE=hybrid,FI=hybrid,NL=hybrid,SE=hybrid"},
		{"SE=pure,FI=hybrid", "EE=off,FI=hybrid,NL=off,SE=pure"},
		{"SE=pure, NL=hybrid", "EE=off,FI=off,NL=hybrid,SE=pure"},
		{"SE=off", "EE=off,FI=off,NL=off,SE=off"},
		// Markets and modes in any case, as the configuration's other markets and
		// words are read (CASHIER_REALITY_CHECK, CASHIER_EXCLUSIONS_NONE); an empty
		// mode is not off.
		{"se=pure", "EE=off,FI=off,NL=off,SE=pure"},
		{"Se=pure,fi=HYBRID", "EE=off,FI=hybrid,NL=off,SE=pure"},
		{"SE=PURE", "EE=off,FI=off,NL=off,SE=pure"},
		{"Hybrid", "EE=hybrid,FI=hybrid,NL=hybrid,SE=hybrid"},
		{"SE=pure,se=hybrid", ""},
		{"SE=", ""},
		{"SE = pure", ""},
		{" ", ""},
		{"on", ""},
		{"pure,hybrid", ""},
		{"SE=pure,SE=hybrid", ""},
		{"DE=pure", ""},
		{"SWE=pure", ""},
		{"SE=pure,", ""},
		{"SE=pure,FI", ""},
		{"pure,SE=off", ""},
		{"=pure", ""},
		{"SE=yes", ""},
	} {
		m, err := ParseModes(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseModes(%q) = %v; want an error", tt.in, m)
		case tt.want != "" && (err != nil || m.String() != tt.want):
			t.Errorf("ParseModes(%q) = %v, %v; want %s", tt.in, m, err, tt.want)
		}
		if err == nil {
			again, err := ParseModes(m.String())
			if err != nil || again.String() != m.String() {
				t.Errorf("ParseModes(%q) does not read back: %v, %v", m.String(), again, err)
			}
		}
	}
}

func TestModesFor(t *testing.T) {
	m, err := ParseModes("SE=pure,FI=hybrid")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		country string
		mode    Mode
		enabled bool
	}{{"SE", ModePure, true}, {"FI", ModeHybrid, true}, {"EE", ModeOff, false}, {"DE", ModeOff, false}, {"", ModeOff, false}} {
		if got := m.For(tt.country); got != tt.mode || m.Enabled(tt.country) != tt.enabled {
			t.Errorf("For(%q) = %s, enabled %t; want %s, %t", tt.country, got, m.Enabled(tt.country), tt.mode, tt.enabled)
		}
	}
	if (Modes(nil)).Enabled("SE") {
		t.Error("nil Modes enable SE")
	}
}

// TestMarketsAreTrustlys: every market the cashier can turn Pay N Play on in is
// one where Trustly offers it (trustly.PayNPlayCountries), so no Pay N Play
// Deposit the cashier makes carries a Country that Trustly, and the client before
// it, refuses (732).
func TestMarketsAreTrustlys(t *testing.T) {
	for _, m := range Markets {
		if !slices.Contains(trustly.PayNPlayCountries, m) {
			t.Errorf("market %s: Trustly offers Pay N Play in %v only", m, trustly.PayNPlayCountries)
		}
	}
}
