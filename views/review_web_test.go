package views

import (
	"regexp"
	"testing"

	"github.com/trustly-cashier/cashier/models"
)

// TestReviewAmountPatternIsParseMoney: the amount fields' pattern stops in the
// browser exactly what models.ParseMoney refuses. Before, it refused thousands
// grouped with a no-break or narrow no-break space, which the pages themselves
// write ("10 000,00 kr" in Swedish, copied from the range under the field) and
// the server reads, and it let through "1 0 0" and 16-digit amounts, which the
// server refuses.
func TestReviewAmountPatternIsParseMoney(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + AmountPattern + `)$`) // browsers anchor a pattern
	for _, in := range []string{"100", "99.50", "99,5", "1 250,00", "1\u00a0250,00", "10\u202f000", "1\u00a0000\u00a0000.5",
		"1 0 0", "12 34", "1e3", "0x10", "+5", "-5", "1.005", "1,", "1234567890123456", "123456789012345", "1.250,00",
		"1,250.00", "١٠٠", "１００", ""} {
		_, err := models.ParseMoney(in, "SEK")
		if got, want := re.MatchString(in), err == nil; got != want {
			t.Errorf("pattern matches %q: %t; ParseMoney reads it: %t", in, got, want)
		}
	}
}
