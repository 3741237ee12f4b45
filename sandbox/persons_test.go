package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPersons checks the test persons as a strict merchant reads their kyc: a valid
// personid of the right country in SE, FI and EE whose birth date is the dob, none
// in NL; per market two adults, one person under 18 (until 2032) and one
// self-excluded adult; unique ids and valid accounts that belong to one person.
func TestPersons(t *testing.T) {
	ids, accounts := map[string]bool{}, map[string]string{}
	type tally struct{ adults, minors, excluded int }
	markets := map[string]*tally{"SE": {}, "FI": {}, "EE": {}, "NL": {}}
	for _, p := range Persons {
		m, ok := markets[p.Country]
		if !ok {
			t.Errorf("%s: country %q is not a Pay N Play market", p.ID, p.Country)
			continue
		}
		if ids[p.ID] || !strings.HasPrefix(p.ID, strings.ToLower(p.Country)+"-") {
			t.Errorf("%s: id repeated or not prefixed with its country", p.ID)
		}
		ids[p.ID] = true
		if p.Firstname == "" || p.Lastname == "" || p.Street == "" || p.Zipcode == "" || p.City == "" {
			t.Errorf("%s: name or address missing: %+v", p.ID, p)
		}
		if _, err := time.Parse(time.DateOnly, p.DOB); err != nil {
			t.Errorf("%s: dob %q: %v", p.ID, p.DOB, err)
		}
		switch born, err := personIDBirthDate(p.PersonID); {
		case p.Country == "NL" && p.PersonID != "":
			t.Errorf("%s: NL has no personid, got %q", p.ID, p.PersonID)
		case p.Country == "NL":
		case err != nil || !strings.HasPrefix(p.PersonID, p.Country):
			t.Errorf("%s: personid %q: %v", p.ID, p.PersonID, err)
		case born != p.DOB:
			t.Errorf("%s: personid %s encodes %s, dob is %s", p.ID, p.PersonID, born, p.DOB)
		}
		minor := underage(p.DOB, time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC))
		if minor != underage(p.DOB, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || minor != (p.Note == "under 18") {
			t.Errorf("%s: under 18 only for part of 2026–2031, or the note %q does not say so", p.ID, p.Note)
		}
		switch {
		case minor && p.SelfExcluded:
			t.Errorf("%s: both under 18 and self-excluded; a test could not tell which rule refused", p.ID)
		case minor:
			m.minors++
		case p.SelfExcluded:
			m.excluded++
		default:
			m.adults++
		}
		if len(p.Accounts) == 0 {
			t.Errorf("%s: no account", p.ID)
		}
		for _, a := range p.Accounts {
			key := a.ClearingHouse + "/" + a.BankNumber + "/" + a.AccountNumber
			if owner, dup := accounts[key]; dup {
				t.Errorf("%s: account %s also belongs to %s", p.ID, key, owner)
			}
			accounts[key] = p.ID
			if !validAccount(a.ClearingHouse, a.BankNumber, a.AccountNumber) {
				t.Errorf("%s: account %s is not valid", p.ID, key)
			}
		}
	}
	for c, m := range markets {
		if m.adults < 2 || m.minors != 1 || m.excluded != 1 {
			t.Errorf("%s has %d adults, %d under 18, %d self-excluded; want ≥2, 1, 1", c, m.adults, m.minors, m.excluded)
		}
	}
}

// personIDBirthDate checks a personid with its country prefix and returns the birth
// date it encodes. It is written apart from the cashier's parser on purpose: the
// two must agree for the sandbox's persons to be accepted.
func personIDBirthDate(pid string) (string, error) {
	if len(pid) < 2 {
		return "", fmt.Errorf("too short")
	}
	n := pid[2:]
	digits := func(s string) []int {
		var d []int
		for _, r := range s {
			if r < '0' || r > '9' {
				return nil
			}
			d = append(d, int(r-'0'))
		}
		return d
	}
	date := func(y int, mmdd string) (string, error) {
		s := fmt.Sprintf("%04d-%s-%s", y, mmdd[:2], mmdd[2:])
		_, err := time.Parse(time.DateOnly, s)
		return s, err
	}
	switch pid[:2] {
	case "SE": // YYYYMMDD NNN C, Luhn over the last ten digits
		d := digits(n)
		if len(d) != 12 {
			return "", fmt.Errorf("SE personnummer has 12 digits")
		}
		sum := 0
		for i, v := range d[2:] {
			if i%2 == 0 {
				v *= 2
			}
			sum += v/10 + v%10
		}
		if sum%10 != 0 {
			return "", fmt.Errorf("SE Luhn check fails")
		}
		y, _ := strconv.Atoi(n[:4])
		return date(y, n[4:8])
	case "FI": // DDMMYY, century sign, NNN, control character = DDMMYYNNN mod 31
		if len(n) != 11 || digits(n[:6]) == nil || digits(n[7:10]) == nil {
			return "", fmt.Errorf("FI henkilötunnus is DDMMYY?NNNC")
		}
		century := map[byte]int{'+': 1800, '-': 1900, 'A': 2000}[n[6]]
		v, _ := strconv.Atoi(n[:6] + n[7:10])
		if century == 0 || "0123456789ABCDEFHJKLMNPRSTUVWXY"[v%31] != n[10] {
			return "", fmt.Errorf("FI century sign or control character wrong")
		}
		y, _ := strconv.Atoi(n[4:6])
		return date(century+y, n[2:4]+n[:2])
	case "EE": // G YYMMDD NNN C; weights 1..9,1, else 3..9,1..3
		d := digits(n)
		if len(d) != 11 || d[0] < 1 || d[0] > 6 {
			return "", fmt.Errorf("EE isikukood has 11 digits, the first 1–6")
		}
		check := func(w []int) int {
			s := 0
			for i, x := range w {
				s += d[i] * x
			}
			return s % 11
		}
		c := check([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 1})
		if c == 10 {
			if c = check([]int{3, 4, 5, 6, 7, 8, 9, 1, 2, 3}); c == 10 {
				c = 0
			}
		}
		if c != d[10] {
			return "", fmt.Errorf("EE checksum wrong")
		}
		y, _ := strconv.Atoi(n[1:3])
		return date(1800+(d[0]-1)/2*100+y, n[3:7])
	}
	return "", fmt.Errorf("no personid in country %q", pid[:2])
}
