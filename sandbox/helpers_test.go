package sandbox_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
)

func jsonNumber(s string) json.Number { return json.Number(s) }

func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSpace(buf.Bytes()), err
}

func signSHA256(t *testing.T, env *sandboxtest.Env, plaintext string) string {
	t.Helper()
	d := sha256.Sum256([]byte(plaintext))
	sig, err := rsa.SignPKCS1v15(rand.Reader, env.MerchantKey, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
