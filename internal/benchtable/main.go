// Command benchtable reads the output of `go test -bench` on its standard input,
// writes it through unchanged, and at the end writes one Markdown table of every
// ratio the benchmarks reported and every metric with a goal, each beside its goal
// and whether it was met:
//
//	go test -run '^$' -bench . ./... | go run ./internal/benchtable
//
// `make bench` runs it so, with pipefail, so a failing benchmark still fails the
// run. The goals are the table below (issue 14); a ratio without a goal is listed
// with goal "—". Nothing here fails on a goal missed: the table is for reading.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// goal is what one metric of one benchmark should reach.
type goal struct {
	op    string // "≥", "≤", "<", ">"; "" when the metric is only reported
	value float64
}

func (g goal) String() string {
	if g.op == "" {
		return "—"
	}
	return g.op + " " + strconv.FormatFloat(g.value, 'g', -1, 64)
}

// met reports whether v reaches the goal: "yes", "no", or "—" without one.
func (g goal) met(v float64) string {
	var ok bool
	switch g.op {
	case "≥":
		ok = v >= g.value
	case "≤":
		ok = v <= g.value
	case "<":
		ok = v < g.value
	case ">":
		ok = v > g.value
	default:
		return "—"
	}
	if ok {
		return "yes"
	}
	return "no"
}

// rule gives a goal to a metric of the benchmarks it names: one benchmark and
// its sub-benchmarks, or with prefix every benchmark whose name starts so.
type rule struct {
	bench  string
	prefix bool
	metric string
	goal   goal
}

// reportedOnly is the goal of a metric listed without one.
var reportedOnly = goal{}

// rules are the goals of issue 14, first match wins.
var rules = []rule{
	{bench: "BenchmarkNotifyEndpoint", metric: "ratio", goal: goal{"≥", 0.85}},
	// The same ratio from CPU time per notification: what the rate ratio comes to
	// on a machine doing nothing else.
	{bench: "BenchmarkNotifyEndpoint", metric: "cpu-ratio", goal: goal{"≥", 0.85}},
	// 0.85 of the bare rate leaves a notification 1.07 ms / 0.85 - 1.07 ms ≈ 190 µs
	// of CPU besides RSA.
	{bench: "BenchmarkNotifyOverhead", prefix: true, metric: "overhead-cpu-µs/op", goal: goal{"≤", 190}},
	{bench: "BenchmarkCashierPage", metric: "ratio", goal: goal{"≥", 0.5}},
	{bench: "BenchmarkCashierPageConcurrent", metric: "p99-ms", goal: goal{"<", 10}},
	// A full database against an empty one: flat in history.
	{bench: "BenchmarkHistory", prefix: true, metric: "ratio", goal: goal{"≤", 1.2}},
	// The endpoint's ceiling: the same HTTP and cryptography without the database.
	{bench: "BenchmarkNotifyCeiling", metric: "cpu-ratio", goal: reportedOnly},
	// PostgreSQL beside the same run's bare rate: reported only.
	{bench: "BenchmarkNotifyPostgres", prefix: true, metric: "ratio", goal: reportedOnly},
}

// goalOf is the goal of metric of benchmark name (without its -N suffix); ok
// is false when the metric is not for the table: neither a ratio nor one with a
// goal.
func goalOf(name, metric string) (g goal, ok bool) {
	for _, r := range rules {
		if r.metric != metric {
			continue
		}
		if r.prefix && strings.HasPrefix(name, r.bench) || name == r.bench || strings.HasPrefix(name, r.bench+"/") {
			return r.goal, true
		}
	}
	return reportedOnly, metric == "ratio"
}

// row is one line of the table.
type row struct {
	bench, metric, value string
	goal                 goal
	v                    float64
}

var (
	// procs is the -N suffix go test adds to a benchmark's name (GOMAXPROCS).
	procs = regexp.MustCompile(`-\d+$`)
	// resultLine is a benchmark's result: its name, iterations and measurements.
	resultLine = regexp.MustCompile(`^(Benchmark\S*)\s+(\d+)\s+(.*)$`)
	// nameLine is a benchmark's name written before it ran, when something else
	// (a log line) came before its result; valuesLine is that result.
	nameLine   = regexp.MustCompile(`^(Benchmark\S*)\s`)
	valuesLine = regexp.MustCompile(`^\s*(\d+)\s+(.*)$`)
)

// measurements reads "123 ns/op  0.5 ratio" into metric, value pairs; ok is
// false when the text is not a benchmark's measurements (no ns/op).
func measurements(s string) (pairs [][2]string, ok bool) {
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i += 2 {
		if _, err := strconv.ParseFloat(f[i], 64); err != nil {
			return nil, false
		}
		pairs = append(pairs, [2]string{f[i+1], f[i]})
		ok = ok || f[i+1] == "ns/op"
	}
	return pairs, ok
}

// run copies r to w and then writes the table of what it read.
func run(r io.Reader, w io.Writer) error {
	var rows []row
	pending := "" // a benchmark whose name was written but not yet its result
	add := func(name, rest string) bool {
		pairs, ok := measurements(rest)
		if !ok {
			return false
		}
		name = procs.ReplaceAllString(name, "")
		for _, p := range pairs {
			g, listed := goalOf(name, p[0])
			if !listed {
				continue
			}
			v, _ := strconv.ParseFloat(p[1], 64)
			rows = append(rows, row{bench: name, metric: p[0], value: p[1], goal: g, v: v})
		}
		return true
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		switch m := resultLine.FindStringSubmatch(line); {
		case m != nil && add(m[1], m[3]):
			pending = ""
		case nameLine.MatchString(line):
			pending = nameLine.FindStringSubmatch(line)[1]
		case pending != "":
			if v := valuesLine.FindStringSubmatch(line); v != nil && add(pending, v[2]) {
				pending = ""
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No ratio or goal was reported.")
		return err
	}
	fmt.Fprintln(w, "| Benchmark | Metric | Value | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---:|---|---|")
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.bench, r.metric, r.value, r.goal, r.goal.met(r.v)); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}
