package handlers

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
)

// chartLabelWidth is how wide a day's label under the reports chart is drawn at
// most, in SVG user units: five characters ("12-07") of the labels' font-size
// 10, about 0.6 em each, and a space of one character between two labels.
const chartLabelWidth = 6*5 + 6

// TestVolumeChartLabelsApart: the reports chart labels its last day, its first
// (of three days or more) and every seventh, and no two labels overlap, whatever the number of days
// (1 to 366, the longest range the page takes). The last day was labelled next
// to the seventh before it when it was one day after it: two labels 24 units
// apart, each about 30 wide, read "12-0612-07".
func TestVolumeChartLabelsApart(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for n := 1; n <= 366; n++ {
		days := make([]cashier.DayVolume, n)
		for i := range days {
			zero := models.Money{Currency: "SEK"}
			days[i] = cashier.DayVolume{Day: start.AddDate(0, 0, i), Deposits: zero, Payouts: zero}
		}
		ch := volumeChart("SEK", days)
		if len(ch.Labels) == 0 {
			t.Fatalf("%d days: no label", n)
		}
		first, last := ch.Labels[0], ch.Labels[len(ch.Labels)-1]
		if want := start.Format("01-02"); n > 2 && first.Text != want {
			t.Errorf("%d days: first label %q; want %q", n, first.Text, want)
		}
		if want := days[n-1].Day.Format("01-02"); last.Text != want {
			t.Errorf("%d days: last label %q; want %q, the last day's", n, last.Text, want)
		}
		for i := 1; i < len(ch.Labels); i++ {
			a, b := ch.Labels[i-1], ch.Labels[i]
			if gap := b.X - a.X; gap < chartLabelWidth {
				t.Errorf("%d days: labels %q at %d and %q at %d are %d apart; want at least %d, or they overlap",
					n, a.Text, a.X, b.Text, b.X, gap, chartLabelWidth)
			}
		}
	}
}
