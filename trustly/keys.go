package trustly

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
)

// ErrBadSignature means a signature did not verify: wrong key, wrong serialization,
// or a message changed on the way.
var ErrBadSignature = errors.New("signature does not verify")

// ParsePrivateKey reads an RSA private key from PEM, in PKCS#1 ("RSA PRIVATE KEY")
// or PKCS#8 ("PRIVATE KEY") form.
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: %T is not an RSA key", k)
	}
	return rk, nil
}

// ParsePublicKey reads an RSA public key from PEM: PKIX ("PUBLIC KEY"), PKCS#1
// ("RSA PUBLIC KEY"), or a certificate.
func ParsePublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("parse public key: no PEM block found")
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, fmt.Errorf("parse public key: found a %q block; give the public half", block.Type)
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	var k any
	var err error
	if block.Type == "CERTIFICATE" {
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			k = cert.PublicKey
		}
	} else {
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parse public key: %T is not an RSA key", k)
	}
	return rk, nil
}

// LoadPrivateKey reads a PEM private key file.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	return ParsePrivateKey(b)
}

// LoadPublicKey reads a PEM public key file.
func LoadPublicKey(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	return ParsePublicKey(b)
}

// GenerateKey makes a new 2048-bit RSA key, the size Trustly expects.
func GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// PrivateKeyPEM encodes a private key as PKCS#8 PEM.
func PrivateKeyPEM(k *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err) // only fails for unsupported key types
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicKeyPEM encodes a public key as PKIX PEM, the form Trustly and openssl use.
func PublicKeyPEM(k *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SignPlaintext signs text with RSA PKCS#1 v1.5 over SHA-1, Trustly's default, and
// returns standard padded base64.
func SignPlaintext(key *rsa.PrivateKey, plaintext string) (string, error) {
	digest := sha1.Sum([]byte(plaintext))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyPlaintext checks a signature over text. Without a prefix the digest is SHA-1;
// "alg=RS256;", "alg=RS384;" and "alg=RS512;" select SHA-256/384/512.
func VerifyPlaintext(pub *rsa.PublicKey, plaintext, signature string) error {
	if pub == nil {
		return errors.New("verify: no public key configured")
	}
	h, hashID := hash.Hash(sha1.New()), crypto.SHA1
	if rest, ok := strings.CutPrefix(signature, "alg="); ok {
		alg, b64, found := strings.Cut(rest, ";")
		if !found {
			return fmt.Errorf("%w: malformed alg= prefix", ErrBadSignature)
		}
		switch alg {
		case "RS256":
			h, hashID = sha256.New(), crypto.SHA256
		case "RS384":
			h, hashID = sha512.New384(), crypto.SHA384
		case "RS512":
			h, hashID = sha512.New(), crypto.SHA512
		default:
			return fmt.Errorf("%w: unknown algorithm %q", ErrBadSignature, alg)
		}
		signature = b64
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: not base64", ErrBadSignature)
	}
	h.Write([]byte(plaintext))
	if err := rsa.VerifyPKCS1v15(pub, hashID, h.Sum(nil), sig); err != nil {
		return ErrBadSignature
	}
	return nil
}

// Sign signs method + uuid + Serialize(data); data is a decoded tree or any value
// that marshals to JSON.
func Sign(key *rsa.PrivateKey, method, uuid string, data any) (string, error) {
	tree, err := toTree(data)
	if err != nil {
		return "", err
	}
	p, err := Plaintext(method, uuid, tree)
	if err != nil {
		return "", err
	}
	return SignPlaintext(key, p)
}

// Verify checks signature against method + uuid + Serialize(data), where data is the
// tree decoded from the message as it arrived.
func Verify(pub *rsa.PublicKey, method, uuid string, data any, signature string) error {
	p, err := Plaintext(method, uuid, data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return VerifyPlaintext(pub, p, signature)
}
