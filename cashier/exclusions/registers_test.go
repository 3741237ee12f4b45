package exclusions

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "s3cret-api-key-do-not-log"

// adapter describes one register adapter for the shared table tests.
type adapter struct {
	name     string
	new      func(Config) (Exclusions, error)
	path     string            // the stand-in's path
	flag     string            // the answer's exclusion flag
	person   Person            // a person the adapter can ask about
	wantBody map[string]string // what the request must carry for person
	register string            // Result.Register
}

var adapters = []adapter{
	{name: "spelpaus", new: func(c Config) (Exclusions, error) { return NewSpelpaus(c) },
		path: "/v1/blocking-status", flag: "blocked",
		person:   Person{Country: "SE", PersonID: "197901311238", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31"},
		wantBody: map[string]string{"personalIdentityNumber": "197901311238"}, register: "Spelpaus"},
	{name: "cruks", new: func(c Config) (Exclusions, error) { return NewCRUKS(c) },
		path: "/v1/registrations/check", flag: "registered",
		person:   Person{Country: "NL", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14"},
		wantBody: map[string]string{"firstName": "Jan", "lastName": "de Vries", "dateOfBirth": "1975-07-14"}, register: "CRUKS"},
	{name: "estonia", new: func(c Config) (Exclusions, error) { return NewEstonia(c) },
		path: "/v1/restrictions/check", flag: "restricted",
		person:   Person{Country: "EE", PersonID: "38001085718", FirstName: "Mari", LastName: "Tamm", DOB: "1980-01-08"},
		wantBody: map[string]string{"personalCode": "38001085718"}, register: "Estonian register of restricted persons"},
}

// stub is a register's HTTP side: it checks each request like the real one would
// and answers with status and body; block makes it hold the request until the
// client gives up.
func stub(t *testing.T, a adapter, status int, body string, block bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	calls := new(atomic.Int32)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var got map[string]string
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("request body: %v", err)
		}
		if r.Method != http.MethodPost || r.URL.Path != "/base"+a.path || r.URL.RawQuery != "" {
			t.Errorf("request %s %s; want POST /base%s", r.Method, r.URL, a.path)
		}
		if h := r.Header.Get("Authorization"); h != "Bearer "+testKey {
			t.Errorf("Authorization = %q; want the bearer key", h)
		}
		if fmt.Sprint(got) != fmt.Sprint(a.wantBody) {
			t.Errorf("request body = %v; want %v", got, a.wantBody)
		}
		if block {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees a blocked handler
	return srv, calls
}

func TestAdapters(t *testing.T) {
	for _, a := range adapters {
		for _, tt := range []struct {
			name     string
			status   int
			body     string
			block    bool
			excluded bool
			ok       bool
		}{
			{name: "excluded", status: 200, body: `{"` + a.flag + `":true,"reference":"ref-1"}`, excluded: true, ok: true},
			{name: "not excluded", status: 200, body: `{"` + a.flag + `":false,"reference":"ref-1","extra":[1]}`, ok: true},
			{name: "5xx", status: 503, body: `{"` + a.flag + `":false,"reference":"ref-1"}`},
			{name: "401", status: 401, body: `{"error":"bad key"}`},
			{name: "redirect", status: 302, body: ``},
			{name: "timeout", block: true},
			{name: "not json", status: 200, body: `<html>maintenance</html>`},
			{name: "empty body", status: 200, body: ``},
			{name: "null", status: 200, body: `null`},
			{name: "flag missing", status: 200, body: `{"reference":"ref-1"}`},
			{name: "flag not bool", status: 200, body: `{"` + a.flag + `":"false","reference":"ref-1"}`},
			{name: "flag null", status: 200, body: `{"` + a.flag + `":null,"reference":"ref-1"}`},
			{name: "reference missing", status: 200, body: `{"` + a.flag + `":false}`},
			{name: "two values", status: 200, body: `{"` + a.flag + `":false,"reference":"r"}{"` + a.flag + `":true,"reference":"r"}`},
			{name: "truncated", status: 200, body: `{"` + a.flag + `":false,"refer`},
		} {
			t.Run(a.name+"/"+tt.name, func(t *testing.T) {
				srv, calls := stub(t, a, tt.status, tt.body, tt.block)
				x, err := a.new(Config{BaseURL: srv.URL + "/base", APIKey: testKey, Timeout: 100 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				res, err := x.Check(context.Background(), a.person)
				if n := calls.Load(); n != 1 {
					t.Errorf("register asked %d times; want 1", n)
				}
				if !tt.ok {
					if !errors.Is(err, ErrUnavailable) || res.Excluded || res.Reference != "" {
						t.Fatalf("Check = %+v, %v; want ErrUnavailable (fail closed)", res, err)
					}
					if strings.Contains(err.Error(), testKey) {
						t.Errorf("error %q shows the API key", err)
					}
					return
				}
				want := Result{Excluded: tt.excluded, Register: a.register, Reference: "ref-1"}
				if err != nil || res != want {
					t.Fatalf("Check = %+v, %v; want %+v", res, err, want)
				}
			})
		}
	}
}

// TestAdapterTimeoutFromContext: a caller's shorter deadline also ends the check,
// failing closed.
func TestAdapterTimeoutFromContext(t *testing.T) {
	a := adapters[0]
	srv, _ := stub(t, a, 0, "", true)
	x, err := a.new(Config{BaseURL: srv.URL + "/base", APIKey: testKey, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := x.Check(ctx, a.person); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check = %v; want ErrUnavailable from the deadline", err)
	}
}

func TestAdaptersIncompletePerson(t *testing.T) {
	for _, tt := range []struct {
		a adapter
		p Person
	}{
		{adapters[0], Person{Country: "SE"}},
		{adapters[0], Person{Country: "SE", PersonID: "7901311238"}},    // 10 digits: century unknown
		{adapters[0], Person{Country: "SE", PersonID: "19790131-1238"}}, // not canonical
		{adapters[1], Person{Country: "NL", FirstName: "Jan", DOB: "1975-07-14"}},
		{adapters[1], Person{Country: "NL", FirstName: "Jan", LastName: "de Vries", DOB: "14-07-1975"}},
		{adapters[1], Person{Country: "NL", PersonID: "12345678"}},
		{adapters[2], Person{Country: "EE", PersonID: "3800108571"}},
	} {
		srv, calls := stub(t, tt.a, 200, `{}`, false)
		x, err := tt.a.new(Config{BaseURL: srv.URL + "/base", APIKey: testKey})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Check(context.Background(), tt.p); !errors.Is(err, ErrIncomplete) || calls.Load() != 0 {
			t.Errorf("%s Check(%+v) = %v after %d calls; want ErrIncomplete without asking", tt.a.name, tt.p, err, calls.Load())
		}
	}
}

// TestCRUKSByBSN: with a BSN the request carries only the BSN.
func TestCRUKSByBSN(t *testing.T) {
	a := adapters[1]
	a.person = Person{Country: "NL", PersonID: "123456782", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14"}
	a.wantBody = map[string]string{"bsn": "123456782"}
	srv, _ := stub(t, a, 200, `{"registered":true,"reference":"ref-1"}`, false)
	x, err := a.new(Config{BaseURL: srv.URL + "/base", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := x.Check(context.Background(), a.person); err != nil || !res.Excluded {
		t.Fatalf("Check = %+v, %v; want excluded", res, err)
	}
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not pem"), 0o600)
	for _, tt := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"https", Config{BaseURL: "https://register.example/api"}, true},
		{"http loopback", Config{BaseURL: "http://127.0.0.1:8080"}, true},
		{"http localhost", Config{BaseURL: "http://localhost:8080"}, true},
		{"http remote", Config{BaseURL: "http://register.example"}, false},
		{"no scheme", Config{BaseURL: "register.example"}, false},
		{"empty", Config{}, false},
		{"query", Config{BaseURL: "https://register.example/?key=x"}, false},
		{"userinfo", Config{BaseURL: "https://u:p@register.example/"}, false},
		{"negative timeout", Config{BaseURL: "https://register.example", Timeout: -time.Second}, false},
		{"cert without key", Config{BaseURL: "https://register.example", CertFile: junk}, false},
		{"key without cert", Config{BaseURL: "https://register.example", KeyFile: junk}, false},
		{"bad cert", Config{BaseURL: "https://register.example", CertFile: junk, KeyFile: junk}, false},
		{"missing ca", Config{BaseURL: "https://register.example", CAFile: filepath.Join(dir, "none.pem")}, false},
		{"bad ca", Config{BaseURL: "https://register.example", CAFile: junk}, false},
	} {
		for _, a := range adapters {
			if _, err := a.new(tt.cfg); (err == nil) != tt.ok {
				t.Errorf("%s %s: err = %v; want ok %t", a.name, tt.name, err, tt.ok)
			}
		}
	}
}

// TestConfigNeverShowsKey: every way a Config can reach a log leaves the key out.
func TestConfigNeverShowsKey(t *testing.T) {
	c := Config{BaseURL: "https://register.example", APIKey: testKey, CertFile: "/etc/cashier/client.pem", Timeout: time.Second}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("register", "config", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String(), logged.String()} {
		if strings.Contains(s, testKey) {
			t.Errorf("%q shows the API key", s)
		}
		if !strings.Contains(s, "register.example") {
			t.Errorf("%q does not show the base URL", s)
		}
	}
}

// TestMutualTLS: the adapter presents its client certificate and trusts only CAFile.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, clientCert := writeClientCert(t, dir)
	a := adapters[0]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) != 1 || !r.TLS.PeerCertificates[0].Equal(clientCert) {
			t.Errorf("client certificate not presented")
		}
		io.WriteString(w, `{"blocked":false,"reference":"tls-1"}`)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(clientCert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake error is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)

	x, err := a.new(Config{BaseURL: srv.URL, CertFile: certFile, KeyFile: keyFile, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := x.Check(context.Background(), a.person); err != nil || res.Reference != "tls-1" {
		t.Fatalf("Check = %+v, %v; want an answer over mutual TLS", res, err)
	}
	// Without the CA file the server's certificate is not trusted: fail closed.
	x, err = a.new(Config{BaseURL: srv.URL, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Check(context.Background(), a.person); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Check with untrusted server = %v; want ErrUnavailable", err)
	}
}

func writeClientCert(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile, cert
}
