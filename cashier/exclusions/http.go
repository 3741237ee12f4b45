package exclusions

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// DefaultTimeout is how long a check waits for a register when Config.Timeout is 0.
// The player waits in Trustly's checkout meanwhile (API.md §5.5).
const DefaultTimeout = 3 * time.Second

// maxBody bounds what we read of a register's answer.
const maxBody = 64 << 10

// Config is how the cashier reaches one register. APIKey is a secret: Config's
// String, GoString and LogValue never show it, and no request puts it in a URL.
type Config struct {
	BaseURL string // https://…; plain http only for a loopback host (tests, a local stub)
	APIKey  string // sent as "Authorization: Bearer <key>" when set
	// CertFile and KeyFile are PEM files of the client certificate for mutual TLS,
	// both or neither; CAFile is an optional PEM bundle that replaces the system roots.
	CertFile, KeyFile, CAFile string
	Timeout                   time.Duration // per check; 0 means DefaultTimeout
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// String describes the configuration without the API key.
func (c Config) String() string {
	return fmt.Sprintf("register %s (api key set: %t, client cert %q, ca %q, timeout %s)",
		c.BaseURL, c.APIKey != "", c.CertFile, c.CAFile, c.timeout())
}

// GoString is String, so %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// LogValue is what slog shows for a Config: everything but the API key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.Bool("api_key_set", c.APIKey != ""),
		slog.String("cert_file", c.CertFile), slog.String("ca_file", c.CAFile), slog.Duration("timeout", c.timeout()))
}

// client is the JSON-over-HTTPS part every register adapter shares.
type client struct {
	register string
	base     *url.URL
	apiKey   string
	timeout  time.Duration
	http     *http.Client
}

func newClient(register string, c Config) (*client, error) {
	// The errors show the URL with any password hidden: they go to the log.
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: base URL is not a URL", register)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%s: base URL %q is not an absolute URL without query or credentials", register, u.Redacted())
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%s: base URL %q must be https (plain http only for a loopback host)", register, u.Redacted())
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("%s: negative timeout", register)
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, fmt.Errorf("%s: client certificate needs both a cert file and a key file", register)
	}
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			// The error names neither the files nor their contents: a key set by
			// mistake where its file's name belongs must not reach the log.
			which := "certificate"
			var pe *fs.PathError
			if errors.As(err, &pe) {
				if pe.Path == c.KeyFile {
					which = "key"
				}
				err = fmt.Errorf("cannot %s the %s file: %w", pe.Op, which, pe.Err)
			}
			return nil, fmt.Errorf("%s: load client certificate: %w", register, err)
		}
		tlsConf.Certificates = []tls.Certificate{pair}
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: read CA file: %w", register, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: CA file %s holds no PEM certificate", register, c.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	return &client{register: register, base: u, apiKey: c.APIKey, timeout: c.timeout(),
		http: &http.Client{Transport: tr, Timeout: c.timeout(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// post sends req as JSON to path under the base URL and decodes a 200 answer into
// out. Anything else (no answer within the timeout, another status, a redirect, a
// body that is not exactly one JSON object of out's shape) is ErrUnavailable.
func (c *client) post(ctx context.Context, path string, req, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", c.register, err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(path).String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", c.register, err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		r.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	res, err := c.http.Do(r)
	if err != nil {
		// *url.Error names the URL, which carries no secret.
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, c.register, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
		return fmt.Errorf("%w: %s answered HTTP %d", ErrUnavailable, c.register, res.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, maxBody))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s: unreadable answer: %w", ErrUnavailable, c.register, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s: unreadable answer: more than one JSON value", ErrUnavailable, c.register)
	}
	return nil
}

// answer is the shape every stand-in answers with: a flag that must be present and a
// reference that must not be empty.
func (c *client) answer(flag *bool, reference string) (Result, error) {
	if flag == nil {
		return Result{}, fmt.Errorf("%w: %s: answer has no exclusion flag", ErrUnavailable, c.register)
	}
	if reference == "" || len(reference) > 128 {
		return Result{}, fmt.Errorf("%w: %s: answer has no usable reference", ErrUnavailable, c.register)
	}
	return Result{Excluded: *flag, Register: c.register, Reference: reference}, nil
}
