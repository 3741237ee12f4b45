package models

import (
	"errors"
	"testing"
)

func TestParseBankDetails(t *testing.T) {
	for _, tt := range []struct {
		country, bank, account string
		want                   BankDetails
		field                  string // "" when valid
	}{
		{"SE", "6112", "69706212", BankDetails{"SWEDEN", "6112", "69706212"}, ""},
		{"SE", " 8327-9 ", "123 456 789", BankDetails{"SWEDEN", "83279", "123456789"}, ""},
		{"SE", "61", "69706212", BankDetails{}, "bank"},
		// Five digits only for Swedbank's clearing numbers, which start with 8
		// (API.md §10): 61121 is not 6112 with the account's first digit.
		{"SE", "61121", "9706212", BankDetails{}, "bank"},
		{"SE", "33001", "9706212", BankDetails{}, "bank"},
		{"SE", "3300", "7901311234", BankDetails{"SWEDEN", "3300", "7901311234"}, ""},
		{"SE", "8105", "9744293", BankDetails{"SWEDEN", "8105", "9744293"}, ""},
		{"SE", "6112", "AASSSRMFKF", BankDetails{}, "account"},
		{"FI", "", "fi21 1234 5600 0007 85", BankDetails{"FINLAND", "", "FI2112345600000785"}, ""},
		{"FI", "", "FI2112345600000786", BankDetails{}, "account"}, // checksum off by one
		{"NL", "", "NL91ABNA0417164300", BankDetails{"NETHERLANDS", "", "NL91ABNA0417164300"}, ""},
		{"DE", "", "DE89370400440532013000", BankDetails{"GERMANY", "", "DE89370400440532013000"}, ""},
		{"EE", "", "EE382200221020145685", BankDetails{"ESTONIA", "", "EE382200221020145685"}, ""},
		{"ES", "", "ES9121000418450200051332", BankDetails{"SPAIN", "", "ES9121000418450200051332"}, ""},
		{"FI", "", "DE89370400440532013000", BankDetails{}, "account"}, // another country's IBAN
		{"GB", "601613", "31926819", BankDetails{"UNITED_KINGDOM", "601613", "31926819"}, ""},
		{"XX", "", "", BankDetails{}, "country"},
	} {
		got, err := ParseBankDetails(tt.country, tt.bank, tt.account)
		var p *Problem
		switch {
		case tt.field == "" && (err != nil || got != tt.want):
			t.Errorf("ParseBankDetails(%s, %q, %q) = %+v, %v; want %+v", tt.country, tt.bank, tt.account, got, err, tt.want)
		case tt.field != "" && (!errors.As(err, &p) || p.Field != tt.field):
			t.Errorf("ParseBankDetails(%s, %q, %q) = %v; want a problem with field %q", tt.country, tt.bank, tt.account, err, tt.field)
		}
	}
}

func TestValidIBAN(t *testing.T) {
	for in, want := range map[string]bool{
		"GB82WEST12345698765432": true, "GB82 WEST 1234 5698 7654 32": true, "GB82WEST12345698765433": false,
		"": false, "GB82": false, "GB82WEST1234569876543$": false,
		"gb82west12345698765432": true, "gb82weſt12345698765432": false, // ſ upper-cases to S, but is no IBAN letter
	} {
		if got := ValidIBAN(in); got != want {
			t.Errorf("ValidIBAN(%q) = %t, want %t", in, got, want)
		}
	}
}

// TestIBANProblemSaysWhatIsWrong: an IBAN of the wrong length for its market is
// told so, not that it has a typing error in its digits (almost every IBAN that is
// too short or too long fails the checksum too, so the length's sentence was
// never shown); a well-formed one with a wrong check digit has a typing error.
func TestIBANProblemSaysWhatIsWrong(t *testing.T) {
	for _, tt := range []struct{ country, account, want string }{
		{"FI", "FI21 1234 5600 0007", "problem.iban_format"},          // four digits short
		{"EE", "EE38 2200", "problem.iban_format"},                    // far too short
		{"NL", "NL91 ABNA 0417 1643 0012", "problem.iban_format"},     // too long
		{"NL", "NL91 ABNA 0417 1643 01", "problem.iban_checksum"},     // a digit mistyped
		{"FI", "FI21 1234 5600 0007 86", "problem.iban_checksum"},     // a digit mistyped
		{"FI", "DE89 3704 0044 0532 0130 00", "problem.iban_country"}, // another country's
	} {
		_, err := ParseBankDetails(tt.country, "", tt.account)
		var p *Problem
		if !errors.As(err, &p) || p.ID != tt.want {
			t.Errorf("ParseBankDetails(%s, %q) = %v; want the problem %s", tt.country, tt.account, err, tt.want)
		}
	}
}
