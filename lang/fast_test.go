package lang

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/text/currency"
	"golang.org/x/text/number"
)

var placeholder = regexp.MustCompile(`{{\.(\w+)}}`)

// TestTIsI18n: T writes every message of every language as go-i18n's template
// execution does, with every placeholder filled, with some left out, and with
// none given.
func TestTIsI18n(t *testing.T) {
	for _, lg := range Languages {
		l := For(lg.Code, nil)
		file, err := files.ReadFile("messages/" + lg.Code + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var messages map[string]any
		if err := json.Unmarshal(file, &messages); err != nil {
			t.Fatal(err)
		}
		tested := 0
		for id, m := range messages {
			raw, ok := m.(string)
			if !ok {
				continue // a plural message: N's, not T's
			}
			names := placeholder.FindAllStringSubmatch(raw, -1)
			if len(names) > 0 {
				tested++
			}
			for _, n := range []int{0, 1, 2} {
				var args []any
				data := map[string]any{}
				for i, m := range names {
					if i%3 == n && n != 0 {
						continue // left out
					}
					v := any(fmt.Sprintf("<%s %d>", m[1], i))
					if i%2 == 1 {
						v = i * 1000
					}
					args = append(args, m[1], v)
					data[m[1]] = v
				}
				want, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
				if err != nil || want == "" {
					want = id
				}
				if got := l.T(id, args...); got != want {
					t.Errorf("%s %s with %v: T = %q; want %q", lg.Code, id, args, got, want)
				}
			}
		}
		if tested < 50 {
			t.Errorf("%s: only %d messages with placeholders", lg.Code, tested)
		}
		if got := l.T("no.such.message"); got != "no.such.message" {
			t.Errorf("%s: an unknown id: %q; want the id", lg.Code, got)
		}
	}
}

// moneyXText is Money as it was written with golang.org/x/text alone, for
// TestMoneyIsXText.
func (l *Localizer) moneyXText(m models.Money) string {
	v, sign := m.Minor, ""
	if v < 0 {
		v, sign = -v, "−"
		if l.Code == "en" || l.Code == "nl" {
			sign = "-"
		}
	}
	digits := l.printer.Sprint(number.Decimal(v / 100))
	n := fmt.Sprintf("%s%s%02d", digits, l.decimal, v%100)
	sym := m.Currency
	if u, err := currency.ParseISO(m.Currency); err == nil {
		sym = l.printer.Sprint(currency.Symbol(u))
	}
	const nbsp = "\u00a0"
	switch l.Code {
	case "en":
		if isLetters(sym) {
			return sign + sym + nbsp + n
		}
		return sign + sym + n
	case "nl":
		return sym + nbsp + sign + n
	}
	return sign + n + nbsp + sym
}

// TestMoneyIsXText: Money writes every amount as golang.org/x/text's number
// and currency formatting does, in every language and currency.
func TestMoneyIsXText(t *testing.T) {
	values := []int64{0, 1, 5, 99, 100, 999, 1000, 9999, 99999, 100000, 999999, 1000000, 12345678, 100000000, 123456789012, 1<<62 - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values = append(values, r.Int64N(1<<uint(r.IntN(62)+1)))
	}
	for _, lg := range Languages {
		l := For(lg.Code, time.UTC)
		for _, cur := range []string{"SEK", "EUR", "NOK", "DKK", "USD", "GBP", "PLN", "XYZ", ""} {
			for _, v := range values {
				for _, minor := range []int64{v, -v} {
					m := models.Money{Minor: minor, Currency: cur}
					if got, want := l.Money(m), l.moneyXText(m); got != want {
						t.Fatalf("%s: Money(%d %s) = %q; want %q", lg.Code, minor, cur, got, want)
					}
				}
			}
		}
	}
}

// TestZoneIsLoaded: Zone gives each market's zone as time.LoadLocation does, and
// UTC for a market we do not know.
func TestZoneIsLoaded(t *testing.T) {
	for country, m := range markets {
		want, err := time.LoadLocation(m.Zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := Zone(country); got.String() != want.String() {
			t.Errorf("Zone(%s) = %s; want %s", country, got, want)
		}
	}
	if Zone("XX") != time.UTC {
		t.Error("Zone of an unknown market is not UTC")
	}
}
