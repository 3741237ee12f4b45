package sandbox

import (
	"slices"
	"testing"
	"time"
)

// TestNamedPersonDetails: the named person's personid is the order's number with
// its country code first, the date of birth is the number's where it holds one,
// and the accounts are valid, the same for the same names and number, none a
// test person's, and others for other names.
func TestNamedPersonDetails(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		country, nin, personID, dob string
	}{
		{"SE", "", "", ""},
		{"SE", "199003151231", "SE199003151231", "1990-03-15"},
		{"SE", "SE 19900315-1231", "SE199003151231", "1990-03-15"},
		{"SE", "900315-1231", "SE199003151231", "1990-03-15"},
		{"SE", "200315-1231", "SE202003151231", "2020-03-15"},
		{"SE", "000315-1231", "SE200003151231", "2000-03-15"},
		{"SE", "000315+1231", "SE190003151231", "1900-03-15"},
		{"SE", "270315-1231", "SE192703151231", "1927-03-15"},
		{"FI", "131052-308T", "FI131052-308T", "1952-10-13"},
		{"FI", "150590A123X", "FI150590A123X", "2090-05-15"},
		{"FI", "150590+123X", "FI150590+123X", "1890-05-15"},
		{"EE", "39001010000", "EE39001010000", "1990-01-01"},
		{"EE", "EE 6 0001 01 0000", "EE60001010000", "2000-01-01"},
		{"EE", "79001010000", "EE79001010000", ""},
		{"NL", "", "", ""},
		{"SE", "12345", "SE12345", ""},
	} {
		o := &Order{Country: tt.country, Firstname: "Anna", Lastname: "Andersson", NationalID: tt.nin, CreatedAt: at}
		p, ok := namedPerson(o)
		if !ok {
			t.Errorf("%s %q: no named person", tt.country, tt.nin)
			continue
		}
		if p.ID != NamedPersonID || p.Country != tt.country || p.PersonID != tt.personID || p.DOB != tt.dob ||
			p.Firstname != "Anna" || p.Lastname != "Andersson" {
			t.Errorf("%s %q: %s %s %s %s, personid %q, dob %q; want %s Anna Andersson, personid %q, dob %q", tt.country, tt.nin,
				p.ID, p.Country, p.Firstname, p.Lastname, p.PersonID, p.DOB, tt.country, tt.personID, tt.dob)
		}
		if len(p.Accounts) == 0 || len(p.Accounts) > 2 {
			t.Errorf("%s %q: %d accounts, want one or two", tt.country, tt.nin, len(p.Accounts))
		}
		for _, a := range p.Accounts {
			if !validAccount(a.ClearingHouse, a.BankNumber, a.AccountNumber) || a.ClearingHouse != clearingHouses[tt.country] {
				t.Errorf("%s %q: account %+v is not a valid %s account", tt.country, tt.nin, a, tt.country)
			}
			for _, fixed := range Persons {
				if slices.Contains(fixed.Accounts, a) {
					t.Errorf("%s %q: account %+v is %s's", tt.country, tt.nin, a, fixed.ID)
				}
			}
		}
		again, _ := namedPerson(&Order{Country: tt.country, Firstname: " anna ", Lastname: "ANDERSSON", NationalID: tt.nin, CreatedAt: at.Add(time.Hour)})
		if !slices.Equal(again.Accounts, p.Accounts) {
			t.Errorf("%s %q: accounts %v, then %v for the same names an hour later", tt.country, tt.nin, p.Accounts, again.Accounts)
		}
		other, _ := namedPerson(&Order{Country: tt.country, Firstname: "Anna", Lastname: "Berg", NationalID: tt.nin, CreatedAt: at})
		if slices.Equal(other.Accounts, p.Accounts) {
			t.Errorf("%s %q: Anna Berg has Anna Andersson's accounts %v", tt.country, tt.nin, p.Accounts)
		}
	}
}

// TestOrderPerson: the order's person is a test person by id, or the named person
// for "named" when the order names one, and nobody otherwise.
func TestOrderPerson(t *testing.T) {
	o := &Order{Country: "SE", Firstname: "Anna", Lastname: "Andersson"}
	for _, tt := range []struct {
		id, want string
		ok       bool
	}{{"se-adult2", "Lars", true}, {NamedPersonID, "Anna", true}, {"", "", false}, {"nobody", "", false}} {
		o.PersonID = tt.id
		p, ok := orderPerson(o)
		if ok != tt.ok || p.Firstname != tt.want {
			t.Errorf("orderPerson(%q) = %s, %t; want %s, %t", tt.id, p.Firstname, ok, tt.want, tt.ok)
		}
	}
	o.PersonID, o.RequestKYC = NamedPersonID, true
	if p, ok := orderPerson(o); ok {
		t.Errorf("Pay N Play order: orderPerson(named) = %s, want nobody", p.Firstname)
	}
}
