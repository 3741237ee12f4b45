package handlers

import (
	"slices"
	"testing"

	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/views"
)

// TestCountriesCollated: the country selects (registration, Pay N Play's market,
// a bank account's country) list names in the order of the page's alphabet. The
// markets' names today sort alike byte by byte, so the cases are names a next
// market would bring: in bytes "Åland" comes after "Zambia" in English, "Ä"
// before "Å" in Swedish and Finnish, "Šveits" after "Ungari" in Estonian, and a
// lower-case "eSwatini" after every capital.
func TestCountriesCollated(t *testing.T) {
	for _, tt := range []struct {
		code string
		want []string
	}{
		{"en", []string{"Åland Islands", "Albania", "Estonia", "eSwatini", "Zambia"}},
		{"sv", []string{"Sverige", "Zambia", "Åland", "Ärla", "Österrike"}},
		{"fi", []string{"Itävalta", "Ruotsi", "Zambia", "Åland", "Äänekoski", "Öland"}},
		{"et", []string{"Saksamaa", "Šveits", "Taani", "Tšehhi", "Ungari", "Ühendkuningriik"}},
		{"nl", []string{"Åland", "Estland", "eSwatini", "IJsland", "Zweden"}},
	} {
		list := make([]views.Country, len(tt.want))
		for i, name := range tt.want {
			list[len(list)-1-i] = views.Country{Name: name}
		}
		sortCountries(lang.For(tt.code, nil), list)
		got := make([]string, len(list))
		for i, c := range list {
			got[i] = c.Name
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.code, got, tt.want)
		}
	}
}
