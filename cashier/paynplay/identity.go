package paynplay

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// ErrPersonID means a text is not a valid national identity number of its country.
var ErrPersonID = errors.New("not a valid national identity number")

// ErrIdentity means a kyc notification's identity cannot be used: a field is
// missing, malformed, too long, or contradicts another.
var ErrIdentity = errors.New("unusable kyc identity")

// PersonID is a national identity number in canonical form. Only SE, FI and EE have
// one in Trustly's kyc (API.md §5.5); Number is SE's 12-digit personnummer
// "197901311238", FI's henkilötunnus "131052-308T", EE's isikukood "38001085718".
type PersonID struct {
	Country string
	Number  string
}

// String is the form Trustly sends and the cashier stores: the country code followed
// by the number, "SE197901311238".
func (p PersonID) String() string { return p.Country + p.Number }

// IsZero reports whether p is the empty PersonID (a Dutch identity has none).
func (p PersonID) IsZero() bool { return p == PersonID{} }

// BirthDate is the date of birth the number encodes, "YYYY-MM-DD"; "" if p is not
// valid.
func (p PersonID) BirthDate() string {
	q, err := ParsePersonID(p.Country, p.Number)
	if err != nil || q != p {
		return ""
	}
	born, _ := parsers[p.Country](p.Number)
	return born.Format(time.DateOnly)
}

// AccountHolder is the person an account notification names as the account's
// holder (its attribute personid, with its country prefix as in a kyc), in
// PersonID.String() form; "" when it names none or one that does not read as a
// national identity number of SE, FI or EE (ParsePersonID). It is what a bank
// account keeps of it (bank_accounts.person_id), as the notification comes and,
// for an account an older version saved without it, from the notification
// stored (package store).
func AccountHolder(personid string) string {
	id, err := ParsePersonID("", personid)
	if err != nil {
		return ""
	}
	return id.String()
}

// parsers check a number of each country (without prefix, upper case) and return
// its canonical form's birth date.
var parsers = map[string]func(string) (time.Time, error){"SE": parseSE, "FI": parseFI, "EE": parseEE}

// HasPersonID reports whether the banks of country give a national identity
// number in Trustly's kyc: SE, FI and EE do; NL's do not (a kycentityid only).
func HasPersonID(country string) bool {
	_, ok := parsers[country]
	return ok
}

// ParsePersonID reads a national identity number of country (SE, FI or EE). The text
// may start with its country code, as Trustly sends it ("SE197901311238"); country
// may then be "" to take it from there, and must otherwise agree. Spaces around it
// are ignored, letters may be in either case. SE takes 12 digits with an optional
// "-" before the last four (the 10-digit form is refused: its century depends on
// the day it is read); the check digit (Luhn), FI's control character and EE's
// checksum must be right, and the encoded birth date must exist.
func ParsePersonID(country, text string) (PersonID, error) {
	s := strings.ToUpper(strings.TrimSpace(text))
	if len(s) > 20 {
		return PersonID{}, fmt.Errorf("%w: too long", ErrPersonID)
	}
	if len(s) >= 2 && letter(s[0]) && letter(s[1]) {
		prefix := s[:2]
		if country != "" && prefix != country {
			return PersonID{}, fmt.Errorf("%w: a %s number for country %s", ErrPersonID, prefix, country)
		}
		country, s = prefix, s[2:]
	}
	if country == "SE" && len(s) == 13 && s[8] == '-' {
		s = s[:8] + s[9:]
	}
	parse, ok := parsers[country]
	if !ok {
		return PersonID{}, fmt.Errorf("%w: %q has no national identity number in Trustly's kyc", ErrPersonID, country)
	}
	if _, err := parse(s); err != nil {
		return PersonID{}, fmt.Errorf("%w: %s %s", ErrPersonID, country, err)
	}
	return PersonID{Country: country, Number: s}, nil
}

func letter(b byte) bool { return b >= 'A' && b <= 'Z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// civil returns the date year-month-day, or an error if it does not exist.
func civil(year, month, day int) (time.Time, error) {
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day {
		return time.Time{}, errors.New("birth date does not exist")
	}
	return t, nil
}

// parseSE: YYYYMMDDNNNC; a samordningsnummer (coordination number) adds 60 to the
// day. C is the Luhn check digit over the last ten digits.
func parseSE(s string) (time.Time, error) {
	if len(s) != 12 || !allDigits(s) {
		return time.Time{}, errors.New("personnummer has 12 digits")
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[4:6])
	d, _ := strconv.Atoi(s[6:8])
	if d > 60 {
		d -= 60
	}
	if y < 1800 {
		return time.Time{}, errors.New("birth year before 1800")
	}
	born, err := civil(y, m, d)
	if err != nil {
		return time.Time{}, err
	}
	if SECheckDigit(s[2:11]) != s[11] {
		return time.Time{}, errors.New("check digit is wrong")
	}
	return born, nil
}

// fiCentury maps the henkilötunnus century sign to its century, including the
// signs added in 2023.
var fiCentury = map[byte]int{'+': 1800, '-': 1900, 'Y': 1900, 'X': 1900, 'W': 1900, 'V': 1900, 'U': 1900,
	'A': 2000, 'B': 2000, 'C': 2000, 'D': 2000, 'E': 2000, 'F': 2000}

// parseFI: DDMMYY, century sign, individual number 002–999, control character
// (DDMMYYNNN mod 31).
func parseFI(s string) (time.Time, error) {
	if len(s) != 11 || !allDigits(s[:6]) || !allDigits(s[7:10]) {
		return time.Time{}, errors.New("henkilötunnus is DDMMYY, a century sign, three digits and a control character")
	}
	century, ok := fiCentury[s[6]]
	if !ok {
		return time.Time{}, errors.New("unknown century sign")
	}
	if n, _ := strconv.Atoi(s[7:10]); n < 2 {
		return time.Time{}, errors.New("individual number below 002")
	}
	d, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[2:4])
	y, _ := strconv.Atoi(s[4:6])
	born, err := civil(century+y, m, d)
	if err != nil {
		return time.Time{}, err
	}
	if FIControl(s[:6], s[7:10]) != s[10] {
		return time.Time{}, errors.New("control character is wrong")
	}
	return born, nil
}

// parseEE: G YYMMDD NNN C; G (1–8) gives sex and century, C the checksum with
// weights 1–9,1 and, if that leaves 10, 3–9,1–3.
func parseEE(s string) (time.Time, error) {
	if len(s) != 11 || !allDigits(s) {
		return time.Time{}, errors.New("isikukood has 11 digits")
	}
	g := int(s[0] - '0')
	if g < 1 || g > 8 {
		return time.Time{}, errors.New("first digit is not 1–8")
	}
	y, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	d, _ := strconv.Atoi(s[5:7])
	born, err := civil(1800+(g-1)/2*100+y, m, d)
	if err != nil {
		return time.Time{}, err
	}
	if EECheckDigit(s[:10]) != s[10] {
		return time.Time{}, errors.New("checksum is wrong")
	}
	return born, nil
}

// countryNames are the country names a kyc may carry instead of a code (API.md
// §5.5: the docs show "Sweden", the generated model an ISO code), besides the
// English names in models.Markets.
var countryNames = map[string]string{"sverige": "SE", "suomi": "FI", "eesti": "EE", "nederland": "NL",
	"the netherlands": "NL", "holland": "NL"}

// ParseCountry reads a kyc country: an ISO alpha-2 code in either case, or the name
// of a country the cashier knows. It returns the upper-case code.
func ParseCountry(text string) (string, error) {
	s := strings.TrimSpace(text)
	if len(s) == 2 && letter(s[0]&^0x20) && letter(s[1]&^0x20) {
		return strings.ToUpper(s), nil
	}
	name := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if c, ok := countryNames[name]; ok {
		return c, nil
	}
	for c, m := range models.Markets {
		if strings.ToLower(m.Name) == name {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: country %q is not a code or a country we know", ErrIdentity, text)
}

// KYC is what a kyc notification says, as received: Trustly's own verdict and the
// person's attributes as text. FromKYC builds it; tests build it directly.
type KYC struct {
	Abort        bool   // Trustly stopped the player itself
	AbortMessage string // e.g. "underage", "unverified"
	KYCEntityID  string // Trustly's id of the bank profile; may change
	PersonID     string // SE, FI, EE only: "SE197901311238"
	FirstName    string
	LastName     string
	DOB          string // YYYY-MM-DD
	Street       string
	Zipcode      string
	City         string
	Country      string // a code or a name: "SE", "Sweden"
}

// FromKYC takes the fields of a verified kyc notification (API.md §5.5).
func FromKYC(d *trustly.KYCData) KYC {
	a := d.Attributes
	return KYC{Abort: d.Abort, AbortMessage: d.AbortMessage, KYCEntityID: d.KYCEntityID,
		PersonID: a["personid"], FirstName: a["firstname"], LastName: a["lastname"], DOB: a["dob"],
		Street: a["street"], Zipcode: a["zipcode"], City: a["city"], Country: a["country"]}
}

// Identity is a kyc's person, checked and normalised: what the cashier keys and
// stores a Pay N Play player by.
type Identity struct {
	Country     string   // ISO alpha-2, upper case
	PersonID    PersonID // zero in NL
	KYCEntityID string
	FirstName   string
	LastName    string
	DOB         string // YYYY-MM-DD
	Street      string
	Zipcode     string
	City        string
}

// Field limits match the players table (models.Player).
const (
	maxName = 100
	maxText = 200
	maxID   = 64
)

// ParseIdentity checks k strictly, as anything from outside: the country (from
// k.Country, or the personid's prefix; both must agree when both are there), a
// valid personid in SE, FI and EE whose birth date is k.DOB, a kycentityid in NL
// (its only key there), a first and last name, a real date of birth, and no field
// longer than the players table holds or holding control characters. It returns
// what it could read, and an ErrIdentity naming every problem.
func ParseIdentity(k KYC) (Identity, error) {
	id := Identity{KYCEntityID: strings.TrimSpace(k.KYCEntityID), FirstName: oneLine(k.FirstName),
		LastName: oneLine(k.LastName), DOB: strings.TrimSpace(k.DOB), Street: oneLine(k.Street),
		Zipcode: oneLine(k.Zipcode), City: oneLine(k.City)}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if k.Country != "" {
		c, err := ParseCountry(k.Country)
		if err != nil {
			bad("country %q unknown", k.Country)
		}
		id.Country = c
	}
	if k.PersonID != "" {
		p, err := ParsePersonID(id.Country, k.PersonID)
		if err != nil && id.Country == "" {
			bad("personid: %v", err)
		} else if err != nil {
			bad("personid does not fit country %s: %v", id.Country, err)
		}
		id.PersonID = p
		if id.Country == "" {
			id.Country = p.Country
		}
	}
	switch {
	case id.Country == "":
		bad("no country")
	case parsers[id.Country] != nil && k.PersonID == "":
		bad("no personid for %s", id.Country)
	case id.Country == "NL" && id.KYCEntityID == "":
		bad("no kycentityid for NL")
	}
	if id.FirstName == "" || id.LastName == "" {
		bad("first or last name missing")
	}
	born, err := time.Parse(time.DateOnly, id.DOB)
	switch {
	case err != nil:
		bad("dob %q is not YYYY-MM-DD", k.DOB)
	case born.Year() < 1900:
		bad("dob %s before 1900", id.DOB)
	case !id.PersonID.IsZero() && id.PersonID.BirthDate() != id.DOB:
		bad("dob %s differs from the personid's birth date", id.DOB)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"firstname", id.FirstName, maxName}, {"lastname", id.LastName, maxName}, {"kycentityid", id.KYCEntityID, maxID},
		{"street", id.Street, maxText}, {"zipcode", id.Zipcode, maxText}, {"city", id.City, maxText}} {
		if utf8.RuneCountInString(f.value) > f.max || !utf8.ValidString(f.value) || strings.ContainsFunc(f.value, control) {
			bad("%s too long or not plain text", f.name)
		}
	}
	if problems != nil {
		return id, fmt.Errorf("%w: %s", ErrIdentity, strings.Join(problems, "; "))
	}
	return id, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func control(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
