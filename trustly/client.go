package trustly

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Trustly's API endpoints (API.md §1.1). Each has its own public key: configure it
// explicitly, never derive it from the URL.
const (
	TestURL = "https://test.trustly.com/api/1"
	LiveURL = "https://api.trustly.com/1"
)

// CallTimeout is how long a call may take, connection to answer, unless
// Config.HTTP says otherwise (API.md §1.2: the PHP client's 30 s in all). Past it
// the outcome is unknown, and the call may still reach Trustly.
const CallTimeout = 30 * time.Second

// Config is what a Client needs to speak for one merchant to one Trustly
// environment.
type Config struct {
	URL        string          // the API endpoint, e.g. TestURL or the sandbox's /api/1
	Username   string          // API user, sent inside Data
	Password   string          // sent inside Data (and therefore signed)
	PrivateKey *rsa.PrivateKey // the merchant's key; Trustly holds its public half
	TrustlyKey *rsa.PublicKey  // Trustly's key for this environment (test and live differ)
	Env        string          // a name for logs and errors: "test", "live", "sandbox"
	HTTP       *http.Client    // optional; the default allows 30 s per request; redirects are never followed
	Logger     *slog.Logger    // optional
	// Extra is added to every request's Attributes, when the method has them, without
	// replacing an attribute the call set itself. The cashier uses it for the
	// sandbox's test-only attributes; leave it nil for Trustly.
	Extra map[string]string
	// Stop, optional, abandons every call still waiting for Trustly's answer when it
	// ends, whatever the caller's context (the cashier's calls for money are
	// detached from theirs): the call returns an error wrapping ErrOutcomeUnknown,
	// as a timeout does. The cashier ends it when its shutdown's grace is over, so
	// that a Trustly that stopped answering does not hold the process for the
	// client's 30 s.
	Stop context.Context
}

// Client calls Trustly's JSON-RPC API. It adds credentials, a fresh UUID and the
// signature to each request, and accepts a response only when its signature
// verifies with TrustlyKey and its uuid and method match the request.
type Client struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
}

// NewClient checks cfg and returns a client.
func NewClient(cfg Config) (*Client, error) {
	switch {
	case cfg.URL == "":
		return nil, errors.New("trustly client: URL is required")
	case cfg.Username == "" || cfg.Password == "":
		return nil, errors.New("trustly client: username and password are required")
	case cfg.PrivateKey == nil:
		return nil, errors.New("trustly client: the merchant private key is required")
	case cfg.TrustlyKey == nil:
		return nil, errors.New("trustly client: Trustly's public key is required")
	}
	if cfg.Env == "" {
		cfg.Env = "custom"
	}
	c := &Client{cfg: cfg, log: cfg.Logger}
	if cfg.HTTP != nil {
		hc := *cfg.HTTP
		c.http = &hc
	} else {
		c.http = &http.Client{Timeout: CallTimeout}
	}
	// Trustly's API never redirects, and following one would send the request,
	// Password included, again to wherever Location points (a 307 or 308 keeps
	// the POST body), and take that host's answer. A redirect is an answer that
	// cannot be read: the outcome is unknown.
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// maxAnswer is the most of an answer the client reads: Trustly's answers are a
// few kB, an AccountLedger or GetWithdrawals of many rows some MB.
const maxAnswer = 10 << 20

// Env names the environment this client talks to.
func (c *Client) Env() string { return c.cfg.Env }

// call sends one signed request and returns the verified result data. data is the
// method's Data without Username and Password, which call adds; an Attributes object
// gets Config.Extra and is left out when it ends up empty.
//
// Only a signed *Error, ErrRefused or ErrInvalidParams means Trustly did not carry
// the request out. A timeout, a network failure or a response that cannot be read
// or trusted wraps ErrOutcomeUnknown: the request may have been processed.
func (c *Client) call(ctx context.Context, method string, data map[string]any) (any, error) {
	data["Username"] = c.cfg.Username
	data["Password"] = c.cfg.Password
	if attrs, ok := data["Attributes"].(map[string]any); ok {
		for k, v := range c.cfg.Extra {
			if _, set := attrs[k]; !set {
				attrs[k] = v
			}
		}
		if len(attrs) == 0 {
			delete(data, "Attributes")
		}
	}
	id := uuid.NewString()
	body, err := EncodeRequest(c.cfg.PrivateKey, method, id, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if c.cfg.Stop != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(c.cfg.Stop, cancel)()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if c.cfg.Stop != nil && c.cfg.Stop.Err() != nil {
			err = fmt.Errorf("abandoned as the cashier stops: %w", err)
		}
		return nil, fmt.Errorf("%s: %w: %w", method, ErrOutcomeUnknown, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: read response: %w", method, ErrOutcomeUnknown, err)
	}
	log := c.log.With("trustly_method", method, "trustly_uuid", id, "trustly_env", c.cfg.Env,
		"http_status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
	// The order the call is for, as the caller's lines name it: our MessageID, or
	// Trustly's OrderID for the calls about one of its orders (Refund,
	// GetWithdrawals).
	if v, ok := data["MessageID"].(string); ok && v != "" {
		log = log.With("message_id", v)
	}
	if v, ok := data["OrderID"].(string); ok && v != "" {
		log = log.With("trustly_order_id", v)
	}
	// An answer past the limit is not read as its first part, which could be a
	// whole message (a refusal) where the answer as a whole is unreadable.
	if len(raw) > maxAnswer {
		log.Error("trustly response larger than 10 MiB: not read")
		return nil, fmt.Errorf("%s: %w: response (HTTP %d) larger than 10 MiB", method, ErrOutcomeUnknown, resp.StatusCode)
	}
	return c.result(log, method, id, resp.StatusCode, raw)
}

// result reads the response raw (HTTP status) to the request method with UUID id,
// with call's guarantees: verified result data, a signed or unsigned *Error,
// ErrRefused, or an error wrapping ErrOutcomeUnknown. Trustly's errors come as
// bodies, whatever the HTTP status.
func (c *Client) result(log *slog.Logger, method, id string, status int, raw []byte) (any, error) {
	m, err := ParseMessage(raw)
	if err != nil {
		log.Error("trustly response unreadable", "err", err)
		return nil, fmt.Errorf("%s: %w: response (HTTP %d): %w", method, ErrOutcomeUnknown, status, err)
	}
	if m.Kind == KindUnsignedError {
		m.Err.Method, m.Err.UUID = method, id
		log.Warn("trustly unsigned error", "code", m.Err.Code, "message", m.Err.Message)
		return nil, fmt.Errorf("%s: %w", method, m.Err)
	}
	if m.Kind != KindResult && m.Kind != KindError {
		return nil, fmt.Errorf("%s: %w: response is a %s", method, ErrOutcomeUnknown, m.Kind)
	}
	if err := m.Verify(c.cfg.TrustlyKey); err != nil {
		log.Error("trustly response signature", "err", err)
		return nil, fmt.Errorf("%s: %w: response from the %s environment: %w", method, ErrOutcomeUnknown, c.cfg.Env, err)
	}
	// Trustly signs an error with null uuid and method for any unreadable
	// request, which anyone can send it: such an error is bound to no request,
	// and as the answer to ours (always readable) it says nothing about it.
	if m.UUID != id {
		return nil, fmt.Errorf("%s: %w: %w: uuid %q, sent %q", method, ErrOutcomeUnknown, ErrMismatch, m.UUID, id)
	}
	if m.Method != method {
		return nil, fmt.Errorf("%s: %w: %w: method %q", method, ErrOutcomeUnknown, ErrMismatch, m.Method)
	}
	if m.Kind == KindError {
		// The signature binds method, uuid and data, not the envelope: a signed
		// result's inner part moved under "error" verifies too. Only data of an
		// error's shape is Trustly's error, its signed code the one that counts
		// (ParseMessage).
		if err := errorData(m.Data); err != nil {
			log.Error("trustly signed error of another shape", "err", err)
			return nil, fmt.Errorf("%s: %w: signed error: %w", method, ErrOutcomeUnknown, err)
		}
		m.Err.Signed = true
		log.Warn("trustly error", "code", m.Err.Code, "message", m.Err.Message)
		return nil, fmt.Errorf("%s: %w", method, m.Err)
	}
	if d, ok := m.Data.(map[string]any); ok && (d["result"] == "0" || d["result"] == json.Number("0")) {
		log.Warn("trustly refused", "data_result", "0")
		return nil, fmt.Errorf("%s: %w", method, ErrRefused)
	}
	log.Debug("trustly ok")
	return m.Data, nil
}

// errorData checks the signed data of an error, {"code": 616, "message":
// "ERROR_INVALID_CREDENTIALS"} (API.md §2.3): an object with exactly an integer
// code (a JSON number, or its digits as text) and a message.
func errorData(data any) error {
	d, ok := data.(map[string]any)
	if !ok {
		return fmt.Errorf("data is %s, not an object", jsonType(data))
	}
	for k := range d {
		if k != "code" && k != "message" {
			return fmt.Errorf("data has a key %.32q besides code and message", k)
		}
	}
	var text string
	switch c := d["code"].(type) {
	case json.Number:
		text = string(c)
	case string:
		text = c
	}
	if !digits(text) || len(text) > 9 {
		return fmt.Errorf("code %.32q is not an integer", fmt.Sprint(d["code"]))
	}
	if msg, ok := d["message"].(string); !ok || msg == "" {
		return errors.New("message is missing or not text")
	}
	return nil
}
