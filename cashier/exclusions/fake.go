package exclusions

import (
	"context"
	"fmt"
	"strings"
)

// FakeEntry is one excluded person of a Fake register. An entry matches a person of
// its country by PersonID, or by first name, last name and date of birth together
// (names compared without regard to case or extra spaces), as a register that also
// finds persons without a national id would.
type FakeEntry struct {
	Country   string
	PersonID  string // canonical, without country prefix (see Person.PersonID); "" in NL
	FirstName string
	LastName  string
	DOB       string
}

// Fake is a register held in memory, for the sandbox mode and tests: the persons in
// Entries are excluded, everyone else is not. It answers at once and never fails.
type Fake struct {
	Entries []FakeEntry
}

// Check answers whether p matches an entry; Register is "fake" and Reference names
// the entry ("fake:2") or says no entry matched ("fake:none").
func (f *Fake) Check(_ context.Context, p Person) (Result, error) {
	for i, e := range f.Entries {
		if e.matches(p) {
			return Result{Excluded: true, Register: "fake", Reference: fmt.Sprintf("fake:%d", i)}, nil
		}
	}
	return Result{Register: "fake", Reference: "fake:none"}, nil
}

func (e FakeEntry) matches(p Person) bool {
	if e.Country != p.Country {
		return false
	}
	if e.PersonID != "" && e.PersonID == p.PersonID {
		return true
	}
	return e.DOB != "" && e.DOB == p.DOB && sameName(e.FirstName, p.FirstName) && sameName(e.LastName, p.LastName)
}

func sameName(a, b string) bool {
	a, b = strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")
	return a != "" && strings.EqualFold(a, b)
}

// SandboxEntries are the sandbox bank's self-excluded test persons (sandbox.Persons
// with SelfExcluded set), one per Pay N Play market. The sandbox mode's Fake holds
// them, so a kyc for one of them is answered FINISH as a real register would make
// us answer; a test checks that they match exactly the sandbox's. The personids
// are the valid forms (with their check digits) of the sandbox's; they match by
// name and date of birth as well.
var SandboxEntries = []FakeEntry{
	{Country: "SE", PersonID: "198502021119", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02"},
	{Country: "FI", PersonID: "020280-123H", FirstName: "Pekka", LastName: "Suljettu", DOB: "1980-02-02"},
	{Country: "EE", PersonID: "37505050004", FirstName: "Jaan", LastName: "Keeld", DOB: "1975-05-05"},
	{Country: "NL", FirstName: "Piet", LastName: "Uitgesloten", DOB: "1970-10-10"},
}

// Sandbox returns the checker the sandbox mode uses: a Fake of SandboxEntries for
// every country.
func Sandbox() *Fake {
	return &Fake{Entries: append([]FakeEntry(nil), SandboxEntries...)}
}
