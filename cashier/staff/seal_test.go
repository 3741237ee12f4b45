package staff

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSecretBox: a sealed secret opens for its member under its key and for no
// other member, under no other key, and not once changed; it never holds the
// secret in the clear, and two seals of one secret differ. A plaintext value is
// ErrNotSealed, never a secret.
func TestSecretBox(t *testing.T) {
	box, err := NewSecretBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSecretBox(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed, err := box.Seal(7, secret)
	if err != nil {
		t.Fatal(err)
	}
	again, err := box.Seal(7, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !Sealed(sealed) || strings.Contains(sealed, secret) || sealed == again || len(sealed) > 255 {
		t.Fatalf("sealed %q (and again %q): want a sealed value of at most 255 characters, without the secret, fresh each time", sealed, again)
	}
	if got, err := box.Open(7, sealed); err != nil || got != secret {
		t.Fatalf("Open = %q, %v; want the secret", got, err)
	}
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1
	for name, open := range map[string]func() (string, error){
		"another member":     func() (string, error) { return box.Open(8, sealed) },
		"another key":        func() (string, error) { return other.Open(7, sealed) },
		"changed":            func() (string, error) { return box.Open(7, string(flipped)) },
		"cut short":          func() (string, error) { return box.Open(7, sealed[:20]) },
		"not base64":         func() (string, error) { return box.Open(7, sealedPrefix+"!!!") },
		"plaintext":          func() (string, error) { return box.Open(7, secret) },
		"prefix and nothing": func() (string, error) { return box.Open(7, sealedPrefix) },
	} {
		if got, err := open(); err == nil || got != "" {
			t.Errorf("%s: Open = %q, %v; want an error and no secret", name, got, err)
		}
	}
	if _, err := box.Open(7, secret); !errors.Is(err, ErrNotSealed) {
		t.Errorf("plaintext: %v; want ErrNotSealed", err)
	}
	if Sealed(secret) {
		t.Error("Sealed(plaintext) = true")
	}
	if got, err := box.Seal(7, ""); err != nil || got != "" {
		t.Errorf("Seal(\"\") = %q, %v; want nothing sealed", got, err)
	}
	if got, err := box.Open(7, ""); err != nil || got != "" {
		t.Errorf("Open(\"\") = %q, %v; want no secret", got, err)
	}
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewSecretBox(make([]byte, n)); err == nil {
			t.Errorf("NewSecretBox accepted a %d-byte key", n)
		}
	}
}
