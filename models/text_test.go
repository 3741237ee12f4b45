package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTextStored: a Text comes back from its stored JSON with every argument of
// the same type and value, nested Texts included; what cannot be stored is refused.
func TestTextStored(t *testing.T) {
	until := time.Date(2026, 3, 29, 23, 31, 0, 0, time.UTC)
	for _, in := range []Text{
		{ID: "kyc.underage"},
		{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}},
		{ID: "breaks.on_break", Args: []any{"Kind", Text{ID: "break.kind.time-out-24h"}, "Until", until}},
		{ID: "x", Args: []any{"Amount", Money{Minor: 12345, Currency: "SEK"}, "Market", CountryName("FI"), "N", int64(3)}},
	} {
		s, err := EncodeText(in, 1000)
		if err != nil {
			t.Fatalf("%s: %v", in.ID, err)
		}
		got, ok := DecodeText(s)
		if !ok || !reflect.DeepEqual(got, in) {
			t.Errorf("%s: stored %s read back as %#v, %t; want %#v", in.ID, s, got, ok, in)
		}
	}
	if s, err := EncodeText(Text{}, 1000); s != "" || err != nil {
		t.Errorf("empty text stored as %q, %v; want nothing", s, err)
	}
	if _, err := EncodeText(Text{ID: "x", Args: []any{"F", 1.5}}, 1000); err == nil {
		t.Error("a float argument stored; want refused")
	}
	if _, err := EncodeText(Text{ID: "x", Args: []any{"S", strings.Repeat("a", 100)}}, 50); !errors.Is(err, ErrTextTooLong) {
		t.Errorf("too long: %v; want ErrTextTooLong", err)
	}
	for _, s := range []string{"", "You must be 18 or older to play.", "{}", `{"id":"x","args":[{"name":"A"}]}`} {
		if got, ok := DecodeText(s); ok {
			t.Errorf("DecodeText(%q) = %#v; want not ok", s, got)
		}
	}
}
