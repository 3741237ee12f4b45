package paynplay

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Mode is how a market offers Pay N Play (CASHIER_PAYNPLAY).
type Mode string

const (
	ModeOff    Mode = "off"    // no Pay N Play: players register with a password and deposit as today
	ModeHybrid Mode = "hybrid" // Pay N Play beside the password sign-up: "Deposit & play" logs in by depositing
	ModePure   Mode = "pure"   // Trustly is the only way in and out: bank login, login-only orders, closed-loop payouts
)

// Markets are the countries where Trustly offers Pay N Play (API.md §8).
var Markets = []string{"SE", "FI", "EE", "NL"}

// Modes is the Mode of each Pay N Play market; a market not listed is ModeOff.
type Modes map[string]Mode

// ParseModes reads CASHIER_PAYNPLAY: either one mode for every market ("pure",
// "hybrid", "off"; "" is unset, which is off), or comma-separated MARKET=mode pairs
// ("SE=pure,FI=hybrid"), where unlisted markets are off. Markets are Markets only,
// each at most once; modes are the three above. Both are read in any case, as the
// configuration's other markets and words are (CASHIER_REALITY_CHECK,
// CASHIER_EXCLUSIONS_NONE). Spaces around the value and around each pair are
// ignored; anything else (SV=pure, an empty mode such as SE=, SE=yes) is an error
// naming the part it could not read, never read as off.
func ParseModes(s string) (Modes, error) {
	if s == "" {
		s = string(ModeOff)
	}
	s = strings.TrimSpace(s)
	m := Modes{}
	if !strings.Contains(s, "=") {
		mode, err := parseMode("", s)
		if err != nil {
			return nil, err
		}
		for _, c := range Markets {
			m[c] = mode
		}
		return m, nil
	}
	for _, item := range strings.Split(s, ",") {
		typed, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %q is not MARKET=mode", strings.TrimSpace(item))
		}
		country := strings.ToUpper(typed)
		if !isMarket(country) {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %q is not a Pay N Play market (%s)", typed, strings.Join(Markets, ", "))
		}
		if _, dup := m[country]; dup {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %s is given twice", country)
		}
		mode, err := parseMode(country, value)
		if err != nil {
			return nil, err
		}
		m[country] = mode
	}
	for _, c := range Markets {
		if _, ok := m[c]; !ok {
			m[c] = ModeOff
		}
	}
	return m, nil
}

// parseMode reads the mode given to country ("" for every market).
func parseMode(country, s string) (Mode, error) {
	switch mode := Mode(strings.ToLower(s)); mode {
	case ModeOff, ModeHybrid, ModePure:
		return mode, nil
	case "":
		if country == "" {
			return "", errors.New("CASHIER_PAYNPLAY: no mode: want off, hybrid or pure, or pairs such as SE=pure,FI=hybrid")
		}
		return "", fmt.Errorf("CASHIER_PAYNPLAY: %s has no mode: want off, hybrid or pure", country)
	}
	return "", fmt.Errorf("CASHIER_PAYNPLAY: mode %q is not off, hybrid or pure", s)
}

func isMarket(country string) bool {
	for _, c := range Markets {
		if c == country {
			return true
		}
	}
	return false
}

// For is country's mode; ModeOff for a country that is not a Pay N Play market.
func (m Modes) For(country string) Mode {
	if mode, ok := m[country]; ok {
		return mode
	}
	return ModeOff
}

// Enabled reports whether country takes Pay N Play (hybrid or pure): the allowed
// markets of the kyc decision.
func (m Modes) Enabled(country string) bool { return m.For(country) != ModeOff }

// String writes m in ParseModes' pair form, sorted by market: "EE=off,FI=hybrid,NL=off,SE=pure".
func (m Modes) String() string {
	pairs := make([]string, 0, len(m))
	for c, mode := range m {
		pairs = append(pairs, c+"="+string(mode))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}
