package failpoint

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestHitKills runs this test binary again with a failpoint turned on and checks
// that Hit killed it with SIGKILL before the next line ran.
func TestHitKills(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		Hit("payout.after_call")
		os.Stdout.WriteString("survived\n")
		return
	}
	for _, tt := range []struct {
		env    string
		killed bool
	}{{"payout.after_call", true}, {"deposit.before_call, payout.after_call", true}, {"deposit.before_call", false}, {"", false}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHitKills$")
		cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvVar+"="+tt.env)
		out, err := cmd.Output()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if killed != tt.killed || killed == strings.Contains(string(out), "survived") {
			t.Errorf("CASHIER_FAILPOINT=%q: killed %t, output %q, err %v; want killed %t", tt.env, killed, out, err, tt.killed)
		}
	}
}

func TestCheck(t *testing.T) {
	defer func(saved map[string]bool) { on = saved }(on)
	for _, tt := range []struct {
		env string
		ok  bool
	}{{"", true}, {"notify.after_commit", true}, {"notify.after_commit,payout.after_call", true}, {"notify.after_comit", false}} {
		on = parse(tt.env)
		if err := Check(); (err == nil) != tt.ok {
			t.Errorf("Check with %q = %v; want ok %t", tt.env, err, tt.ok)
		}
	}
}

// TestEveryNameIsPlaced checks that each listed failpoint is hit exactly once in
// the module's code, and that no Hit names a failpoint missing from Names.
func TestEveryNameIsPlaced(t *testing.T) {
	count := map[string]int{}
	hit := regexp.MustCompile(`failpoint\.Hit\("([^"]+)"\)`)
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range hit.FindAllStringSubmatch(string(b), -1) {
			count[m[1]]++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names {
		if count[name] != 1 {
			t.Errorf("failpoint %s is hit in %d places; want 1", name, count[name])
		}
		delete(count, name)
	}
	for name := range count {
		t.Errorf("failpoint.Hit(%q) names no listed failpoint", name)
	}
}
