package staff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SecretBox keeps staff members' second-factor secrets encrypted in the database:
// AES-256-GCM under a key the database does not hold (CASHIER_TOTP_KEY), each
// secret bound to its member's id. A copy of the database, a backup or a SQL
// injection that reads the staff table then gives nobody the codes of staff's
// authenticator apps, and a sealed secret copied onto another member does not open.
type SecretBox struct{ aead cipher.AEAD }

// sealedPrefix marks a sealed secret and its format: the rest is unpadded
// URL-safe base64 of the nonce followed by the ciphertext and its tag.
const sealedPrefix = "sealed1:"

// ErrNotSealed is a stored secret that is not a sealed one: a plaintext secret of
// an older version that SealStaffSecrets has not sealed yet, or a value written
// into the database by hand. It is never used as a secret.
var ErrNotSealed = errors.New("second-factor secret is not sealed")

// NewSecretBox makes the box of a 32-byte key.
func NewSecretBox(key []byte) (*SecretBox, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("second-factor secret key: %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("second-factor secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("second-factor secret key: %w", err)
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts member's secret for the database; an empty secret stays empty.
func (b *SecretBox) Seal(member int64, secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal second-factor secret: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(secret), sealedFor(member))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal stored for member; an empty value is no secret. A value
// that is not sealed is ErrNotSealed; one sealed under another key or for another
// member, or changed, is an error too.
func (b *SecretBox) Open(member int64, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return "", fmt.Errorf("staff %d: %w", member, ErrNotSealed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", fmt.Errorf("staff %d: second-factor secret unreadable", member)
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], sealedFor(member))
	if err != nil {
		return "", fmt.Errorf("staff %d: second-factor secret does not open with this key (CASHIER_TOTP_KEY changed?)", member)
	}
	return string(plain), nil
}

// Sealed reports whether stored is a sealed secret (or none), as opposed to a
// plaintext one.
func Sealed(stored string) bool { return stored == "" || strings.HasPrefix(stored, sealedPrefix) }

// sealedFor is the associated data binding a sealed secret to its member.
func sealedFor(member int64) []byte { return []byte("staff-totp/" + strconv.FormatInt(member, 10)) }
