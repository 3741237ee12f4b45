package lang_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestEveryLanguageHasEveryMessage: each message file has exactly English's ids,
// so no page falls back to another language or shows a raw id.
func TestEveryLanguageHasEveryMessage(t *testing.T) {
	en, err := lang.IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	if len(en) < 100 {
		t.Fatalf("English has %d messages; the files did not load", len(en))
	}
	for _, l := range lang.Languages[1:] {
		ids, err := lang.IDs(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range en {
			if !slices.Contains(ids, id) {
				t.Errorf("%s has no translation of %q", l.Code, id)
			}
		}
		for _, id := range ids {
			if !slices.Contains(en, id) {
				t.Errorf("%s has %q, which English has not", l.Code, id)
			}
		}
	}
}

// sameAsEnglish are the messages a language writes exactly as English does, each
// with the reason; any other message identical to English's was left untranslated.
var sameAsEnglish = map[string]string{
	"sv common.status":     "Swedish says Status too",
	"sv country.FI":        "Finland is Finland in Swedish",
	"sv limits.col.period": "Swedish says Period too",
	"sv limits.zone.UTC":   "UTC is UTC in Swedish",
	"nl limits.zone.UTC":   "UTC is UTC in Dutch",
	"fi country.LV":        "Latvia is Latvia in Finnish",
	"nl common.status":     "Dutch says Status too",
	"nl country.FI":        "Finland is Finland in Dutch",
}

// TestNoMessageLeftInEnglish: no other language's message, plural forms
// included, is word for word English's, except those in sameAsEnglish.
func TestNoMessageLeftInEnglish(t *testing.T) {
	en, err := lang.Values("en")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, l := range lang.Languages[1:] {
		values, err := lang.Values(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range values {
			key := l.Code + " " + id
			if v != en[id] {
				continue
			}
			if _, ok := sameAsEnglish[key]; ok {
				used[key] = true
				continue
			}
			t.Errorf("%s %s is English's %q", l.Code, id, v)
		}
	}
	for key := range sameAsEnglish {
		if !used[key] {
			t.Errorf("sameAsEnglish lists %q, which is no longer the same as English", key)
		}
	}
}

// TestMessagesUseTheirPlaceholders: a translation names the same {{.Placeholders}}
// as the English text, so no argument is lost or left as template text.
func TestMessagesUseTheirPlaceholders(t *testing.T) {
	ph := regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)
	en := lang.For("en", nil)
	ids, _ := lang.IDs("en")
	var args []any
	for _, name := range []string{"Amount", "Min", "Max", "Currency", "Market", "Name", "Register", "Account", "Kind",
		"Until", "When", "At", "Next", "Deposits", "Payouts", "Country", "Length", "Left"} {
		args = append(args, name, "⟦"+name+"⟧")
	}
	for _, l := range lang.Languages {
		loc := lang.For(l.Code, nil)
		for _, id := range ids {
			if strings.HasPrefix(id, "duration.") {
				continue
			}
			got := loc.T(id, args...)
			if got == id || ph.MatchString(got) {
				t.Errorf("%s %s = %q", l.Code, id, got)
			}
			want := placeholders(en.T(id, args...))
			if g := placeholders(got); !slices.Equal(g, want) {
				t.Errorf("%s %s fills %v; English fills %v", l.Code, id, g, want)
			}
		}
	}
}

// placeholders are the arguments filled into s, sorted.
func placeholders(s string) []string {
	out := regexp.MustCompile(`⟦[A-Za-z]+⟧`).FindAllString(s, -1)
	slices.Sort(out)
	return slices.Compact(out)
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		lang  string
		minor int64
		cur   string
		want  string
	}{
		{"sv", 10000, "SEK", "100,00\u00a0kr"},
		{"sv", 125000, "SEK", "1\u00a0250,00\u00a0kr"},
		{"sv", -15050, "SEK", "−150,50\u00a0kr"},
		{"fi", 10000, "EUR", "100,00\u00a0€"},
		{"et", 123456789, "EUR", "1\u00a0234\u00a0567,89\u00a0€"},
		{"nl", 10000, "EUR", "€\u00a0100,00"},
		{"nl", 125005, "EUR", "€\u00a01.250,05"},
		{"en", 10000, "SEK", "SEK\u00a0100.00"},
		{"en", 125000, "EUR", "€1,250.00"},
		{"en", -5, "EUR", "-€0.05"},
	} {
		if got := lang.For(tt.lang, nil).Money(models.Money{Minor: tt.minor, Currency: tt.cur}); got != tt.want {
			t.Errorf("Money(%s, %d %s) = %q; want %q", tt.lang, tt.minor, tt.cur, got, tt.want)
		}
	}
	if got := lang.For("sv", nil).Whole(models.Money{Minor: 50000, Currency: "SEK"}); got != "500\u00a0kr" {
		t.Errorf("Whole = %q", got)
	}
}

// TestSigned: a change of the balance is written with its sign where the
// language writes a minus, "+€ 10,50" never beside "€ -10,00" (nl): "€ +10,50"
// and "€ -10,00", "+10,50 €" and "−10,00 €", "+€10.50" and "-€10.00".
func TestSigned(t *testing.T) {
	for _, tt := range []struct{ lang, plus, minus string }{
		{"en", "+€10.50", "-€10.50"},
		{"sv", "+10,50\u00a0€", "−10,50\u00a0€"},
		{"fi", "+10,50\u00a0€", "−10,50\u00a0€"},
		{"et", "+10,50\u00a0€", "−10,50\u00a0€"},
		{"nl", "€\u00a0+10,50", "€\u00a0-10,50"},
	} {
		l := lang.For(tt.lang, nil)
		plus, minus := l.Signed(models.Money{Minor: 1050, Currency: "EUR"}), l.Signed(models.Money{Minor: -1050, Currency: "EUR"})
		if plus != tt.plus || minus != tt.minus {
			t.Errorf("%s: Signed(10.50) = %+q, Signed(-10.50) = %+q; want %+q, %+q", tt.lang, plus, minus, tt.plus, tt.minus)
		}
		if zero, want := l.Signed(models.Money{Currency: "EUR"}), l.Money(models.Money{Currency: "EUR"}); zero != want {
			t.Errorf("%s: Signed(0) = %+q; want %+q, without a sign", tt.lang, zero, want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		header, want string
		ok           bool
	}{
		{"sv-SE,sv;q=0.9,en;q=0.8", "sv", true},
		{"fi", "fi", true},
		{"nl-BE", "nl", true},
		{"de-DE,fr;q=0.5", "", false},
		{"", "", false},
		{"de;q=0.9,et;q=0.8", "et", true},
	} {
		got, ok := lang.Match(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %t; want %q, %t", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTimeInTheMarketsZone(t *testing.T) {
	at := time.Date(2026, 1, 20, 13, 42, 0, 0, time.UTC)
	for _, tt := range []struct{ lang, country, want string }{
		{"sv", "SE", "2026-01-20 14:42 CET"},
		{"fi", "FI", "20.1.2026 klo 15.42 EET"},
		{"en", "SE", "20 Jan 2026, 14:42 CET"},
		{"nl", "NL", "20-01-2026 14:42 CET"},
	} {
		if got := lang.For(tt.lang, lang.Zone(tt.country)).Time(at); got != tt.want {
			t.Errorf("Time(%s, %s) = %q; want %q", tt.lang, tt.country, got, tt.want)
		}
	}
}

func TestTrustlyLocale(t *testing.T) {
	for _, tt := range []struct{ lang, country, want string }{
		{"sv", "SE", "sv_SE"}, {"fi", "FI", "fi_FI"}, {"sv", "FI", "sv_FI"}, {"et", "EE", "et_EE"},
		{"nl", "NL", "nl_NL"}, {"en", "SE", "en_GB"}, {"", "SE", "sv_SE"}, {"sv", "XX", "en_GB"},
	} {
		if got := models.TrustlyLocale(tt.lang, tt.country); got != tt.want {
			t.Errorf("TrustlyLocale(%q, %q) = %q; want %q", tt.lang, tt.country, got, tt.want)
		}
	}
}

// TestWordsAsNativesWriteThem pins translations a native reader corrected: each
// was a word that does not say the thing in that language.
func TestWordsAsNativesWriteThem(t *testing.T) {
	for _, tt := range []struct{ lang, id, want, why string }{
		{"et", "nav.withdraw", "Võta välja", `"Välja" alone is "out": no Estonian reads it as a heading or a button that withdraws`},
		{"nl", "rc.title", "Realiteitscheck", `"Reality check" is English`},
		{"sv", "limits.until", "fram till {{.When}}", `a period ends at an instant it no longer holds; "till och med" (through) counts that instant in`},
	} {
		if got := lang.For(tt.lang, nil).T(tt.id, "When", "{{.When}}"); got != tt.want {
			t.Errorf("%s %s = %q; want %q (%s)", tt.lang, tt.id, got, tt.want, tt.why)
		}
	}
}
