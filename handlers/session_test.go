package handlers

import (
	"bytes"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/models"
)

// TestSessionCookieFormats: cookies are written as JSON, cookies written as gob
// before still read, and a cookie under other keys or altered reads as nobody.
func TestSessionCookieFormats(t *testing.T) {
	keys := SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}
	s := newSessionStore(keys, false)
	want := sessionValues{PlayerID: 42, Role: models.RoleAdmin, ID: "abc", Flash: "Saved."}

	written, err := securecookie.EncodeMulti(sessionCookie, want, s.store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := securecookie.DecodeMulti(sessionCookie, written, &sessionValues{}, s.legacy...); err == nil {
		t.Error("a new cookie reads as gob; want JSON")
	}
	gob, err := securecookie.EncodeMulti(sessionCookie, want, securecookie.CodecsFromPairs(keys.Hash, keys.Block)...)
	if err != nil {
		t.Fatal(err)
	}
	other, err := securecookie.EncodeMulti(sessionCookie, want, securecookie.CodecsFromPairs(bytes.Repeat([]byte{3}, 32), keys.Block)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, raw string
		ok        bool
	}{
		{"json", written, true},
		{"gob, written before json", gob, true},
		{"other keys", other, false},
		{"altered", written[:len(written)-2] + "AA", false},
		{"empty", "", false},
	} {
		var got sessionValues
		err := s.decode(tt.raw, &got)
		if (err == nil) != tt.ok || (tt.ok && got != want) {
			t.Errorf("%s: got %+v, %v; want %+v, ok %t", tt.name, got, err, want, tt.ok)
		}
	}
}
