package paynplay

import (
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
// "hybrid", "off"; "" is off), or comma-separated MARKET=mode pairs
// ("SE=pure,FI=hybrid"), where unlisted markets are off. Markets are Markets only,
// each at most once; spaces around items are ignored and the case of markets and
// modes is not significant.
func ParseModes(s string) (Modes, error) {
	s = strings.TrimSpace(s)
	m := Modes{}
	if !strings.Contains(s, "=") {
		mode, err := parseMode(s)
		if err != nil {
			return nil, err
		}
		for _, c := range Markets {
			m[c] = mode
		}
		return m, nil
	}
	for _, item := range strings.Split(s, ",") {
		country, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		country = strings.ToUpper(strings.TrimSpace(country))
		if !ok {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %q is not MARKET=mode", strings.TrimSpace(item))
		}
		if !isMarket(country) {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %q is not a Pay N Play market (%s)", country, strings.Join(Markets, ", "))
		}
		if _, dup := m[country]; dup {
			return nil, fmt.Errorf("CASHIER_PAYNPLAY: %s is given twice", country)
		}
		mode, err := parseMode(value)
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

func parseMode(s string) (Mode, error) {
	switch mode := Mode(strings.ToLower(strings.TrimSpace(s))); mode {
	case "":
		return ModeOff, nil
	case ModeOff, ModeHybrid, ModePure:
		return mode, nil
	}
	return "", fmt.Errorf("CASHIER_PAYNPLAY: mode %q is not off, hybrid or pure", strings.TrimSpace(s))
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
