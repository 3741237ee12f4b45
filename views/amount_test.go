package views

import (
	"regexp"
	"testing"
)

// TestAmountPattern: the amount fields' pattern lets through what
// models.ParseMoney reads and stops what it refuses, such as "1e3", which a
// number field would take.
func TestAmountPattern(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + AmountPattern + `)$`) // browsers anchor a pattern
	for _, tt := range []struct {
		in string
		ok bool
	}{{"100", true}, {"99.50", true}, {"99,5", true}, {"1 250,00", true}, {"1e3", false}, {"-5", false}, {"1.005", false}, {"", false}} {
		if got := re.MatchString(tt.in); got != tt.ok {
			t.Errorf("pattern matches %q: %t; want %t", tt.in, got, tt.ok)
		}
	}
}
