package cashier

import (
	"slices"
	"testing"
)

// TestQuickPicksPerCurrency: the default quick picks are amounts a player of the
// currency would choose, not the same numbers in kronor and euros.
func TestQuickPicksPerCurrency(t *testing.T) {
	for _, tt := range []struct {
		currency string
		want     []int64 // whole units
	}{{"SEK", []int64{100, 250, 500, 1000}}, {"NOK", []int64{100, 250, 500, 1000}}, {"EUR", []int64{10, 25, 50, 100}}} {
		var got []int64
		for _, m := range (Config{}).LimitsFor(tt.currency).QuickPicks {
			got = append(got, m.Minor/100)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s quick picks %v; want %v", tt.currency, got, tt.want)
		}
	}
}
