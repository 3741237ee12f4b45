package models

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100", 10000, true}, {"0.5", 50, true}, {"99,50", 9950, true}, {"1 250,00", 125000, true},
		{" 7 ", 700, true}, {"0", 0, true}, {"10 000", 1000000, true}, {"1\u00a0250,5", 125050, true},
		{"12\u202f345\u202f678.90", 1234567890, true}, {"\t250\n", 25000, true},
		{"1 0 0", 0, false}, {"10 00", 0, false}, {"1  000", 0, false}, {"1 000 00", 0, false}, {"1000 000", 0, false},
		{"1 000 ,00", 0, false}, {"1 000, 00", 0, false}, {"999 999 999 999 999", 99999999999999900, true},
		{"1 000 000 000 000 000", 0, false},
		{"1.005", 0, false}, {"-3", 0, false}, {"", 0, false}, {"1e3", 0, false}, {"12.", 0, false},
		{"1,000.00", 0, false}, {"9999999999999999", 0, false}, {"١٢", 0, false},
	} {
		got, err := ParseMoney(tt.in, "SEK")
		if (err == nil) != tt.ok || got.Minor != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, ok %t", tt.in, got.Minor, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseMoney(%q): error %v is not ErrBadAmount", tt.in, err)
		}
	}
	if _, err := ParseMoney("10", "XXX"); err == nil {
		t.Error("unknown currency accepted")
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"902.50", 90250, true}, {"11", 1100, true}, {"-5.00000000000000000000", -500, true}, {"0.1", 10, true},
		{"1.005", 0, false}, {"", 0, false}, {"abc", 0, false}, {"1.2.3", 0, false}, {"--1", 0, false},
	} {
		got, err := ParseDecimal(tt.in, "EUR")
		if (err == nil) != tt.ok || got.Minor != tt.want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, ok %t", tt.in, got.Minor, err, tt.want, tt.ok)
		}
	}
}

func TestMoneyText(t *testing.T) {
	for _, tt := range []struct {
		minor        int64
		str, display string
	}{
		{25000, "250.00", "250,00\u00a0SEK"}, {-350, "-3.50", "−3,50\u00a0SEK"}, {0, "0.00", "0,00\u00a0SEK"},
		{123456789, "1234567.89", "1\u00a0234\u00a0567,89\u00a0SEK"}, {5, "0.05", "0,05\u00a0SEK"}, {-5, "-0.05", "−0,05\u00a0SEK"},
		{-100, "-1.00", "−1,00\u00a0SEK"}, {-123456789012, "-1234567890.12", "−1\u00a0234\u00a0567\u00a0890,12\u00a0SEK"},
	} {
		m := Money{Minor: tt.minor, Currency: "SEK"}
		if m.String() != tt.str || m.Display() != tt.display {
			t.Errorf("%d: got %q %q, want %q %q", tt.minor, m.String(), m.Display(), tt.str, tt.display)
		}
		back, err := ParseDecimal(m.String(), "SEK")
		if err != nil || back != m {
			t.Errorf("%d does not round-trip through String: %v %v", tt.minor, back, err)
		}
	}
	if got := (Money{Minor: math.MinInt64}).String(); got != "-92233720368547758.08" {
		t.Errorf("math.MinInt64: got %q, want %q", got, "-92233720368547758.08")
	}
}

func TestRegistrationValidate(t *testing.T) {
	ok := Registration{Email: " Anna@Example.com ", Password: "correct horse", FirstName: "Anna", LastName: "Öberg", Country: "SE"}
	if err := ok.Validate(); err != nil || ok.Email != "anna@example.com" {
		t.Fatalf("got %v, email %q", err, ok.Email)
	}
	for _, tt := range []struct {
		name, field string
		mutate      func(*Registration)
	}{
		{"email", "email", func(r *Registration) { r.Email = "anna" }},
		{"255-character email", "email", func(r *Registration) { r.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 187) + ".se" }},
		{"password", "password", func(r *Registration) { r.Password = "short" }},
		{"name", "name", func(r *Registration) { r.LastName = " " }},
		{"101-character name", "name", func(r *Registration) { r.FirstName = strings.Repeat("Å", 101) }},
		{"country", "country", func(r *Registration) { r.Country = "US" }},
	} {
		r := ok
		tt.mutate(&r)
		var p *Problem
		if err := r.Validate(); !errors.As(err, &p) || p.Field != tt.field {
			t.Errorf("%s: got %v, want a problem with field %s", tt.name, err, tt.field)
		}
	}
	// At the limits: 254 characters of email, 100 characters of name (200 bytes).
	long := ok
	long.Email, long.FirstName = strings.Repeat("a", 64)+"@"+strings.Repeat("b", 186)+".se", strings.Repeat("Å", 100)
	if err := long.Validate(); err != nil {
		t.Errorf("254-character email and 100-character name: %v; want accepted", err)
	}
}
