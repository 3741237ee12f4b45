// Package models is the cashier's vocabulary: Money, players, orders, bank accounts
// and ledger transfers, with the rules that keep each of them valid. It imports
// nothing else of this project.
package models

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Money is an amount in whole minor units (öre, cents) of one currency. Money is
// never a float64.
type Money struct {
	Minor    int64
	Currency string // ISO 4217: "SEK", "EUR"
}

// Currencies the cashier handles, with their number of minor-unit digits.
var currencyDigits = map[string]int{"SEK": 2, "EUR": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "GBP": 2}

// ErrBadAmount means a text is not an amount of the currency.
var ErrBadAmount = errors.New("not a valid amount")

// ValidCurrency reports whether the cashier handles currency.
func ValidCurrency(currency string) bool {
	_, ok := currencyDigits[currency]
	return ok
}

// amountText is an amount as people type it: whole units, alone or in groups of
// three after the first one to three digits, separated by a space, a no-break
// space or a narrow no-break space ("1 250"), then a dot or comma and one or two
// decimals.
var amountText = regexp.MustCompile(`^([0-9]{1,15}|[0-9]{1,3}(?:[ \x{00a0}\x{202f}][0-9]{3})+)(?:[.,]([0-9]{1,2}))?$`)

// ParseMoney reads an amount typed by a person or sent by Trustly: digits with an
// optional dot or comma and at most two decimals ("100", "99.5", "1 250,00").
// Spaces inside the number only group thousands: "1 0 0" is refused, not read as
// 100. Negative amounts, more decimals and anything else are refused.
func ParseMoney(text, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("%w: unknown currency %q", ErrBadAmount, currency)
	}
	m := amountText.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return Money{}, fmt.Errorf("%w: %q", ErrBadAmount, text)
	}
	m[1] = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(m[1])
	if len(m[1]) > 15 {
		return Money{}, fmt.Errorf("%w: %q", ErrBadAmount, text)
	}
	whole, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("%w: %q", ErrBadAmount, text)
	}
	frac := int64(0)
	if m[2] != "" {
		f := m[2]
		if len(f) == 1 {
			f += "0"
		}
		frac, _ = strconv.ParseInt(f, 10, 64)
	}
	return Money{Minor: whole*100 + frac, Currency: currency}, nil
}

// ParseDecimal reads Trustly's decimal text leniently, as amounts arrive in
// notifications and reports: "902.50", "11", "-5.00000000000000000000". Digits past
// the second decimal must be zeros.
func ParseDecimal(text, currency string) (Money, error) {
	s := strings.TrimSpace(text)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return Money{}, fmt.Errorf("%w: %q", ErrBadAmount, text)
	}
	frac += "00"
	if strings.Trim(frac[2:], "0") != "" {
		return Money{}, fmt.Errorf("%w: %q has more than two decimals", ErrBadAmount, text)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac[:2], 10, 64)
	minor := w*100 + f
	if neg {
		minor = -minor
	}
	if currency == "" {
		return Money{}, fmt.Errorf("%w: no currency", ErrBadAmount)
	}
	return Money{Minor: minor, Currency: currency}, nil
}

// String is Trustly's decimal text: "250.00", "-3.50".
func (m Money) String() string {
	v := m.Minor
	var buf [24]byte // "-92233720368547758.07" and room to spare
	b := buf[:0]
	if v < 0 {
		if v == math.MinInt64 {
			return "-92233720368547758.08"
		}
		b, v = append(b, '-'), -v
	}
	// strconv rather than fmt.Sprintf: every page writes its amounts through here.
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.', byte('0'+v%100/10), byte('0'+v%10))
	return string(b)
}

// Display is the amount for people, in one format for every currency: "1 250,00 SEK",
// with non-breaking spaces between thousands and before the currency.
func (m Money) Display() string {
	sign, v := "", m.Minor
	if v < 0 {
		sign, v = "−", -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s,%02d\u00a0%s", sign, b.String(), v%100, m.Currency)
}

// Positive reports whether the amount is above zero.
func (m Money) Positive() bool { return m.Minor > 0 }
