package exclusions

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// answer is a checker that always gives the same answer and counts its calls.
type answer struct {
	res   Result
	err   error
	calls int
}

func (a *answer) Check(context.Context, Person) (Result, error) { a.calls++; return a.res, a.err }

func TestRouter(t *testing.T) {
	se := &answer{res: Result{Excluded: true, Register: "Spelpaus", Reference: "r"}}
	nl := &answer{err: ErrUnavailable}
	r, err := NewRouter(map[string]Exclusions{"SE": se, "NL": nl, "FI": None{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Countries(), ","); got != "FI,NL,SE" {
		t.Errorf("Countries = %s; want FI,NL,SE", got)
	}
	if res, err := r.Check(context.Background(), Person{Country: "SE"}); err != nil || !res.Excluded || se.calls != 1 || nl.calls != 0 {
		t.Errorf("SE: %+v, %v; calls SE %d NL %d; want Spelpaus's answer", res, err, se.calls, nl.calls)
	}
	if _, err := r.Check(context.Background(), Person{Country: "NL"}); !errors.Is(err, ErrUnavailable) || nl.calls != 1 {
		t.Errorf("NL: %v; want the checker's ErrUnavailable", err)
	}
	if res, err := r.Check(context.Background(), Person{Country: "FI"}); err != nil || res.Excluded || res.Register != "none" {
		t.Errorf("FI: %+v, %v; want None's not excluded", res, err)
	}
	for _, c := range []string{"EE", "", "se"} {
		if _, err := r.Check(context.Background(), Person{Country: c}); !errors.Is(err, ErrNoRegister) {
			t.Errorf("%q: %v; want ErrNoRegister (fail closed)", c, err)
		}
	}
	for _, bad := range []map[string]Exclusions{{"se": None{}}, {"SWE": None{}}, {"S1": None{}}, {"SE": nil}} {
		if _, err := NewRouter(bad); err == nil {
			t.Errorf("NewRouter(%v) accepted", bad)
		}
	}
}

func TestFake(t *testing.T) {
	f := &Fake{Entries: []FakeEntry{
		{Country: "SE", PersonID: "198502021119", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02"},
		{Country: "NL", FirstName: "Piet", LastName: "Uitgesloten", DOB: "1970-10-10"},
	}}
	for _, tt := range []struct {
		name string
		p    Person
		want bool
	}{
		{"personid", Person{Country: "SE", PersonID: "198502021119"}, true},
		{"name and dob", Person{Country: "SE", PersonID: "198502021111", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02"}, true},
		{"name and dob, case and spaces", Person{Country: "NL", FirstName: " piet ", LastName: "UITGESLOTEN", DOB: "1970-10-10"}, true},
		{"other dob", Person{Country: "NL", FirstName: "Piet", LastName: "Uitgesloten", DOB: "1970-10-11"}, false},
		{"other name", Person{Country: "NL", FirstName: "Pieter", LastName: "Uitgesloten", DOB: "1970-10-10"}, false},
		{"other country", Person{Country: "FI", PersonID: "198502021119"}, false},
		{"someone else", Person{Country: "SE", PersonID: "197901311238", FirstName: "Åsa", LastName: "Öberg", DOB: "1979-01-31"}, false},
		{"empty", Person{}, false},
	} {
		res, err := f.Check(context.Background(), tt.p)
		if err != nil || res.Excluded != tt.want || res.Register != "fake" || res.Reference == "" {
			t.Errorf("%s: %+v, %v; want excluded %t", tt.name, res, err, tt.want)
		}
	}
}

// TestSandboxEntries: the sandbox mode's fake excludes exactly the sandbox bank's
// self-excluded test persons, with the personids the sandbox sends.
func TestSandboxEntries(t *testing.T) {
	x, excluded := Sandbox(), 0
	for _, p := range sandbox.Persons {
		q := Person{Country: p.Country, PersonID: strings.TrimPrefix(p.PersonID, p.Country),
			FirstName: p.Firstname, LastName: p.Lastname, DOB: p.DOB}
		res, err := x.Check(context.Background(), q)
		if err != nil || res.Excluded != p.SelfExcluded {
			t.Errorf("sandbox person %s: %+v, %v; want excluded %t", p.ID, res, err, p.SelfExcluded)
		}
		if p.SelfExcluded {
			excluded++
		}
	}
	if excluded != len(SandboxEntries) {
		t.Errorf("sandbox has %d self-excluded persons; SandboxEntries has %d", excluded, len(SandboxEntries))
	}
}

func TestPersonLogValue(t *testing.T) {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("check", "person", Person{Country: "SE", PersonID: "197901311238", FirstName: "Åsa", DOB: "1979-01-31"})
	if s := b.String(); strings.Contains(s, "1979013112") || strings.Contains(s, "Åsa") || !strings.Contains(s, "…38") {
		t.Errorf("log %q shows the identity", s)
	}
}

// TestShown: players read a real register by its name, and the sandbox's fake as
// the register of their country it stands in for, or a neutral name where the
// country has none; never "fake".
func TestShown(t *testing.T) {
	for _, tt := range []struct {
		register, country, english string
		arg                        any
	}{
		{"fake", "SE", "Spelpaus", "Spelpaus"},
		{"fake", "NL", "CRUKS", "CRUKS"},
		{"fake", "EE", "Estonian register of restricted persons", "Estonian register of restricted persons"},
		{"fake", "FI", "national self-exclusion register", models.Text{ID: "register.national"}},
		{"Spelpaus", "SE", "Spelpaus", "Spelpaus"},
		{"CRUKS", "NL", "CRUKS", "CRUKS"},
	} {
		english, arg := Shown(tt.register, tt.country)
		if english != tt.english || !reflect.DeepEqual(arg, tt.arg) {
			t.Errorf("Shown(%q, %q) = %q, %#v; want %q, %#v", tt.register, tt.country, english, arg, tt.english, tt.arg)
		}
	}
}
