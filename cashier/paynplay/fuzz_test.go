package paynplay

import (
	"testing"
	"time"
)

// FuzzParsePersonID: whatever the text, ParsePersonID does not panic, and what it
// accepts is canonical: it parses again to itself from its String form, in its own
// country, and encodes a real birth date.
func FuzzParsePersonID(f *testing.F) {
	for _, seed := range []struct{ country, text string }{
		{"SE", "197901311238"}, {"", "SE19790131-1238"}, {"SE", "197901912233"}, {"SE", "7901311238"},
		{"FI", "131052-308T"}, {"", "FI010594Y9021"}, {"FI", "131052*308T"}, {"EE", "38001085718"},
		{"", "EE38001080079"}, {"EE", "98001085718"}, {"NL", "123456782"}, {"", ""}, {"SE", "SE"}, {"", "se 1"},
	} {
		f.Add(seed.country, seed.text)
	}
	f.Fuzz(func(t *testing.T, country, text string) {
		p, err := ParsePersonID(country, text)
		if err != nil {
			return
		}
		if country != "" && p.Country != country {
			t.Fatalf("ParsePersonID(%q, %q) = %v: another country", country, text, p)
		}
		again, err := ParsePersonID("", p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePersonID(%q) = %v, %v; want %v", p.String(), again, err, p)
		}
		if again, err := ParsePersonID(p.Country, p.Number); err != nil || again != p {
			t.Fatalf("ParsePersonID(%q, %q) = %v, %v; want %v", p.Country, p.Number, again, err, p)
		}
		if _, err := time.Parse(time.DateOnly, p.BirthDate()); err != nil {
			t.Fatalf("%v: birth date %q", p, p.BirthDate())
		}
	})
}
