package main

import (
	"os/exec"
	"testing"
)

// TestREADMEKeysIgnoredByGit: the README's steps for Trustly's test environment make
// the merchant key pair in the working copy (`go run ./cmd/trustly keygen --out
// keys`) and keep Trustly's key beside it; the data directory of `make run` and the
// state of `make sandbox` hold generated keys and secrets too. None of them may
// be one `git add .` away from a commit in an operator's fork: keys/private.pem
// signs every request to Trustly. keys/ was not ignored.
func TestREADMEKeysIgnoredByGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git on this machine")
	}
	if err := exec.Command("git", "-C", "../..", "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skip("not in a git working copy")
	}
	for _, path := range []string{"keys/private.pem", "keys/public.pem", "keys/trustly-test.pem",
		"data/merchant-private.pem", "data/session-key", "sandbox-data/merchant/private.pem", "sandbox-data/sandbox-private.pem"} {
		if err := exec.Command("git", "-C", "../..", "check-ignore", "-q", "--no-index", path).Run(); err != nil {
			t.Errorf("%s is not ignored by git (git check-ignore: %v)", path, err)
		}
	}
}
