package models

import (
	"math/big"
	"regexp"
	"strings"
)

// BankDetails is a bank account typed by a player for RegisterAccount, normalised
// into the fields Trustly expects for its market (API.md §10).
type BankDetails struct {
	ClearingHouse string // "SWEDEN", "FINLAND", …
	BankNumber    string // Swedish clearing number, UK sort code; "" for IBAN markets
	AccountNumber string // the rest of a Swedish number, or the IBAN
}

// Market rules: for IBAN markets the pattern of the whole IBAN.
var ibanMarkets = map[string]struct {
	ClearingHouse string
	Pattern       *regexp.Regexp
}{
	"FI": {"FINLAND", regexp.MustCompile(`^FI[0-9]{16}$`)},
	"EE": {"ESTONIA", regexp.MustCompile(`^EE[0-9]{18}$`)},
	"NL": {"NETHERLANDS", regexp.MustCompile(`^NL[0-9]{2}[A-Z]{4}[0-9]{10}$`)},
	"DE": {"GERMANY", regexp.MustCompile(`^DE[0-9]{20}$`)},
	"ES": {"SPAIN", regexp.MustCompile(`^ES[0-9]{22}$`)},
	"LV": {"LATVIA", regexp.MustCompile(`^LV[0-9]{2}[A-Z]{4}[0-9A-Z]{13}$`)},
	"LT": {"LITHUANIA", regexp.MustCompile(`^LT[0-9]{18}$`)},
	"NO": {"NORWAY", regexp.MustCompile(`^NO[0-9]{13}$`)},
	"DK": {"DENMARK", regexp.MustCompile(`^DK[0-9]{16}$`)},
	"AT": {"AUSTRIA", regexp.MustCompile(`^AT[0-9]{18}$`)},
	"BE": {"BELGIUM", regexp.MustCompile(`^BE[0-9]{14}$`)},
	"FR": {"FRANCE", regexp.MustCompile(`^FR[0-9]{12}[0-9A-Z]{11}[0-9]{2}$`)},
	"IT": {"ITALY", regexp.MustCompile(`^IT[0-9]{2}[A-Z][0-9]{10}[0-9A-Z]{12}$`)},
	"PL": {"POLAND", regexp.MustCompile(`^PL[0-9]{26}$`)},
	"PT": {"PORTUGAL", regexp.MustCompile(`^PT[0-9]{23}$`)},
	"IE": {"IRELAND", regexp.MustCompile(`^IE[0-9]{2}[A-Z]{4}[0-9]{14}$`)},
}

var (
	// swedishClearing is a clearing number: 4 digits, or 5 for Swedbank's, which
	// start with 8 (API.md §10). A fifth digit on another bank's number is the
	// account's first one typed in the wrong field: sent as it is, Trustly might
	// find an account it names.
	swedishClearing = regexp.MustCompile(`^([0-9]{4}|8[0-9]{4})$`)
	swedishAccount  = regexp.MustCompile(`^[0-9]{1,15}$`)
	ukSortCode      = regexp.MustCompile(`^[0-9]{6}$`)
	ukAccount       = regexp.MustCompile(`^[0-9]{8}$`)
)

// UsesIBAN reports whether bank accounts in country are entered as an IBAN.
func UsesIBAN(country string) bool {
	_, ok := ibanMarkets[country]
	return ok
}

// normalise strips spaces, dashes and dots and upper-cases ASCII letters, as people
// type numbers with all of them. Other letters stay as they are, so that no rule
// matches them: strings.ToUpper would turn a dotless ı into I and a long ſ into S.
func normalise(s string) string {
	s = strings.NewReplacer(" ", "", "-", "", ".", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// ValidIBAN checks an IBAN's mod-97 checksum (ISO 13616) after normalising it.
func ValidIBAN(iban string) bool {
	s := normalise(iban)
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			digits.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// ParseBankDetails validates what a player typed for country and returns Trustly's
// fields, or a Problem that says what to fix. For Sweden bank is the clearing
// number and account the rest; for the UK the sort code and account number; for
// IBAN markets account is the IBAN and bank is ignored. Trustly has the final say
// (error 624), but nothing malformed is ever sent.
func ParseBankDetails(country, bank, account string) (BankDetails, error) {
	bank, account = normalise(bank), normalise(account)
	switch country {
	case "SE":
		if !swedishClearing.MatchString(bank) {
			return BankDetails{}, ProblemT("bank", "problem.clearing", "Enter the clearing number: 4 digits, or 5 for Swedbank numbers starting with 8.")
		}
		if !swedishAccount.MatchString(account) {
			return BankDetails{}, ProblemT("account", "problem.account_number", "Enter the account number after the clearing number: digits only, at most 15.")
		}
		return BankDetails{ClearingHouse: "SWEDEN", BankNumber: bank, AccountNumber: account}, nil
	case "GB":
		if !ukSortCode.MatchString(bank) {
			return BankDetails{}, ProblemT("bank", "problem.sort_code", "Enter the 6-digit sort code.")
		}
		if !ukAccount.MatchString(account) {
			return BankDetails{}, ProblemT("account", "problem.account_number_gb", "Enter the 8-digit account number.")
		}
		return BankDetails{ClearingHouse: "UNITED_KINGDOM", BankNumber: bank, AccountNumber: account}, nil
	}
	m, ok := ibanMarkets[country]
	if !ok {
		return BankDetails{}, ProblemT("country", "problem.payout_country", "We cannot pay out to bank accounts in this country yet.")
	}
	if !strings.HasPrefix(account, country) {
		return BankDetails{}, ProblemT("account", "problem.iban_country", "Enter an IBAN from "+Markets[country].Name+": it starts with "+country+".", "Market", CountryName(country), "Country", country)
	}
	// The length and format first: an IBAN with digits left out or added fails
	// the checksum too, and "check the digits" would not say what is wrong.
	if !m.Pattern.MatchString(account) {
		return BankDetails{}, ProblemT("account", "problem.iban_format", "This IBAN does not have the length or format used in "+Markets[country].Name+".", "Market", CountryName(country))
	}
	if !ValidIBAN(account) {
		return BankDetails{}, ProblemT("account", "problem.iban_checksum", "This IBAN has a typing error: check the digits again.")
	}
	return BankDetails{ClearingHouse: m.ClearingHouse, BankNumber: "", AccountNumber: account}, nil
}

// ClearingHouseCountry is the market (ISO 3166-1 alpha-2) of a Trustly clearing
// house: "SE" for "SWEDEN"; "" when unknown.
func ClearingHouseCountry(clearingHouse string) string {
	switch clearingHouse {
	case "SWEDEN":
		return "SE"
	case "UNITED_KINGDOM":
		return "GB"
	}
	for code, m := range ibanMarkets {
		if m.ClearingHouse == clearingHouse {
			return code
		}
	}
	return ""
}
