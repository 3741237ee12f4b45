package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	src := "a := 1\nif x != 1 {\n\treturn\n}\nb := 2\nb := 2\n"
	for _, tt := range []struct {
		name, from, to string
		want           string // the mutated source; empty when not applied
	}{
		{"found once", "if x != 1 {", "if false {", "a := 1\nif false {\n\treturn\n}\nb := 2\nb := 2\n"},
		{"over lines", "{\n\treturn\n}", "{\n}", "a := 1\nif x != 1 {\n}\nb := 2\nb := 2\n"},
		{"deleted", "a := 1\n", "", "if x != 1 {\n\treturn\n}\nb := 2\nb := 2\n"},
		{"not found", "if x == 1 {", "if true {", ""},
		{"ambiguous", "b := 2", "b := 3", ""},
	} {
		got, err := Mutation{Name: tt.name, File: "f.go", From: tt.from, To: tt.to}.Apply(src)
		if tt.want == "" {
			if !errors.Is(err, ErrNotApplied) {
				t.Errorf("%s: got %q, %v; want ErrNotApplied", tt.name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestParseList(t *testing.T) {
	in := `# a comment
name: one
file: cashier/ledger/ledger.go
from:   if a {   
to:   "if false {\n\t"
run:  TestPost

# between entries
name: two
file: trustly/client.go
from: x
to:
pkgs: ./trustly ./cashier
`
	got, err := ParseList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d mutations, want 2: %+v", len(got), got)
	}
	one, two := got[0], got[1]
	if one.Name != "one" || one.From != "if a {" || one.To != "if false {\n\t" || one.Run != "TestPost" ||
		strings.Join(one.Pkgs, " ") != "./cashier/ledger" || one.Line != 2 {
		t.Errorf("got %+v", one)
	}
	if two.Name != "two" || two.To != "" || strings.Join(two.Pkgs, " ") != "./trustly ./cashier" || two.Run != "" {
		t.Errorf("got %+v", two)
	}

	for _, tt := range []struct{ name, in, want string }{
		{"missing from", "name: a\nfile: f.go\nto: x\n", "has no from"},
		{"missing to", "name: a\nfile: f.go\nfrom: x\n", "has no to"},
		{"same name", "name: a\nfile: f.go\nfrom: x\nto: y\n\nname: a\nfile: f.go\nfrom: z\nto: y\n", "used twice"},
		{"unknown key", "name: a\nfile: f.go\nfrom: x\nto: y\nrn: TestX\n", "unknown key"},
		{"key twice", "name: a\nfile: f.go\nfrom: x\nfrom: y\nto: y\n", "given twice"},
		{"no change", "name: a\nfile: f.go\nfrom: x\nto: x\n", "the same"},
		{"bad quote", "name: a\nfile: f.go\nfrom: \"x\nto: y\n", "bad quoted value"},
		{"no colon", "name: a\nfile f.go\n", "key: value"},
	} {
		if _, err := ParseList(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestMutationList reads the list `make mutate` runs: it parses, and every entry
// names a file and packages that exist. Whether each snippet still applies is
// `go run ./internal/mutate -check`, so a refactoring elsewhere does not fail this.
func TestMutationList(t *testing.T) {
	f, err := os.Open("mutations.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	muts, err := ParseList(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(muts) < 35 {
		t.Errorf("got %d mutations, want at least 35", len(muts))
	}
	root := filepath.Join("..", "..")
	for _, m := range muts {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(m.File))); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		for _, p := range m.Pkgs {
			if !strings.HasPrefix(p, "./") {
				t.Errorf("%s: package %q is not a ./ path", m.Name, p)
			} else if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: package %s: %v", m.Name, p, err)
			}
		}
	}
}
