package trustly

import (
	"crypto/rsa"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// vector is one golden record from testdata/vectors.json (made with Trustly's
// official clients and the documented serialization rule).
type vector struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Method    string `json:"method"`
	UUID      string `json:"uuid"`
	DataJSON  string `json:"data_json"`
	Plaintext string `json:"plaintext"`
	Signature string `json:"signature"`
	Checks    []struct {
		What           string `json:"what"`
		Method         string `json:"method"`
		UUID           string `json:"uuid"`
		DataJSON       string `json:"data_json"`
		ExpectVerified bool   `json:"expect_verified"`
	} `json:"checks"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 27 {
		t.Fatalf("got %d vectors, want 27", len(vs))
	}
	return vs
}

func loadPublic(t testing.TB, name string) *rsa.PublicKey {
	t.Helper()
	k, err := LoadPublicKey("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyFor is the key a vector verifies with: Trustly's signature-tester key for the
// trustly-* records, the test merchant key for the rest.
func keyFor(t testing.TB, v vector) (right, wrong *rsa.PublicKey) {
	merchant, tester := loadPublic(t, "test-merchant-public.pem"), loadPublic(t, "signature-tester-public.pem")
	if strings.HasPrefix(v.Name, "trustly-") {
		return tester, merchant
	}
	return merchant, tester
}

func TestVectors(t *testing.T) {
	priv, err := LoadPrivateKey("testdata/test-merchant-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			data, err := Decode([]byte(v.DataJSON))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Plaintext(v.Method, v.UUID, data)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Plaintext {
				t.Fatalf("plaintext\ngot  %q\nwant %q", got, v.Plaintext)
			}
			right, wrong := keyFor(t, v)
			if err := Verify(right, v.Method, v.UUID, data, v.Signature); err != nil {
				t.Errorf("golden signature: %v", err)
			}
			if err := Verify(wrong, v.Method, v.UUID, data, v.Signature); err == nil {
				t.Error("golden signature verifies with the other key")
			}
			if !strings.HasPrefix(v.Name, "trustly-") {
				// PKCS#1 v1.5 is deterministic: our signature must be the golden bytes.
				sig, err := SignPlaintext(priv, got)
				if err != nil {
					t.Fatal(err)
				}
				if sig != v.Signature {
					t.Errorf("signature\ngot  %s\nwant %s", sig, v.Signature)
				}
			}
			for _, c := range v.Checks {
				d, err := Decode([]byte(c.DataJSON))
				if err != nil {
					t.Fatalf("%s: %v", c.What, err)
				}
				err = Verify(right, c.Method, c.UUID, d, v.Signature)
				if (err == nil) != c.ExpectVerified {
					t.Errorf("check %s: verified %t, want %t (%v)", c.What, err == nil, c.ExpectVerified, err)
				}
			}
		})
	}
}
