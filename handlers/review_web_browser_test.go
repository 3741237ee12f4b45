package handlers

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserReviewAmountGrouping: the amount field, in a real browser (its
// pattern compiled with the v flag), takes thousands grouped as the pages write
// them, with a no-break or narrow no-break space ("10 000" copied from the range
// under the field), which the server reads; it refuses "1 0 0", which the server
// refuses; and the range check reads grouped amounts too.
func TestBrowserReviewAmountGrouping(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("grouping@example.com")...)
	for _, tt := range []struct {
		typed string
		valid bool
	}{{"10\u00a0000", true}, {"1\u202f250,50", true}, {"1 250", true}, {"1 0 0", false}, {"10\u00a0000,01", false},
		{"1234567890123456", false}} {
		q, _ := json.Marshal(tt.typed)
		valid, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function(){ var el = document.getElementById("amount");
			el.value = `+string(q)+`; el.dispatchEvent(new Event("input")); return el.checkValidity(); })()`))
		if err != nil || valid != tt.valid {
			t.Errorf("amount %q: valid %t (%v); want %t", tt.typed, valid, err, tt.valid)
		}
	}
}
