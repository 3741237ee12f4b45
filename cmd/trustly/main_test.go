package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package's own copies of the vectors and keys; never /work/shared.
const testdata = "../../trustly/testdata/"

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

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(testdata + "vectors.json")
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

// publicKeyFor is the key file a vector verifies with.
func publicKeyFor(v vector) string {
	if strings.HasPrefix(v.Name, "trustly-") {
		return testdata + "signature-tester-public.pem"
	}
	return testdata + "test-merchant-public.pem"
}

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func triple(method, uuid, dataJSON string) string {
	return `{"method":` + strconv.Quote(method) + `,"uuid":` + strconv.Quote(uuid) + `,"data":` + dataJSON + `}`
}

func request(method, uuid, signature, dataJSON string) string {
	q := strconv.Quote
	return `{"method":` + q(method) + `,"version":"1.1","params":{"Signature":` + q(signature) + `,"UUID":` + q(uuid) +
		`,"Data":` + dataJSON + `}}`
}

// envelope wraps a vector as it would travel, according to its kind.
func envelope(t *testing.T, v vector) string {
	t.Helper()
	q := strconv.Quote
	signedPart := `{"signature":` + q(v.Signature) + `,"uuid":` + q(v.UUID) + `,"method":` + q(v.Method) +
		`,"data":` + v.DataJSON + `}`
	switch v.Kind {
	case "request", "primitive":
		return request(v.Method, v.UUID, v.Signature, v.DataJSON)
	case "response", "notification-response":
		return `{"version":"1.1","result":` + signedPart + `}`
	case "error":
		var e struct {
			Code    json.Number `json:"code"`
			Message string      `json:"message"`
		}
		if err := json.Unmarshal([]byte(v.DataJSON), &e); err != nil {
			t.Fatal(err)
		}
		return `{"version":"1.1","error":{"name":"JSONRPCError","code":` + string(e.Code) + `,"message":` +
			q(e.Message) + `,"error":` + signedPart + `}}`
	case "notification":
		return `{"method":` + q(v.Method) + `,"version":"1.1","params":{"signature":` + q(v.Signature) +
			`,"uuid":` + q(v.UUID) + `,"data":` + v.DataJSON + `}}`
	}
	t.Fatalf("vector %s: unknown kind %s", v.Name, v.Kind)
	return ""
}

func TestSerializeVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		code, out, errOut := runCmd(t, triple(v.Method, v.UUID, v.DataJSON), "serialize")
		if code != 0 || out != v.Plaintext || errOut != "" {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want 0 and %q", v.Name, code, out, errOut, v.Plaintext)
		}
	}
}

func TestSignVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		if strings.HasPrefix(v.Name, "trustly-") {
			continue // signed with the signature tester's key, which we do not hold
		}
		code, out, errOut := runCmd(t, triple(v.Method, v.UUID, v.DataJSON), "sign", "--key", testdata+"test-merchant-private.pem")
		if code != 0 || out != v.Signature+"\n" || errOut != "" {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want 0 and %s", v.Name, code, out, errOut, v.Signature)
		}
	}
}

func TestVerifyVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			key := publicKeyFor(v)
			if code, out, errOut := runCmd(t, envelope(t, v), "verify", "--pubkey", key); code != 0 || out != "OK\n" {
				t.Errorf("as a %s: got exit %d, stdout %q, stderr %q; want 0 and OK", v.Kind, code, out, errOut)
			}
			for _, c := range v.Checks {
				want := 1
				if c.ExpectVerified {
					want = 0
				}
				code, out, errOut := runCmd(t, request(c.Method, c.UUID, v.Signature, c.DataJSON), "verify", "--pubkey", key)
				if code != want || errOut != "" || (want == 1) != strings.HasPrefix(out, "FAILED: ") {
					t.Errorf("check %s: got exit %d, stdout %q, stderr %q; want exit %d", c.What, code, out, errOut, want)
				}
			}
		})
	}
}

func TestKeygenSignVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if code, _, errOut := runCmd(t, "", "keygen", "--out", dir); code != 0 {
		t.Fatalf("keygen: exit %d, %s", code, errOut)
	}
	for name, want := range map[string]os.FileMode{"private.pem": 0o600, "public.pem": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode: got %o, want %o", name, got, want)
		}
	}
	data := `{"Username":"u","Password":"p","Amount":100.00,"Attributes":{"Currency":"SEK"}}`
	code, sig, errOut := runCmd(t, triple("Deposit", "e2b1c9a8-0000-4000-8000-000000000001", data),
		"sign", "--key", filepath.Join(dir, "private.pem"))
	if code != 0 {
		t.Fatalf("sign: exit %d, %s", code, errOut)
	}
	sig = strings.TrimSuffix(sig, "\n")
	pub := filepath.Join(dir, "public.pem")
	msg := request("Deposit", "e2b1c9a8-0000-4000-8000-000000000001", sig, data)
	if code, out, errOut := runCmd(t, msg, "verify", "--pubkey", pub); code != 0 || out != "OK\n" {
		t.Errorf("verify: got exit %d, %q, %q; want 0 and OK", code, out, errOut)
	}
	// 100.00 is signed as written; 100.0 is another number on the wire.
	tampered := strings.Replace(msg, "100.00", "100.0", 1)
	if code, out, _ := runCmd(t, tampered, "verify", "--pubkey", pub); code != 1 || !strings.HasPrefix(out, "FAILED: ") {
		t.Errorf("verify tampered: got exit %d, %q; want 1 and FAILED", code, out)
	}
	if code, out, _ := runCmd(t, msg, "verify", "--pubkey", testdata+"test-merchant-public.pem"); code != 1 {
		t.Errorf("verify with another key: got exit %d, %q; want 1", code, out)
	}
	if code, _, errOut := runCmd(t, "", "keygen", "--out", dir); code != 2 || !strings.Contains(errOut, "already exists") {
		t.Errorf("keygen over existing keys: got exit %d, %q; want 2 and already exists", code, errOut)
	}
}

func TestVerifyUnsignedError(t *testing.T) {
	msg := `{"version":"1.1","error":{"name":"JSONRPCError","code":620,"message":"ERROR_UNKNOWN"}}`
	if code, out, _ := runCmd(t, msg, "verify", "--pubkey", testdata+"test-merchant-public.pem"); code != 1 || !strings.HasPrefix(out, "FAILED: ") {
		t.Errorf("got exit %d, %q; want 1 and FAILED", code, out)
	}
}

func TestBadInput(t *testing.T) {
	priv, pub := testdata+"test-merchant-private.pem", testdata+"test-merchant-public.pem"
	good := triple("Deposit", "u", `{"a":"1"}`)
	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"no subcommand", "", nil},
		{"unknown subcommand", "", []string{"frobnicate"}},
		{"unknown flag", good, []string{"serialize", "--pretty"}},
		{"positional argument", good, []string{"serialize", "extra"}},
		{"serialize not JSON", "Deposit u a1", []string{"serialize"}},
		{"serialize empty", "", []string{"serialize"}},
		{"serialize invalid UTF-8", "{\"method\":\"\xff\",\"uuid\":\"u\",\"data\":{}}", []string{"serialize"}},
		{"serialize an array", `[]`, []string{"serialize"}},
		{"serialize without method", `{"uuid":"u","data":{}}`, []string{"serialize"}},
		{"serialize without uuid", `{"method":"Deposit","data":{}}`, []string{"serialize"}},
		{"serialize without data", `{"method":"Deposit","uuid":"u"}`, []string{"serialize"}},
		{"serialize method a number", `{"method":1,"uuid":"u","data":{}}`, []string{"serialize"}},
		{"serialize a boolean", triple("Deposit", "u", `{"flag":true}`), []string{"serialize"}},
		{"sign without key", good, []string{"sign"}},
		{"sign missing key file", good, []string{"sign", "--key", filepath.Join(t.TempDir(), "none.pem")}},
		{"sign key not PEM", good, []string{"sign", "--key", testdata + "vectors.json"}},
		{"sign with a public key", good, []string{"sign", "--key", pub}},
		{"sign not JSON", "{", []string{"sign", "--key", priv}},
		{"verify without pubkey", "{}", []string{"verify"}},
		{"verify missing key file", "{}", []string{"verify", "--pubkey", filepath.Join(t.TempDir(), "none.pem")}},
		{"verify key not PEM", "{}", []string{"verify", "--pubkey", testdata + "vectors.json"}},
		{"verify with a private key", "{}", []string{"verify", "--pubkey", priv}},
		{"verify not JSON", "not json", []string{"verify", "--pubkey", pub}},
		{"verify not a message", `{"jsonrpc":"2.0"}`, []string{"verify", "--pubkey", pub}},
		{"verify params not an object", `{"method":"credit","params":[]}`, []string{"verify", "--pubkey", pub}},
		{"keygen without out", "", []string{"keygen"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.stdin, tt.args...)
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "trustly") || strings.Count(errOut, "\n") != 1 ||
				!strings.HasSuffix(errOut, "\n") {
				t.Errorf("got exit %d, stdout %q, stderr %q; want 2 and one line on stderr", code, out, errOut)
			}
		})
	}
}
