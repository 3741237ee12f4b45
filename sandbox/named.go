package sandbox

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// NamedPersonID is the checkout's id of the person the merchant named (namedPerson).
const NamedPersonID = "named"

// namedNote is how the checkout tells the named person from the test persons.
const namedNote = "the person the merchant named"

// clearingHouses are the clearing houses of the checkout's countries.
var clearingHouses = map[string]string{"SE": "SWEDEN", "FI": "FINLAND", "EE": "ESTONIA", "NL": "NETHERLANDS"}

// namedPerson is a bank person made from o itself, as Trustly's checkout logs in
// whoever the merchant's player is: when a Deposit or SelectAccount sent
// Firstname and Lastname, and neither its NationalIdentificationNumber nor those
// names are a test person's of the country (namedTestPerson is that test person
// then). A Pay N Play order has none: its player is unknown until the kyc, which
// names a test person. The personid is the order's number, country code first;
// the date of birth is the number's where it holds one (SE, FI, EE), else ""; the
// address is the country's adult's. The accounts are derived from the names and
// number alone, so each of a player's orders logs in to the same accounts and
// gets the same accountids.
func namedPerson(o *Order) (Person, bool) {
	first, last, ok := namedNames(o)
	if !ok {
		return Person{}, false
	}
	if _, ok := namedTestPerson(o); ok {
		return Person{}, false
	}
	country := namedCountry(o)
	home := defaultPerson(country)
	p := Person{ID: NamedPersonID, Country: country, Firstname: first, Lastname: last, Note: namedNote,
		Street: home.Street, Zipcode: home.Zipcode, City: home.City}
	p.PersonID = namedPersonID(o.NationalID, country, o.CreatedAt)
	p.DOB = birthDateOf(p.PersonID)
	p.Accounts = namedAccounts(country, first, last, p.PersonID)
	return p, true
}

// namedTestPerson is the test person of the named person's country whose name
// is the one o sends (holderIs), where o names a person (as for namedPerson: not
// Pay N Play, both names, no test person's number): Trustly's checkout logs in
// the merchant's player, and this one is that test person. Its Note says so,
// before the test person's own.
func namedTestPerson(o *Order) (Person, bool) {
	first, last, ok := namedNames(o)
	if !ok {
		return Person{}, false
	}
	for _, p := range personsIn(namedCountry(o)) {
		if holderIs(p.Firstname+" "+p.Lastname, first, last) {
			p.Note = strings.Join(slices.DeleteFunc([]string{namedNote, p.Note}, func(s string) bool { return s == "" }), "; ")
			return p, true
		}
	}
	return Person{}, false
}

// namedNames are the names o sends of a person the merchant names: not for Pay
// N Play, whose player is unknown until the kyc, nor for a
// NationalIdentificationNumber that is a test person's (prefilled), who is
// that person whatever the names say.
func namedNames(o *Order) (first, last string, ok bool) {
	first, last = strings.TrimSpace(o.Firstname), strings.TrimSpace(o.Lastname)
	if o.RequestKYC || first == "" || last == "" {
		return "", "", false
	}
	if _, ok := prefilled(o.NationalID); ok {
		return "", "", false
	}
	return first, last, true
}

// orderPerson is the person who logged in to o (o.PersonID).
func orderPerson(o *Order) (Person, bool) {
	return personFor(o, o.PersonID)
}

// personFor finds who id is for o: a test person, or the person o names.
func personFor(o *Order, id string) (Person, bool) {
	if id == NamedPersonID {
		return namedPerson(o)
	}
	return PersonByID(id)
}

// namedCountry is the named person's country: the order's (the bank the player
// chose, or the Deposit's Country), else the number's, else Sweden, as
// defaultPerson.
func namedCountry(o *Order) string {
	if _, ok := Banks[o.Country]; ok {
		return o.Country
	}
	if n := strings.ToUpper(strings.TrimSpace(o.NationalID)); len(n) > 2 {
		if _, ok := Banks[n[:2]]; ok {
			return n[:2]
		}
	}
	return "SE"
}

// namedPersonID writes nin as the test persons' personids are written: its
// country code (country unless nin has one) first, no spaces and, in SE, twelve
// digits without a separator. A ten-digit SE number is born in the century that
// makes the person younger than 100 at now, or older with a "+" before its last
// four digits.
func namedPersonID(nin, country string, now time.Time) string {
	n := strings.ToUpper(strings.Join(strings.Fields(nin), ""))
	if n == "" {
		return ""
	}
	if len(n) > 2 && n[0] >= 'A' && n[0] <= 'Z' && n[1] >= 'A' && n[1] <= 'Z' {
		country, n = n[:2], n[2:]
	}
	if country != "SE" {
		return country + n
	}
	centenarian := len(n) == 11 && n[6] == '+'
	if len(n) == 13 && n[8] == '-' || len(n) == 11 && (n[6] == '-' || n[6] == '+') {
		n = n[:len(n)-5] + n[len(n)-4:]
	}
	if len(n) == 10 && digitsOnly(n) {
		if now.IsZero() {
			now = time.Now()
		}
		yy := int(n[0]-'0')*10 + int(n[1]-'0')
		year := now.Year() - now.Year()%100 + yy
		if year > now.Year() {
			year -= 100
		}
		if centenarian {
			year -= 100
		}
		n = fmt.Sprintf("%02d", year/100) + n
	}
	return "SE" + n
}

// birthDateOf is the birth date a personid holds (SE YYYYMMDD…, FI
// DDMMYY and a century sign, EE a century digit and YYMMDD), or "".
func birthDateOf(pid string) string {
	if len(pid) < 2 {
		return ""
	}
	n, y, mmdd := pid[2:], 0, ""
	switch pid[:2] {
	case "SE":
		if len(n) != 12 || !digitsOnly(n) {
			return ""
		}
		y, mmdd = atoi(n[:4]), n[4:8]
	case "FI":
		if len(n) != 11 || !digitsOnly(n[:6]) {
			return ""
		}
		switch c := n[6]; {
		case c == '+':
			y = 1800
		case strings.IndexByte("-YXWVU", c) >= 0:
			y = 1900
		case c >= 'A' && c <= 'F':
			y = 2000
		default:
			return ""
		}
		y, mmdd = y+atoi(n[4:6]), n[2:4]+n[:2]
	case "EE":
		if len(n) != 11 || !digitsOnly(n) || n[0] < '1' || n[0] > '6' {
			return ""
		}
		y, mmdd = 1800+int(n[0]-'1')/2*100+atoi(n[1:3]), n[3:7]
	default:
		return ""
	}
	dob := fmt.Sprintf("%04d-%s-%s", y, mmdd[:2], mmdd[2:])
	if _, err := time.Parse(time.DateOnly, dob); err != nil {
		return ""
	}
	return dob
}

// namedAccounts derives the named person's accounts from their country, names
// and personid: two in SE (Handelsbanken and SEB, as the adult's), one elsewhere.
// None is a test person's.
func namedAccounts(country, first, last, personID string) []BankAccount {
	for attempt := 0; ; attempt++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "sandbox-named|%s|%s|%s|%s|%d", country, foldName(first), foldName(last), personID, attempt))
		d := fmt.Sprintf("%078s", new(big.Int).SetBytes(sum[:]).String())
		var out []BankAccount
		switch country {
		case "SE":
			out = []BankAccount{{"SWEDEN", "6" + d[0:3], d[3:12]}, {"SWEDEN", "5" + d[12:15], d[15:22]}}
		case "FI":
			out = []BankAccount{{"FINLAND", "", withIBANCheck("FI", d[0:14])}}
		case "EE":
			out = []BankAccount{{"ESTONIA", "", withIBANCheck("EE", d[0:16])}}
		default:
			bank := []string{"ABNA", "INGB", "RABO"}[int(d[16]-'0')%3]
			out = []BankAccount{{"NETHERLANDS", "", withIBANCheck("NL", bank+d[0:10])}}
		}
		if !slices.ContainsFunc(Persons, func(p Person) bool {
			return slices.ContainsFunc(out, func(a BankAccount) bool { return slices.Contains(p.Accounts, a) })
		}) {
			return out
		}
	}
}

// withIBANCheck makes the IBAN of country and bban, with its ISO 13616 check digits.
func withIBANCheck(country, bban string) string {
	var digits strings.Builder
	for _, r := range bban + country + "00" {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprint(&digits, int(r-'A'+10))
		} else {
			digits.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%s%02d%s", country, check, bban)
}

// holderIs reports whether full, a test person's name, is the person first last:
// the last name among its words and the first name among the words before it,
// folded (foldName). The cashier compares an account's holder with its player
// this way, so a merchant's player so named is that test person.
func holderIs(full, first, last string) bool {
	h := " " + foldName(full) + " "
	f, l := foldName(first), foldName(last)
	i := strings.LastIndex(h, " "+l+" ")
	return f != "" && l != "" && i >= 0 && strings.Contains(h[:i+1], " "+f+" ")
}

var foldAccents = strings.NewReplacer(
	"å", "a", "ä", "a", "á", "a", "à", "a", "â", "a", "ã", "a", "æ", "ae",
	"ö", "o", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ø", "o",
	"ü", "u", "ú", "u", "ù", "u", "û", "u", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ý", "y", "ÿ", "y", "ñ", "n", "ç", "c",
	"š", "s", "ž", "z", "č", "c", "ß", "ss", "-", " ", "'", "", "’", "", ".", "")

// foldName is a name in lower case, without accents, hyphens as spaces,
// apostrophes and dots left out, single spaces between words.
func foldName(s string) string {
	return strings.Join(strings.Fields(foldAccents.Replace(strings.ToLower(norm.NFC.String(s)))), " ")
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
