package models

import (
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMoney checks that ParseMoney never panics and that what it accepts is an
// amount by the rule written here apart from its regexp: digits, grouped by threes
// with one space, no-break space or narrow no-break space if grouped at all (so "1 0
// 0" is refused), then a dot or comma and one or two decimals; no sign, exponent or
// anything else a float parser would take. The minor units must be the digits' value
// (counted with math/big), and the amount must read back to itself from String and
// from Display. Seeds: testdata/fuzz/FuzzParseMoney.
func FuzzParseMoney(f *testing.F) {
	f.Fuzz(func(t *testing.T, text, currency string) {
		m, err := ParseMoney(text, currency)
		if err != nil {
			return
		}
		if m.Currency != currency || !ValidCurrency(currency) {
			t.Fatalf("ParseMoney(%q, %q) = %+v: another or an unknown currency", text, currency, m)
		}
		want, ok := typedAmount(strings.TrimSpace(text))
		if !ok {
			t.Fatalf("ParseMoney(%q) = %v, but the text is not an amount as people type it", text, m)
		}
		if want.Cmp(big.NewInt(m.Minor)) != 0 {
			t.Fatalf("ParseMoney(%q) = %d minor units; the digits say %s", text, m.Minor, want)
		}
		if again, err := ParseMoney(m.String(), currency); err != nil || again != m {
			t.Fatalf("ParseMoney(%q) = %v, %v; want %v", m.String(), again, err, m)
		}
		if again, err := ParseDecimal(m.String(), currency); err != nil || again != m {
			t.Fatalf("ParseDecimal(%q) = %v, %v; want %v", m.String(), again, err, m)
		}
		shown := strings.TrimSuffix(m.Display(), "\u00a0"+currency)
		if again, err := ParseMoney(shown, currency); err != nil || again != m {
			t.Fatalf("ParseMoney(%q) (the Display of %v) = %v, %v", shown, m, again, err)
		}
	})
}

// typedAmount is the value in minor units of an amount as people type it, or false.
func typedAmount(s string) (*big.Int, bool) {
	whole, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 {
		whole, frac = s[:i], s[i+1:]
		if len(frac) < 1 || len(frac) > 2 || !allDigits(frac) {
			return nil, false
		}
	}
	groups := strings.FieldsFunc(whole, func(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' })
	if len(groups) == 0 {
		return nil, false
	}
	if len(groups) == 1 && groups[0] != whole || len(groups) > 1 && whole != joinOneSeparator(whole, groups) {
		return nil, false
	}
	digits := strings.Join(groups, "")
	for i, g := range groups {
		if !allDigits(g) || i == 0 && len(groups) > 1 && len(g) > 3 || i > 0 && len(g) != 3 {
			return nil, false
		}
	}
	if len(digits) > 15 {
		return nil, false
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, _ := new(big.Int).SetString(digits+frac, 10)
	return n, true
}

// joinOneSeparator is groups as they stand in whole when each is followed by exactly
// one separator character; anything else differs from whole.
func joinOneSeparator(whole string, groups []string) string {
	var b strings.Builder
	rest := whole
	for i, g := range groups {
		b.WriteString(g)
		rest = strings.TrimPrefix(rest, g)
		if i < len(groups)-1 {
			r, size := utf8.DecodeRuneInString(rest)
			b.WriteRune(r)
			rest = rest[size:]
		}
	}
	return b.String()
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// FuzzParseDecimal checks that ParseDecimal never panics and that what it accepts is
// Trustly's decimal text: an optional minus, one to fifteen digits, and decimals of
// which only the first two may be other than zero; the minor units are the digits'
// value, and String reads back to the same Money. Seeds: testdata/fuzz/FuzzParseDecimal.
func FuzzParseDecimal(f *testing.F) {
	f.Fuzz(func(t *testing.T, text, currency string) {
		m, err := ParseDecimal(text, currency)
		if err != nil {
			return
		}
		if m.Currency != currency || currency == "" {
			t.Fatalf("ParseDecimal(%q, %q) = %+v: another currency", text, currency, m)
		}
		s := strings.TrimSpace(text)
		neg := strings.HasPrefix(s, "-")
		whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
		frac += "00"
		if !allDigits(whole) || len(whole) > 15 || frac != "00" && !allDigits(frac) || strings.Trim(frac[2:], "0") != "" {
			t.Fatalf("ParseDecimal(%q) = %v, but the text is not Trustly's decimal text", text, m)
		}
		want, _ := new(big.Int).SetString(whole+frac[:2], 10)
		if neg {
			want.Neg(want)
		}
		if want.Cmp(big.NewInt(m.Minor)) != 0 {
			t.Fatalf("ParseDecimal(%q) = %d minor units; the digits say %s", text, m.Minor, want)
		}
		if again, err := ParseDecimal(m.String(), currency); err != nil || again != m {
			t.Fatalf("ParseDecimal(%q) = %v, %v; want %v", m.String(), again, err, m)
		}
	})
}

// FuzzParseBankDetails checks that ParseBankDetails never panics and that what it
// accepts was typed with ASCII letters and digits and the separators people use,
// is canonical (it parses again to itself), fits the market's rule, and for IBAN
// markets has a mod-97 checksum of 1, computed here piece by piece in int64 rather
// than with math/big as ValidIBAN does. Seeds: testdata/fuzz/FuzzParseBankDetails.
func FuzzParseBankDetails(f *testing.F) {
	f.Fuzz(func(t *testing.T, country, bank, account string) {
		d, err := ParseBankDetails(country, bank, account)
		if err != nil {
			return
		}
		if again, err := ParseBankDetails(country, d.BankNumber, d.AccountNumber); err != nil || again != d {
			t.Fatalf("ParseBankDetails(%s, %q, %q) = %+v, %v; want %+v", country, d.BankNumber, d.AccountNumber, again, err, d)
		}
		typed := func(s string) bool {
			return strings.Trim(strings.TrimSpace(s), "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -.\u00a0") == ""
		}
		if !typed(account) || !UsesIBAN(country) && !typed(bank) {
			t.Fatalf("ParseBankDetails(%s, %q, %q) = %+v: accepted other characters", country, bank, account, d)
		}
		switch country {
		case "SE":
			if d.ClearingHouse != "SWEDEN" || !allDigits(d.BankNumber) || len(d.BankNumber) < 4 || len(d.BankNumber) > 5 ||
				len(d.BankNumber) == 5 && d.BankNumber[0] != '8' ||
				!allDigits(d.AccountNumber) || len(d.AccountNumber) > 15 {
				t.Fatalf("ParseBankDetails(SE, %q, %q) = %+v", bank, account, d)
			}
		case "GB":
			if d.ClearingHouse != "UNITED_KINGDOM" || !allDigits(d.BankNumber) || len(d.BankNumber) != 6 ||
				!allDigits(d.AccountNumber) || len(d.AccountNumber) != 8 {
				t.Fatalf("ParseBankDetails(GB, %q, %q) = %+v", bank, account, d)
			}
		default:
			iban := d.AccountNumber
			if !UsesIBAN(country) || d.ClearingHouse != ibanMarkets[country].ClearingHouse || d.BankNumber != "" ||
				!strings.HasPrefix(iban, country) || !ibanMarkets[country].Pattern.MatchString(iban) || ibanMod97(iban) != 1 {
				t.Fatalf("ParseBankDetails(%s, %q, %q) = %+v", country, bank, account, d)
			}
		}
	})
}

// ibanMod97 is ISO 13616's remainder of an upper-case ASCII IBAN, a character at a
// time; -1 for any other character.
func ibanMod97(iban string) int64 {
	if len(iban) < 4 {
		return -1
	}
	r := int64(0)
	for _, c := range iban[4:] + iban[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int64(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int64(c-'A'+10)) % 97
		default:
			return -1
		}
	}
	return r
}
