package main

import (
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/internal/failpoint"
)

// readmeSettings is every variable README's "Configuration" table names in its
// first column, with the suffixes a row gives its registers' names
// (CASHIER_SPELPAUS_URL's "Each takes `_API_KEY` … `_TIMEOUT`") added to each
// of that row's names ending in _URL.
func readmeSettings(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README has no "## Configuration" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	name, suffix := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`"), regexp.MustCompile("`(_[A-Z][A-Z0-9_]*)`")
	names := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		var row []string
		for _, m := range name.FindAllStringSubmatch(cells[0], -1) {
			row = append(row, m[1])
			names[m[1]] = true
		}
		for _, s := range suffix.FindAllStringSubmatch(strings.Join(cells[2:], " | "), -1) {
			for _, n := range row {
				if base, ok := strings.CutSuffix(n, "_URL"); ok {
					names[base+s[1]] = true
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("README's Configuration table names no variable")
	}
	return names
}

// recorder is a getenv that answers from its map and remembers every name asked.
type recorder struct {
	mu    sync.Mutex
	env   map[string]string
	asked map[string]bool
}

func (r *recorder) getenv(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked[name] = true
	return r.env[name]
}

// TestREADMEListsEverySetting: README's "Configuration" table and the code agree
// both ways. Every variable the cashier reads (asked through getenv while the
// logger and the configuration are read, with the embedded sandbox and with
// Trustly, and every getenv("…") written in cmd/cashier, plus the failpoints')
// is in the table, a NAME_FILE being its secret NAME's; and every variable the
// table names is read. A setting added to the code without a row, or a row left
// for a setting the code no longer reads, fails here.
func TestREADMEListsEverySetting(t *testing.T) {
	documented := readmeSettings(t)
	rec := &recorder{asked: map[string]bool{failpoint.EnvVar: true}}

	rec.env = map[string]string{"CASHIER_DATA": t.TempDir()}
	if log, _ := startLog(nil, rec.getenv, io.Discard); log == nil {
		t.Fatal("startLog refused an empty environment")
	}
	if _, err := loadConfig(rec.getenv, quiet); err != nil {
		t.Fatalf("embedded sandbox: %v", err)
	}
	rec.env = reviewTrustlyEnv(t, map[string]string{"CASHIER_PAYNPLAY": "SE=hybrid", "CASHIER_EXCLUSIONS_NONE": "SE",
		"TRUSTLY_CHECKOUT_ORIGIN": "https://test.trustly.com"})
	if _, err := loadConfig(rec.getenv, quiet); err != nil {
		t.Fatalf("Trustly's test environment: %v", err)
	}
	// What a path not taken above would read: the names written in the code.
	files, _ := filepath.Glob("*.go")
	literal := regexp.MustCompile(`(?:getenv|os\.Getenv|os\.LookupEnv|get)\("([A-Z][A-Z0-9_]*)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			rec.asked[m[1]] = true
		}
	}

	read := map[string]bool{}
	for name := range rec.asked {
		read[name] = true
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && documented[base] && !documented[name] {
			name = base // a secret's file: README says NAME_FILE once for every secret
			read[name] = true
		}
		if !documented[name] {
			t.Errorf("the cashier reads %s, which README's Configuration table does not list", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		if !read[name] {
			t.Errorf("README's Configuration table lists %s, which the cashier does not read", name)
		}
	}
}
