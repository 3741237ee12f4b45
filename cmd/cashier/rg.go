package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/models"
)

// parseRealityCheck reads CASHIER_REALITY_CHECK: "" keeps the built-in markets
// (cashier.RealityCheckDefaults); "off" or one duration ("45m") sets every market;
// pairs such as "SE=60m,ES=30m,NL=off" set those markets and keep the others'
// defaults. An interval is 1m to 24h.
func parseRealityCheck(s string) (map[string]time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	interval := func(v string) (time.Duration, error) {
		if v = strings.TrimSpace(v); strings.EqualFold(v, "off") {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return 0, fmt.Errorf("CASHIER_REALITY_CHECK: %q is not off or a duration from 1m to 24h, such as 60m", v)
		}
		return d, nil
	}
	out := map[string]time.Duration{}
	if !strings.Contains(s, "=") {
		d, err := interval(s)
		if err != nil {
			return nil, err
		}
		for c := range models.Markets {
			out[c] = d
		}
		return out, nil
	}
	for _, pair := range strings.Split(s, ",") {
		c, v, ok := strings.Cut(pair, "=")
		c = strings.ToUpper(strings.TrimSpace(c))
		if _, known := models.Markets[c]; !ok || !known {
			return nil, fmt.Errorf("CASHIER_REALITY_CHECK: %q is not MARKET=interval with a market we serve, such as SE=60m", pair)
		}
		if _, dup := out[c]; dup {
			return nil, fmt.Errorf("CASHIER_REALITY_CHECK: %s is set twice", c)
		}
		d, err := interval(v)
		if err != nil {
			return nil, err
		}
		out[c] = d
	}
	return out, nil
}

// realityCheckSummary is the reality check per market for the start-up log line:
// "ES=1h0m0s NL=1h0m0s SE=1h0m0s".
func realityCheckSummary(m map[string]time.Duration) string {
	cfg := cashier.Config{RealityCheck: m}
	var on []string
	for _, c := range sortedMarkets() {
		if d := cfg.RealityCheckInterval(c); d > 0 {
			on = append(on, c+"="+d.String())
		}
	}
	if on == nil {
		return "off"
	}
	return strings.Join(on, " ")
}

func sortedMarkets() []string { return slices.Sorted(maps.Keys(models.Markets)) }

// registerWarnings are the register markets (cashier.RegisterMarkets) whose
// registrations and sign-ins will be refused because no register answers there.
func registerWarnings(x exclusions.Exclusions) []string {
	r, ok := x.(*exclusions.Router)
	if !ok {
		return nil // the sandbox's fake answers for every country
	}
	var out []string
	for _, c := range slices.Sorted(maps.Keys(cashier.RegisterMarkets)) {
		if !slices.Contains(r.Countries(), c) {
			out = append(out, c)
		}
	}
	return out
}
