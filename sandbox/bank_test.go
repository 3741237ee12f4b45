package sandbox

import (
	"testing"
	"time"
)

func TestValidAccount(t *testing.T) {
	for _, tt := range []struct {
		ch, bank, number string
		want             bool
	}{
		{"SWEDEN", "6112", "69706212", true},
		{"SWEDEN", "5329", "1865391", true},
		{"SWEDEN", "83271", "9123456", true},
		{"SWEDEN", "63271", "9123456", false}, // 5 digits only for Swedbank's 8…
		{"SWEDEN", "6112", "AASSSRMFKF", false},
		{"FINLAND", "", "FI2112345600000785", true},
		{"FINLAND", "", "FI2112345600000786", false}, // checksum
		{"FINLAND", "1", "FI2112345600000785", false},
		{"NETHERLANDS", "", "NL91ABNA0417164300", true},
		{"GERMANY", "", "DE89370400440532013000", true},
		{"UNITED_KINGDOM", "123456", "12345678", true},
		{"UNITED_KINGDOM", "12345", "12345678", false},
		{"MARS", "", "X", false},
	} {
		if got := validAccount(tt.ch, tt.bank, tt.number); got != tt.want {
			t.Errorf("validAccount(%s, %q, %q) = %t, want %t", tt.ch, tt.bank, tt.number, got, tt.want)
		}
	}
	// Every test person's account passes the same checks RegisterAccount applies.
	for _, p := range Persons {
		for _, a := range p.Accounts {
			if !validAccount(a.ClearingHouse, a.BankNumber, a.AccountNumber) {
				t.Errorf("%s: account %+v is not valid", p.ID, a)
			}
		}
		if under := underage(p.DOB, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); under != (p.Note == "under 18") {
			t.Errorf("%s: underage %t, note %q", p.ID, under, p.Note)
		}
	}
}

func TestAmounts(t *testing.T) {
	for _, tt := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{{"100.00", "SEK", 10000, true}, {"0.01", "EUR", 1, true}, {"0.00", "SEK", 0, false}, {"100", "SEK", 0, false},
		{"100", "HUF", 10000, true}, {"1.5", "SEK", 0, false}, {"-1.00", "SEK", 0, false}, {"1e3", "SEK", 0, false}} {
		got, ok := parseAmount(tt.in, tt.cur)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseAmount(%q, %s) = %d, %t; want %d, %t", tt.in, tt.cur, got, ok, tt.want, tt.ok)
		}
	}
	for minor, want := range map[int64]string{0: "0.00", 5: "0.05", -1250: "-12.50", 100000000: "1000000.00"} {
		if got := formatAmount(minor); got != want {
			t.Errorf("formatAmount(%d) = %s, want %s", minor, got, want)
		}
	}
}
