package main

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfigBlankRefused: every variable README's Configuration table lists, set
// to a value of only whitespace (a variable templated from something empty, a
// stray space in a .env file), stops the start with one line naming it, with the
// embedded sandbox and with Trustly's test environment alike; CASHIER_LOG_LEVEL
// and LOG_FORMAT stop it as their other bad values do. None is taken as unset, for
// its default. Before, most were: DATABASE_URL=" " opened a SQLite file named " "
// in the working directory, CASHIER_DATA=" " made a directory " " for the keys,
// and CASHIER_REALITY_CHECK, CASHIER_LIMIT_POLICY, CASHIER_EXCLUSIONS_NONE,
// CASHIER_TRUSTED_PROXIES, CASHIER_ADMIN_EMAIL, the log settings and others took
// their defaults without a word; so did cashier backup with DATABASE_URL or
// CASHIER_DATA blank.
func TestConfigBlankRefused(t *testing.T) {
	names := slices.Sorted(maps.Keys(readmeSettings(t)))
	withTrustly := reviewTrustlyEnv(t, nil)
	// A blank CASHIER_DATA or DATABASE_URL taken as a path is one in the working
	// directory: a temporary one, so that a regression leaves nothing in the tree.
	t.Chdir(t.TempDir())
	for _, name := range names {
		for _, blank := range []string{" ", "\t\n"} {
			if name == "LOG_FORMAT" || name == "CASHIER_LOG_LEVEL" {
				if log, code := startLog(nil, env(map[string]string{name: blank}), io.Discard); log != nil || code != 1 {
					t.Errorf("%s=%q: the logger was made (exit code %d); want the start stopped", name, blank, code)
				}
				continue
			}
			if name == "DATABASE_URL" || name == "CASHIER_DATA" {
				// cashier backup reads them without the rest of the configuration.
				dir := t.TempDir()
				err := runBackup(context.Background(), []string{"--to", filepath.Join(dir, "copy.db")}, env(map[string]string{name: blank}), io.Discard, quiet)
				if err == nil || !strings.HasPrefix(err.Error(), name+" ") {
					t.Errorf("cashier backup with %s=%q: %v; want an error naming it", name, blank, err)
				}
			}
			for _, trustly := range []bool{false, true} {
				m := map[string]string{"CASHIER_DATA": t.TempDir()}
				if trustly {
					m = maps.Clone(withTrustly)
				}
				m[name] = blank
				_, err := loadConfig(env(m), quiet)
				if err == nil || !strings.HasPrefix(err.Error(), name+" ") || !strings.Contains(err.Error(), "whitespace") {
					t.Errorf("%s=%q (Trustly %t): %v; want an error starting with %s, saying it is only whitespace", name, blank, trustly, err, name)
				}
			}
		}
	}
}
