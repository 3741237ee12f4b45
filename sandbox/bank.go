package sandbox

import (
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Person is a test person of the fake bank. The checkout lists them per country;
// each has one or two accounts.
type Person struct {
	ID           string // stable key used in the checkout form, e.g. "se-adult"
	Country      string // ISO alpha-2
	PersonID     string // the kyc personid, country code first: "SE197901311246" ("" in NL)
	Firstname    string
	Lastname     string
	DOB          string // YYYY-MM-DD
	Street       string
	Zipcode      string
	City         string
	SelfExcluded bool   // registered in the national self-exclusion register (Spelpaus in SE)
	Note         string // shown in the checkout, e.g. "under 18"
	Accounts     []BankAccount
}

// BankAccount is an account a test person can pick in the checkout.
type BankAccount struct {
	ClearingHouse string
	BankNumber    string
	AccountNumber string
}

// Persons is the fake bank's fixed list of test persons. Each country has two adults,
// an under-18 person and a self-excluded person; the merchant is expected to answer
// the latter two's kyc with FINISH. Personids are valid (SE Luhn, FI control
// character, EE checksum), agree with the date of birth and the sex the name
// suggests, and the minors stay under 18 until 2032. The self-excluded persons are
// the entries of the cashier's sandbox register (cashier/exclusions SandboxEntries):
// change both together. Accounts are valid and belong to one person each.
var Persons = []Person{
	{ID: "se-adult", Country: "SE", PersonID: "SE197901311246", Firstname: "Åsa", Lastname: "Öberg-Lindqvist",
		DOB: "1979-01-31", Street: "Kungsgatan 1", Zipcode: "111 22", City: "Stockholm",
		Accounts: []BankAccount{{"SWEDEN", "6112", "69706212"}, {"SWEDEN", "5329", "1865391"}}},
	{ID: "se-adult2", Country: "SE", PersonID: "SE199006152350", Firstname: "Lars", Lastname: "Nilsson",
		DOB: "1990-06-15", Street: "Sveavägen 44", Zipcode: "113 50", City: "Stockholm",
		Accounts: []BankAccount{{"SWEDEN", "81059", "9146000101"}}},
	{ID: "se-minor", Country: "SE", PersonID: "SE201405152388", Firstname: "Elsa", Lastname: "Minor",
		DOB: "2014-05-15", Street: "Storgatan 5", Zipcode: "411 38", City: "Göteborg", Note: "under 18",
		Accounts: []BankAccount{{"SWEDEN", "8327", "9123456"}}},
	{ID: "se-excluded", Country: "SE", PersonID: "SE198502021119", Firstname: "Sven", Lastname: "Spelpaus",
		DOB: "1985-02-02", Street: "Drottninggatan 9", Zipcode: "211 43", City: "Malmö", SelfExcluded: true,
		Note: "self-excluded (Spelpaus)", Accounts: []BankAccount{{"SWEDEN", "3300", "8502021119"}}},
	{ID: "fi-adult", Country: "FI", PersonID: "FI131052-309U", Firstname: "Matti", Lastname: "Meikäläinen",
		DOB: "1952-10-13", Street: "Mannerheimintie 1", Zipcode: "00100", City: "Helsinki",
		Accounts: []BankAccount{{"FINLAND", "", "FI2112345600000785"}}},
	{ID: "fi-adult2", Country: "FI", PersonID: "FI210388-246L", Firstname: "Liisa", Lastname: "Virtanen",
		DOB: "1988-03-21", Street: "Kauppakatu 12", Zipcode: "40100", City: "Jyväskylä",
		Accounts: []BankAccount{{"FINLAND", "", "FI9112345600000786"}}},
	{ID: "fi-minor", Country: "FI", PersonID: "FI010114A1242", Firstname: "Aino", Lastname: "Nuori",
		DOB: "2014-01-01", Street: "Aleksanterinkatu 3", Zipcode: "00170", City: "Helsinki", Note: "under 18",
		Accounts: []BankAccount{{"FINLAND", "", "FI5542345670000081"}}},
	{ID: "fi-excluded", Country: "FI", PersonID: "FI020280-123H", Firstname: "Pekka", Lastname: "Suljettu",
		DOB: "1980-02-02", Street: "Hämeenkatu 4", Zipcode: "33100", City: "Tampere", SelfExcluded: true,
		Note: "self-excluded", Accounts: []BankAccount{{"FINLAND", "", "FI4250001510000023"}}},
	{ID: "ee-adult", Country: "EE", PersonID: "EE48001080233", Firstname: "Mari", Lastname: "Tamm",
		DOB: "1980-01-08", Street: "Narva mnt 5", Zipcode: "10117", City: "Tallinn",
		Accounts: []BankAccount{{"ESTONIA", "", "EE382200221020145685"}}},
	{ID: "ee-adult2", Country: "EE", PersonID: "EE39211300577", Firstname: "Andres", Lastname: "Kask",
		DOB: "1992-11-30", Street: "Tartu mnt 16", Zipcode: "10117", City: "Tallinn",
		Accounts: []BankAccount{{"ESTONIA", "", "EE231700017001234567"}}},
	{ID: "ee-minor", Country: "EE", PersonID: "EE61401010228", Firstname: "Kati", Lastname: "Noor",
		DOB: "2014-01-01", Street: "Rüütli 2", Zipcode: "51007", City: "Tartu", Note: "under 18",
		Accounts: []BankAccount{{"ESTONIA", "", "EE471000001020145685"}}},
	{ID: "ee-excluded", Country: "EE", PersonID: "EE37505050004", Firstname: "Jaan", Lastname: "Keeld",
		DOB: "1975-05-05", Street: "Pikk 1", Zipcode: "10123", City: "Tallinn", SelfExcluded: true,
		Note: "self-excluded", Accounts: []BankAccount{{"ESTONIA", "", "EE661010220012345678"}}},
	{ID: "nl-adult", Country: "NL", Firstname: "Jan", Lastname: "de Vries",
		DOB: "1975-07-14", Street: "Damrak 1", Zipcode: "1012 LG", City: "Amsterdam",
		Accounts: []BankAccount{{"NETHERLANDS", "", "NL91ABNA0417164300"}}},
	{ID: "nl-adult2", Country: "NL", Firstname: "Emma", Lastname: "Bakker",
		DOB: "1993-04-22", Street: "Oudegracht 120", Zipcode: "3511 AX", City: "Utrecht",
		Accounts: []BankAccount{{"NETHERLANDS", "", "NL39RABO0300065264"}}},
	{ID: "nl-minor", Country: "NL", Firstname: "Sanne", Lastname: "Jong",
		DOB: "2014-03-03", Street: "Coolsingel 40", Zipcode: "3011 AD", City: "Rotterdam", Note: "under 18",
		Accounts: []BankAccount{{"NETHERLANDS", "", "NL02ABNA0123456789"}}},
	{ID: "nl-excluded", Country: "NL", Firstname: "Piet", Lastname: "Uitgesloten",
		DOB: "1970-10-10", Street: "Lange Voorhout 8", Zipcode: "2514 ED", City: "Den Haag", SelfExcluded: true,
		Note: "self-excluded (Cruks)", Accounts: []BankAccount{{"NETHERLANDS", "", "NL20INGB0001234567"}}},
}

// CountryNames are the checkout's countries, in display order.
var CountryNames = []struct{ Code, Name string }{
	{"SE", "Sweden"}, {"FI", "Finland"}, {"EE", "Estonia"}, {"NL", "Netherlands"},
}

// Banks offered per country in the checkout. Like Trustly's test environment, one
// simplified bank stands behind all of them.
var Banks = map[string][]string{
	"SE": {"Handelsbanken", "SEB", "Swedbank", "Nordea"},
	"FI": {"Nordea", "OP", "Danske Bank"},
	"EE": {"Swedbank", "SEB", "LHV"},
	"NL": {"ABN AMRO", "ING", "Rabobank"},
}

// PersonByID finds a test person.
func PersonByID(id string) (Person, bool) {
	for _, p := range Persons {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

// personsIn lists a country's test persons.
func personsIn(country string) []Person {
	var out []Person
	for _, p := range Persons {
		if p.Country == country {
			out = append(out, p)
		}
	}
	return out
}

// defaultPerson is who auto-complete logs in as: the country's adult.
func defaultPerson(country string) Person {
	if p, ok := PersonByID(strings.ToLower(country) + "-adult"); ok {
		return p
	}
	p, _ := PersonByID("se-adult")
	return p
}

// underage reports whether dob makes the person younger than 18 at now.
func underage(dob string, now time.Time) bool {
	t, err := time.Parse("2006-01-02", dob)
	return err == nil && t.AddDate(18, 0, 0).After(now)
}

// kycEntityID is a stable id for the person's bank profile.
func kycEntityID(p Person) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("sandbox-kyc:"+p.ID)).String()
}

// ibanPatterns are API.md §10's AccountNumber patterns for IBAN clearing houses.
var ibanPatterns = map[string]string{
	"FINLAND": `^FI[0-9]{16}$`, "ESTONIA": `^EE[0-9]{18}$`, "NETHERLANDS": `^NL[0-9]{2}[A-Z]{4}[0-9]{10}$`,
	"AUSTRIA": `^AT[0-9]{18}$`, "BELGIUM": `^BE[0-9]{14}$`, "BULGARIA": `^BG[0-9]{2}[A-Z]{4}[0-9]{6}[A-Z0-9]{8}$`,
	"CROATIA": `^HR[0-9]{19}$`, "CYPRUS": `^CY[0-9]{10}[0-9A-Z]{16}$`, "CZECH_REPUBLIC": `^CZ[0-9]{22}$`,
	"DENMARK": `^DK[0-9]{16}$`, "FRANCE": `^FR[0-9]{12}[0-9A-Z]{11}[0-9]{2}$`, "GERMANY": `^DE[0-9]{20}$`,
	"GREECE": `^GR[0-9]{25}$`, "HUNGARY": `^HU[0-9]{26}$`, "IRELAND": `^IE[0-9]{2}[A-Z]{4}[0-9]{14}$`,
	"ITALY": `^IT[0-9]{2}[A-Z][0-9]{10}[0-9A-Z]{12}$`, "LATVIA": `^LV[0-9]{2}[A-Z]{4}[0-9A-Z]{13}$`,
	"LITHUANIA": `^LT[0-9]{18}$`, "LUXEMBOURG": `^LU[0-9]{18}$`, "MALTA": `^MT[0-9]{2}[A-Z]{4}[0-9]{5}[0-9A-Z]{18}$`,
	"NORWAY": `^NO[0-9]{13}$`, "POLAND": `^PL[0-9]{26}$`, "PORTUGAL": `^PT[0-9]{23}$`,
	"ROMANIA": `^RO[0-9]{2}[A-Z]{4}[0-9A-Z]{16}$`, "SLOVAKIA": `^SK[0-9]{22}$`, "SLOVENIA": `^SI56[0-9]{15}$`,
	"SPAIN": `^ES[0-9]{22}$`,
}

var (
	seClearingRE = regexp.MustCompile(`^[0-9]{4,5}$`)
	seAccountRE  = regexp.MustCompile(`^[0-9]{1,15}$`)
	ukSortRE     = regexp.MustCompile(`^[0-9]{6}$`)
	ukAccountRE  = regexp.MustCompile(`^[0-9]{8}$`)
)

// knownClearingHouse reports whether RegisterAccount knows the ClearingHouse.
func knownClearingHouse(ch string) bool {
	_, iban := ibanPatterns[ch]
	return iban || ch == "SWEDEN" || ch == "UNITED_KINGDOM"
}

// normalizeAccount strips spaces and upper-cases, as API.md §10 asks before checking.
func normalizeAccount(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(strings.ReplaceAll(s, "-", " ")), ""))
}

// validAccount checks bank and account number per API.md §10 (624 otherwise).
func validAccount(ch, bankNumber, accountNumber string) bool {
	switch ch {
	case "SWEDEN":
		return seClearingRE.MatchString(bankNumber) && seAccountRE.MatchString(accountNumber) &&
			(len(bankNumber) == 4 || bankNumber[0] == '8')
	case "UNITED_KINGDOM":
		return ukSortRE.MatchString(bankNumber) && ukAccountRE.MatchString(accountNumber)
	}
	pat, ok := ibanPatterns[ch]
	return ok && bankNumber == "" && regexp.MustCompile(pat).MatchString(accountNumber) && ibanChecksum(accountNumber)
}

// ibanChecksum is the ISO 13616 mod-97 check.
func ibanChecksum(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	var digits strings.Builder
	for _, r := range iban[4:] + iban[:4] {
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

// bankName names the bank behind an account, as RegisterAccount's result does.
func bankName(ch, bankNumber, accountNumber string) string {
	switch ch {
	case "SWEDEN":
		n := 0
		for _, r := range bankNumber[:4] {
			n = n*10 + int(r-'0')
		}
		switch {
		case n >= 6000 && n <= 6999:
			return "Handelsbanken"
		case n >= 5000 && n <= 5999, n >= 9120 && n <= 9124:
			return "SEB"
		case n >= 7000 && n <= 8999:
			return "Swedbank"
		case n == 3300 || n >= 1100 && n <= 1199 || n >= 1400 && n <= 2099 || n >= 3000 && n <= 3399:
			return "Nordea"
		}
		return "Sandbox Bank SE"
	case "UNITED_KINGDOM":
		return "Sandbox Bank UK"
	case "NETHERLANDS":
		switch accountNumber[4:8] {
		case "ABNA":
			return "ABN AMRO"
		case "INGB":
			return "ING"
		case "RABO":
			return "Rabobank"
		}
	}
	return "Sandbox Bank " + ch
}

// descriptor masks an account number, keeping the last six characters.
func descriptor(accountNumber string) string {
	if len(accountNumber) <= 6 {
		return "**" + accountNumber
	}
	return "**" + accountNumber[len(accountNumber)-6:]
}

func lastDigits(accountNumber string) string {
	if len(accountNumber) <= 6 {
		return accountNumber
	}
	return accountNumber[len(accountNumber)-6:]
}
