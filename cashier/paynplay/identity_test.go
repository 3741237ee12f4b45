package paynplay

import (
	"errors"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

func TestParsePersonID(t *testing.T) {
	for _, tt := range []struct {
		country, in string
		want        string // PersonID.String(); "" for an error
		born        string
	}{
		// Sweden: 12 digits, Luhn over the last ten, samordningsnummer day+60.
		{"SE", "197901311238", "SE197901311238", "1979-01-31"},
		{"", "SE197901311238", "SE197901311238", "1979-01-31"},
		{"SE", " se19790131-1238 ", "SE197901311238", "1979-01-31"},
		{"", "SE196512171957", "SE196512171957", "1965-12-17"}, // API.md §5.5's example
		{"SE", "197901912233", "SE197901912233", "1979-01-31"}, // samordningsnummer
		{"SE", "200002291235", "SE200002291235", "2000-02-29"},
		{"SE", "197901311234", "", ""},  // wrong check digit (the sandbox's today)
		{"SE", "7901311238", "", ""},    // 10 digits: century unknown
		{"SE", "790131-1238", "", ""},   // 10 digits with separator
		{"SE", "19790131+1238", "", ""}, // '+' only means something in the 10-digit form
		{"SE", "197902301238", "", ""},  // 30 February, check digit right
		{"SE", "190002291235", "", ""},  // 1900 was not a leap year
		{"SE", "17990131123x", "", ""},
		{"SE", "1979013112381", "", ""},
		// Finland: DDMMYY, century sign, NNN, control character.
		{"FI", "131052-308T", "FI131052-308T", "1952-10-13"},
		{"", "FI131052-308T", "FI131052-308T", "1952-10-13"},
		{"FI", "131052-308t", "FI131052-308T", "1952-10-13"},
		{"FI", "010594Y9021", "FI010594Y9021", "1994-05-01"}, // a 2023 century sign
		{"FI", "290200A1239", "FI290200A1239", "2000-02-29"},
		{"FI", "131052-308U", "", ""}, // wrong control character
		{"FI", "131052*308T", "", ""}, // unknown century sign
		{"FI", "310252-308Y", "", ""}, // 31 February, control right
		{"FI", "290201A123J", "", ""}, // 29 February 2001
		{"FI", "010110A1234", "", ""}, // the sandbox's today: control should be 0
		{"FI", "131052-0011", "", ""}, // individual number 001
		{"FI", "131052308T", "", ""},  // no century sign
		// Estonia: G YYMMDD NNN C.
		{"EE", "38001085718", "EE38001085718", "1980-01-08"},
		{"", "ee38001085718", "EE38001085718", "1980-01-08"},
		{"EE", "49403136515", "EE49403136515", "1994-03-13"},
		{"EE", "38001080079", "EE38001080079", "1980-01-08"}, // checksum from the second weights
		{"EE", "38001085719", "", ""},                        // wrong checksum
		{"EE", "98001085718", "", ""},                        // century digit 9
		{"EE", "38002305718", "", ""},                        // 30 February, checksum right
		{"EE", "3800108571", "", ""},
		// Country rules.
		{"FI", "SE197901311238", "", ""}, // prefix and country disagree
		{"NL", "123456782", "", ""},      // no personid in Trustly's NL kyc
		{"", "197901311238", "", ""},     // no country at all
		{"", "DE197901311238", "", ""},
		{"", "", "", ""},
		{"SE", strings.Repeat("1", 40), "", ""},
	} {
		got, err := ParsePersonID(tt.country, tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrPersonID) {
				t.Errorf("ParsePersonID(%q, %q) = %v, %v; want ErrPersonID", tt.country, tt.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want || got.BirthDate() != tt.born {
			t.Errorf("ParsePersonID(%q, %q) = %v (born %s), %v; want %s born %s", tt.country, tt.in, got, got.BirthDate(), err, tt.want, tt.born)
		}
	}
	if (PersonID{Country: "SE", Number: "197901311234"}).BirthDate() != "" {
		t.Error("BirthDate of an invalid PersonID is not empty")
	}
}

func TestParseCountry(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"SE", "SE"}, {"se", "SE"}, {"Sweden", "SE"}, {" SWEDEN ", "SE"}, {"Sverige", "SE"}, {"Finland", "FI"},
		{"Suomi", "FI"}, {"Estonia", "EE"}, {"Netherlands", "NL"}, {"The  Netherlands", "NL"}, {"Germany", "DE"},
		{"DE", "DE"}, {"Narnia", ""}, {"", ""}, {"S1", ""}, {"SWE", ""},
	} {
		got, err := ParseCountry(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ParseCountry(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	se := KYC{KYCEntityID: "k-se", PersonID: "SE197901311238", FirstName: " Åsa ", LastName: "Öberg-Lindqvist",
		DOB: "1979-01-31", Street: "Kungsgatan 1", Zipcode: "111 22", City: "Stockholm", Country: "Sweden"}
	nl := KYC{KYCEntityID: "k-nl", FirstName: "Jan", LastName: "de  Vries", DOB: "1975-07-14", Country: "NL"}
	id, err := ParseIdentity(se)
	want := Identity{Country: "SE", PersonID: PersonID{"SE", "197901311238"}, KYCEntityID: "k-se", FirstName: "Åsa",
		LastName: "Öberg-Lindqvist", DOB: "1979-01-31", Street: "Kungsgatan 1", Zipcode: "111 22", City: "Stockholm"}
	if err != nil || id != want {
		t.Fatalf("ParseIdentity(se) = %+v, %v; want %+v", id, err, want)
	}
	if id, err := ParseIdentity(nl); err != nil || id.Country != "NL" || !id.PersonID.IsZero() || id.LastName != "de Vries" {
		t.Fatalf("ParseIdentity(nl) = %+v, %v", id, err)
	}
	for _, tt := range []struct {
		name   string
		change func(*KYC)
		base   KYC
		ok     bool
	}{
		{"country from personid", func(k *KYC) { k.Country = "" }, se, true},
		{"no country", func(k *KYC) { k.Country = "" }, nl, false},
		{"unknown country", func(k *KYC) { k.Country = "Narnia" }, se, false},
		{"country disagrees with personid", func(k *KYC) { k.Country = "FI" }, se, false},
		{"no personid in SE", func(k *KYC) { k.PersonID = "" }, se, false},
		{"bad personid", func(k *KYC) { k.PersonID = "SE197901311234" }, se, false},
		{"dob differs from personid", func(k *KYC) { k.DOB = "1979-01-30" }, se, false},
		{"no kycentityid in NL", func(k *KYC) { k.KYCEntityID = "" }, nl, false},
		{"no kycentityid in SE", func(k *KYC) { k.KYCEntityID = "" }, se, true},
		{"no first name", func(k *KYC) { k.FirstName = " " }, nl, false},
		{"no last name", func(k *KYC) { k.LastName = "" }, nl, false},
		{"no dob", func(k *KYC) { k.DOB = "" }, nl, false},
		{"dob format", func(k *KYC) { k.DOB = "14.07.1975" }, nl, false},
		{"dob before 1900", func(k *KYC) { k.DOB = "1899-12-31" }, nl, false},
		{"long name", func(k *KYC) { k.FirstName = strings.Repeat("a", 101) }, nl, false},
		{"control character", func(k *KYC) { k.City = "Den\x00Haag" }, nl, false},
		{"invalid utf-8", func(k *KYC) { k.LastName = "de \xffVries" }, nl, false},
		{"long kycentityid", func(k *KYC) { k.KYCEntityID = strings.Repeat("k", 65) }, nl, false},
	} {
		k := tt.base
		tt.change(&k)
		if _, err := ParseIdentity(k); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrIdentity)) {
			t.Errorf("%s: ParseIdentity = %v; want ok %t", tt.name, err, tt.ok)
		}
	}
}

func TestFromKYC(t *testing.T) {
	d := &trustly.KYCData{Common: trustly.Common{Attributes: map[string]string{"personid": "SE196512171957",
		"firstname": "Joe", "lastname": "Johnson", "dob": "1965-12-17", "street": "Street 10", "zipcode": "11253",
		"city": "STOCKHOLM", "country": "Sweden"}}, KYCEntityID: "29a750aa", Abort: true, AbortMessage: "unverified"}
	want := KYC{Abort: true, AbortMessage: "unverified", KYCEntityID: "29a750aa", PersonID: "SE196512171957", FirstName: "Joe",
		LastName: "Johnson", DOB: "1965-12-17", Street: "Street 10", Zipcode: "11253", City: "STOCKHOLM", Country: "Sweden"}
	if got := FromKYC(d); got != want {
		t.Errorf("FromKYC = %+v; want %+v", got, want)
	}
}
