// Command mutate checks that the tests of the money paths catch deliberate bugs.
// It reads a list of mutations (mutations.txt next to this file), and for each one
// changes one snippet in a copy of the repository, runs the tests of the packages
// the entry names and reports whether they failed (caught) or passed (survived):
//
//	go run ./internal/mutate                 # every mutation: `make mutate`
//	go run ./internal/mutate -only NAME,NAME # some of them
//	go run ./internal/mutate -check          # only whether each snippet still applies
//
// The repository itself is never changed: the tool copies the files git knows of
// (tracked and untracked, not ignored) to a temporary directory, mutates one file
// there at a time and restores it before the next. The environment is passed
// through to `go test`, so TEST_DATABASE_URL (and CI=true) make every storetest
// test run on PostgreSQL as well as SQLite.
//
// A mutation whose snippet is no longer in its file exactly once is "not applied";
// one that does not compile is "invalid". Both mean the list must be mended, and
// neither counts as caught. The exit status is 0 only when every mutation applied,
// compiled and was caught.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Outcome is what one mutation's test run showed.
type Outcome string

const (
	Caught     Outcome = "caught"      // the tests failed
	Survived   Outcome = "SURVIVED"    // the tests passed with the bug in place
	Invalid    Outcome = "invalid"     // the mutated code did not compile: mend the list
	NotApplied Outcome = "not applied" // the snippet is not in the file exactly once: mend the list
)

func main() {
	listPath := flag.String("list", "internal/mutate/mutations.txt", "mutation list; a relative path is from the repository root")
	only := flag.String("only", "", "comma-separated names of the mutations to run (default: all)")
	check := flag.Bool("check", false, "only check that every snippet applies; run no tests")
	timeout := flag.Duration("timeout", 5*time.Minute, "test time limit per mutation")
	baseline := flag.Bool("baseline", true, "first run the unmutated tests of the listed packages, which must pass")
	verbose := flag.Bool("v", false, "print the test output of every mutation, not only of survivors and invalid ones")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, options{list: *listPath, only: *only, check: *check, timeout: *timeout,
		baseline: *baseline, verbose: *verbose, out: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

type options struct {
	list, only string
	check      bool
	timeout    time.Duration
	baseline   bool
	verbose    bool
	out        io.Writer
}

func run(ctx context.Context, o options) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	if !filepath.IsAbs(o.list) {
		o.list = filepath.Join(root, o.list)
	}
	f, err := os.Open(o.list)
	if err != nil {
		return 0, err
	}
	muts, err := ParseList(f)
	f.Close()
	if err != nil {
		return 0, err
	}
	if o.only != "" {
		if muts, err = selectNames(muts, strings.Split(o.only, ",")); err != nil {
			return 0, err
		}
	}

	if o.check {
		bad := 0
		for _, m := range muts {
			if _, err := mutated(root, m); err != nil {
				bad++
				fmt.Fprintf(o.out, "%-11s %s (line %d): %v\n", NotApplied, m.Name, m.Line, err)
			}
		}
		fmt.Fprintf(o.out, "%d of %d mutations apply\n", len(muts)-bad, len(muts))
		if bad > 0 {
			return 1, nil
		}
		return 0, nil
	}

	if os.Getenv("TEST_DATABASE_URL") == "" {
		fmt.Fprintln(o.out, "warning: TEST_DATABASE_URL is not set: the PostgreSQL half of every storetest test is skipped")
	}
	tmp, err := copyRepo(root)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	// The copy has only the files git knows of: the browser tests find the
	// checkout's axe-core (.cache/axe, ignored by git) through AXE_CORE.
	if axe := filepath.Join(root, ".cache/axe/node_modules/axe-core/axe.min.js"); os.Getenv("AXE_CORE") == "" {
		if _, err := os.Stat(axe); err == nil {
			os.Setenv("AXE_CORE", axe)
		}
	}

	if o.baseline {
		pkgs, runs := baselineOf(muts)
		fmt.Fprintf(o.out, "baseline: %s\n", strings.Join(pkgs, " "))
		res := goTest(ctx, tmp, pkgs, runs, o.timeout*2)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if res.err != nil {
			fmt.Fprintf(o.out, "%s\n", res.output)
			return 0, fmt.Errorf("the unmutated tests fail (%v): every mutation would look caught", res.err)
		}
		fmt.Fprintf(o.out, "baseline passes (%.0fs)\n", res.took.Seconds())
	}

	results := map[Outcome][]string{}
	start := time.Now()
	for i, m := range muts {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		outcome, detail, output := try(ctx, tmp, m, o.timeout)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		results[outcome] = append(results[outcome], m.Name)
		fmt.Fprintf(o.out, "[%d/%d] %-11s %s: %s\n", i+1, len(muts), outcome, m.Name, detail)
		if o.verbose || outcome == Survived || outcome == Invalid {
			fmt.Fprintf(o.out, "%s\n", indent(output))
		}
	}

	tested := len(muts) - len(results[NotApplied]) - len(results[Invalid])
	fmt.Fprintf(o.out, "\nscore: %d of %d caught (%d listed, %d not applied, %d invalid) in %s\n",
		len(results[Caught]), tested, len(muts), len(results[NotApplied]), len(results[Invalid]),
		time.Since(start).Round(time.Second))
	for _, k := range []Outcome{Survived, NotApplied, Invalid} {
		if len(results[k]) > 0 {
			fmt.Fprintf(o.out, "%s: %s\n", k, strings.Join(results[k], ", "))
		}
	}
	if len(results[Caught]) != len(muts) {
		return 1, nil
	}
	return 0, nil
}

// try applies m in the copy at tmp, runs its tests and restores the file.
func try(ctx context.Context, tmp string, m Mutation, timeout time.Duration) (Outcome, string, string) {
	src, err := mutated(tmp, m)
	if err != nil {
		return NotApplied, err.Error(), ""
	}
	dst := filepath.Join(tmp, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(dst)
	if err != nil {
		return NotApplied, err.Error(), ""
	}
	if err := os.WriteFile(dst, []byte(src), 0o644); err != nil {
		return NotApplied, err.Error(), ""
	}
	defer os.WriteFile(dst, orig, 0o644)

	res := goTest(ctx, tmp, m.Pkgs, m.Run, timeout)
	took := fmt.Sprintf("%.0fs", res.took.Seconds())
	switch {
	case res.err == nil:
		return Survived, "tests pass with it in " + took, res.output
	case buildFailed.MatchString(res.output):
		return Invalid, "does not compile", res.output
	case res.timedOut:
		return Caught, "tests timed out after " + took, res.output
	}
	failed := failedTests(res.output)
	if len(failed) == 0 {
		return Caught, "go test failed in " + took, res.output
	}
	return Caught, "by " + strings.Join(failed, ", ") + " in " + took, res.output
}

// mutated reads m.File from the repository and applies m.
func mutated(root string, m Mutation) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotApplied, err)
	}
	return m.Apply(string(b))
}

var (
	buildFailed = regexp.MustCompile(`\[(build|setup) failed\]`)
	failLine    = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)
)

// failedTests names the failed tests of a go test output, outermost first, at
// most three.
func failedTests(output string) []string {
	var names []string
	for _, m := range failLine.FindAllStringSubmatch(output, -1) {
		name, _, _ := strings.Cut(m[1], "/")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	return names
}

type testResult struct {
	err      error
	output   string
	took     time.Duration
	timedOut bool
}

// goTest runs go test in dir with the environment passed through. The test
// processes run in a process group of their own, killed as a whole on timeout or
// interrupt.
func goTest(ctx context.Context, dir string, pkgs []string, runFilter string, timeout time.Duration) testResult {
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-timeout", timeout.String()}
	if runFilter != "" {
		args = append(args, "-run", runFilter)
	}
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	return testResult{err: err, output: out.String(), took: time.Since(start),
		timedOut: errors.Is(ctx.Err(), context.DeadlineExceeded) || strings.Contains(out.String(), "panic: test timed out")}
}

// baselineOf is every package the mutations test, and the union of their -run
// filters (empty when one of them runs every test).
func baselineOf(muts []Mutation) (pkgs []string, runFilter string) {
	var runs []string
	all := false
	for _, m := range muts {
		for _, p := range m.Pkgs {
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
		if m.Run == "" {
			all = true
		} else if !slices.Contains(runs, m.Run) {
			runs = append(runs, m.Run)
		}
	}
	if all {
		return pkgs, ""
	}
	return pkgs, strings.Join(runs, "|")
}

func selectNames(muts []Mutation, names []string) ([]Mutation, error) {
	var out []Mutation
	for _, n := range names {
		i := slices.IndexFunc(muts, func(m Mutation) bool { return m.Name == strings.TrimSpace(n) })
		if i < 0 {
			return nil, fmt.Errorf("no mutation named %q", n)
		}
		out = append(out, muts[i])
	}
	return out, nil
}

// repoRoot is the directory of the go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// copyRepo copies the files git knows of, tracked or untracked but not ignored, as
// they are in the working tree, to a new temporary directory.
func copyRepo(root string) (string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	list, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("list the repository's files: %w", err)
	}
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return "", err
	}
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
			continue // deleted in the working tree, or not a regular file
		}
		if err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
		b, err := os.ReadFile(src)
		if err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
		dst := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return "    | " + strings.ReplaceAll(s, "\n", "\n    | ")
}
