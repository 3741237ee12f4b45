package main

import (
	"testing"
)

func TestParseRealityCheck(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // realityCheckSummary of the result; "" for an error
	}{
		{"", "ES=1h0m0s NL=1h0m0s SE=1h0m0s"},
		{"off", "off"},
		{"45m", "DE=45m0s DK=45m0s EE=45m0s ES=45m0s FI=45m0s LT=45m0s LV=45m0s NL=45m0s NO=45m0s SE=45m0s"},
		{"SE=30m, de=2h,NL=off", "DE=2h0m0s ES=1h0m0s SE=30m0s"},
		{"SE=30s", ""}, {"SE=25h", ""}, {"XX=1h", ""}, {"SE=1h,SE=2h", ""}, {"SE", ""}, {"soon", ""},
	} {
		m, err := parseRealityCheck(tt.in)
		got := ""
		if err == nil {
			got = realityCheckSummary(m)
		}
		if got != tt.want {
			t.Errorf("parseRealityCheck(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
