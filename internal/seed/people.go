package seed

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
)

// market is what the generator needs to know about one of the markets it seeds.
type market struct {
	code, currency, language string
	weight                   float64 // share of the players
	first, last              []string
	banks                    []string
	clearing                 string // Trustly's clearinghouse
	city, zip                string
}

// markets are the four markets seeded, in the order their weights are drawn.
var markets = []market{
	{"SE", "SEK", "sv", 0.45,
		[]string{"Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Elin", "Oskar", "Sofia", "Nils", "Åsa", "Björn"},
		[]string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Öberg"},
		[]string{"Handelsbanken", "SEB", "Swedbank", "Nordea"}, "SWEDEN", "Stockholm", "11122"},
	{"FI", "EUR", "fi", 0.25,
		[]string{"Aino", "Mikko", "Laura", "Juha", "Emilia", "Antti", "Sanna", "Ville", "Päivi", "Jyrki"},
		[]string{"Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen"},
		[]string{"Nordea", "OP", "Danske Bank", "Aktia"}, "FINLAND", "Helsinki", "00100"},
	{"EE", "EUR", "et", 0.10,
		[]string{"Mari", "Andres", "Kadri", "Jaan", "Liis", "Margus", "Kristi", "Tõnu"},
		[]string{"Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves"},
		[]string{"Swedbank", "SEB", "LHV", "Luminor"}, "ESTONIA", "Tallinn", "10111"},
	{"NL", "EUR", "nl", 0.20,
		[]string{"Sanne", "Daan", "Emma", "Bram", "Lotte", "Thijs", "Fleur", "Joris"},
		[]string{"de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"},
		[]string{"ING", "Rabobank", "ABN AMRO", "bunq"}, "NETHERLANDS", "Amsterdam", "1011 AB"},
}

// pickMarket draws a market by weight.
func pickMarket(rng *rand.Rand) *market {
	x := rng.Float64()
	for i := range markets {
		if x < markets[i].weight {
			return &markets[i]
		}
		x -= markets[i].weight
	}
	return &markets[len(markets)-1]
}

// fold turns a name into the letters of an email address: "Öberg" → "oberg".
func fold(s string) string {
	r := strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "õ", "o", "ü", "u", "Å", "a", "Ä", "a", "Ö", "o", " ", "")
	return strings.ToLower(r.Replace(s))
}

// personIDs hands out national identity numbers that are valid (check digits
// included, as paynplay.ParsePersonID wants them) and unique within one run.
type personIDs map[string]bool

// next is a fresh number for a person of country born on dob, in the stored form
// "SE197901311238"; "" for a country without one (NL). The individual number
// starts at hint and moves on past numbers already given.
func (ids personIDs) next(country string, dob time.Time, hint int) string {
	for i := 0; i < 1000; i++ {
		serial := 2 + (hint+i)%897 // 002–898: valid in every country
		var id string
		switch country {
		case "SE":
			id = "SE" + seNumber(dob, serial)
		case "FI":
			id = "FI" + fiNumber(dob, serial)
		case "EE":
			id = "EE" + eeNumber(dob, serial, hint%2 == 0)
		default:
			return ""
		}
		if !ids[id] {
			ids[id] = true
			return id
		}
	}
	panic("seed: no free identity number for " + dob.Format(time.DateOnly))
}

// seNumber is a personnummer YYYYMMDDNNNC with its Luhn check digit.
func seNumber(dob time.Time, serial int) string {
	body := dob.Format("060102") + fmt.Sprintf("%03d", serial)
	return dob.Format("2006") + body[2:] + string(paynplay.SECheckDigit(body))
}

// fiNumber is a henkilötunnus DDMMYY, century sign, NNN and control character.
func fiNumber(dob time.Time, serial int) string {
	sign := "-"
	if dob.Year() >= 2000 {
		sign = "A"
	}
	nnn := fmt.Sprintf("%03d", serial)
	return dob.Format("020106") + sign + nnn + string(paynplay.FIControl(dob.Format("020106"), nnn))
}

// eeNumber is an isikukood G YYMMDD NNN C.
func eeNumber(dob time.Time, serial int, female bool) string {
	g := 3
	if dob.Year() >= 2000 {
		g = 5
	}
	if female {
		g++
	}
	s := fmt.Sprintf("%d%s%03d", g, dob.Format("060102"), serial)
	return s + string(paynplay.EECheckDigit(s))
}

// hexOf is n random hex digits.
func hexOf(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

// uuidOf is a random version-4 UUID in its text form.
func uuidOf(rng *rand.Rand) string {
	h := []byte(hexOf(rng, 32))
	h[12] = '4'
	h[16] = "89ab"[rng.IntN(4)]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
