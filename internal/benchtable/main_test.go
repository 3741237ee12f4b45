package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestRun reads testdata/sample.txt, go test -bench output captured from this
// repository's handlers and trustly benchmarks, followed by a package written by
// hand in the same format for the benchmarks other engineers add (BenchmarkHistory…,
// BenchmarkNotifyPostgres…), with a log line between a name and its result, a
// ratio without a goal, a skipped and a failed benchmark. The input comes out
// unchanged, then one table of every ratio and every metric with a goal.
func TestRun(t *testing.T) {
	in, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasPrefix(got, string(in)) {
		t.Fatalf("the input does not come out first, unchanged:\n%s", got)
	}
	table := strings.TrimPrefix(got, string(in))
	want := `
| Benchmark | Metric | Value | Goal | Met |
|---|---|---:|---|---|
| BenchmarkCashierPage | ratio | 0.1906 | ≥ 0.5 | no |
| BenchmarkCashierPageConcurrent | p99-ms | 32.57 | < 10 | no |
| BenchmarkNotifyEndpoint | ratio | 0.4450 | ≥ 0.85 | no |
| BenchmarkHistoryPage/full | ratio | 1.129 | ≤ 1.2 | yes |
| BenchmarkHistoryPayout | ratio | 1.41 | ≤ 1.2 | no |
| BenchmarkNotifyPostgres/one | ratio | 0.3551 | — | — |
| BenchmarkNotifyPostgres/two | ratio | 0.4870 | — | — |
| BenchmarkSeedRatio | ratio | 2.000 | — | — |
`
	if table != want {
		t.Errorf("table:\n%s\nwant:\n%s", table, want)
	}
}

// TestGoals: each goal is met exactly up to its bound, and a name's -N suffix
// and sub-benchmarks find their benchmark's goal, not a longer name's.
func TestGoals(t *testing.T) {
	for _, tt := range []struct {
		name, metric string
		v            float64
		goal, met    string
		listed       bool
	}{
		{"BenchmarkCashierPage", "ratio", 0.5, "≥ 0.5", "yes", true},
		{"BenchmarkCashierPage", "ratio", 0.4999, "≥ 0.5", "no", true},
		{"BenchmarkCashierPage/sv", "ratio", 0.6, "≥ 0.5", "yes", true},
		{"BenchmarkCashierPageConcurrent", "ratio", 0.6, "—", "—", true},
		{"BenchmarkCashierPageConcurrent", "p99-ms", 10, "< 10", "no", true},
		{"BenchmarkCashierPageConcurrent", "p99-ms", 9.99, "< 10", "yes", true},
		{"BenchmarkCashierPageConcurrent", "p50-ms", 3, "—", "—", false},
		{"BenchmarkCashierPage", "p99-ms", 30, "—", "—", false},
		{"BenchmarkNotifyEndpoint", "ratio", 0.85, "≥ 0.85", "yes", true},
		{"BenchmarkHistoryCashierPage", "ratio", 1.2, "≤ 1.2", "yes", true},
		{"BenchmarkHistoryCashierPage", "ratio", 1.21, "≤ 1.2", "no", true},
		{"BenchmarkNotifyPostgresTwoInstances", "ratio", 0.3, "—", "—", true},
		{"BenchmarkNotifyCeiling", "cpu-ratio", 0.95, "—", "—", true},
		{"BenchmarkNotifyCeiling", "ratio", 0.95, "—", "—", true},
		{"BenchmarkSign", "ns/op", 1, "—", "—", false},
	} {
		g, listed := goalOf(tt.name, tt.metric)
		if listed != tt.listed || g.String() != tt.goal || g.met(tt.v) != tt.met {
			t.Errorf("%s %s %g: goal %q met %q listed %t; want %q, %q, %t", tt.name, tt.metric, tt.v, g, g.met(tt.v), listed, tt.goal, tt.met, tt.listed)
		}
	}
	if got := procs.ReplaceAllString("BenchmarkHistoryPage/full-12", ""); got != "BenchmarkHistoryPage/full" {
		t.Errorf("the -N suffix: %q", got)
	}
}
