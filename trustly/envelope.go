package trustly

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Version is the JSON-RPC version Trustly speaks.
const Version = "1.1"

// Kind says which of Trustly's envelopes a message is (API.md §2.6).
type Kind string

const (
	KindRequest       Kind = "request"        // merchant → Trustly: params.{Signature,UUID,Data}
	KindResult        Kind = "result"         // a result, or a merchant's notification response
	KindError         Kind = "error"          // signed error: error.error.{signature,uuid,method,data}
	KindUnsignedError Kind = "unsigned-error" // error without the inner signed part
	KindNotification  Kind = "notification"   // Trustly → merchant: params.{signature,uuid,data}
)

// Message is a JSON-RPC message as it arrived. Data is the decoded tree (numbers as
// json.Number), which is what signatures are checked against.
type Message struct {
	Kind      Kind
	Method    string // "" where the wire had null
	UUID      string // "" where the wire had null
	Signature string
	Data      any
	Err       *Error // for KindError and KindUnsignedError
	Raw       []byte
}

// ParseMessage decodes any of Trustly's envelopes without trusting it yet; call
// Verify before acting on it.
func ParseMessage(raw []byte) (*Message, error) {
	tree, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, errors.New("parse message: not a JSON object")
	}
	m := &Message{Raw: raw}
	// A JSON-RPC message is a request (or notification), a result or an error,
	// never two: one with both a result and an error says two things, and none of
	// them is picked.
	parts := 0
	for _, k := range []string{"params", "result", "error"} {
		if root[k] != nil {
			parts++
		}
	}
	if parts > 1 {
		return nil, errors.New("parse message: more than one of params, result and error")
	}
	switch {
	case root["params"] != nil:
		params, ok := root["params"].(map[string]any)
		if !ok {
			return nil, errors.New("parse message: params is not an object")
		}
		if m.Method, err = optString(root, "method"); err != nil {
			return nil, err
		}
		if _, isRequest := params["Data"]; isRequest || params["Signature"] != nil || params["UUID"] != nil {
			m.Kind = KindRequest
			m.Data = params["Data"]
			if m.UUID, err = optString(params, "UUID"); err != nil {
				return nil, err
			}
			if m.Signature, err = optString(params, "Signature"); err != nil {
				return nil, err
			}
		} else {
			m.Kind = KindNotification
			m.Data = params["data"]
			if m.UUID, err = optString(params, "uuid"); err != nil {
				return nil, err
			}
			if m.Signature, err = optString(params, "signature"); err != nil {
				return nil, err
			}
		}
	case root["result"] != nil:
		res, ok := root["result"].(map[string]any)
		if !ok {
			return nil, errors.New("parse message: result is not an object")
		}
		m.Kind = KindResult
		if err := m.signedPart(res); err != nil {
			return nil, err
		}
	case root["error"] != nil:
		e, ok := root["error"].(map[string]any)
		if !ok {
			return nil, errors.New("parse message: error is not an object")
		}
		m.Err = &Error{}
		m.Err.Message, _ = e["message"].(string)
		if m.Err.Code, err = intValue(e["code"]); err != nil {
			return nil, fmt.Errorf("parse message: error code: %w", err)
		}
		inner, signed := e["error"].(map[string]any)
		if !signed {
			m.Kind = KindUnsignedError
			return m, nil
		}
		m.Kind = KindError
		if err := m.signedPart(inner); err != nil {
			return nil, err
		}
		m.Err.Method, m.Err.UUID = m.Method, m.UUID
		if d, ok := m.Data.(map[string]any); ok { // the signed copy wins over the outer one
			if c, err := intValue(d["code"]); err == nil {
				m.Err.Code = c
			}
			if s, ok := d["message"].(string); ok {
				m.Err.Message = s
			}
		}
	default:
		return nil, errors.New("parse message: none of params, result or error")
	}
	return m, nil
}

func (m *Message) signedPart(obj map[string]any) (err error) {
	if m.Method, err = optString(obj, "method"); err != nil {
		return err
	}
	if m.UUID, err = optString(obj, "uuid"); err != nil {
		return err
	}
	if m.Signature, err = optString(obj, "signature"); err != nil {
		return err
	}
	m.Data = obj["data"]
	return nil
}

// Verify checks the message's signature with pub over the data as received. An
// unsigned error never verifies.
func (m *Message) Verify(pub *rsa.PublicKey) error {
	if m.Kind == KindUnsignedError {
		return fmt.Errorf("%w: the error is unsigned", ErrBadSignature)
	}
	if m.Signature == "" {
		return fmt.Errorf("%w: no signature", ErrBadSignature)
	}
	return Verify(pub, m.Method, m.UUID, m.Data, m.Signature)
}

// DataObject returns Data as an object, or an error naming what it is instead.
func (m *Message) DataObject() (map[string]any, error) {
	d, ok := m.Data.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s data is %T, not an object", m.Method, m.Data)
	}
	return d, nil
}

func optString(obj map[string]any, key string) (string, error) {
	switch v := obj[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return string(v), nil
	default:
		return "", fmt.Errorf("parse message: %s is %T, not a string", key, v)
	}
}

func intValue(v any) (int, error) {
	switch v := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(string(v))
		return n, err
	case string:
		return strconv.Atoi(v)
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}

// signed builds {signature, uuid, method, data} with data converted to a tree and
// signed exactly as it will be written. An empty method or uuid is written as null.
func signed(key *rsa.PrivateKey, method, uuid string, data any, upper bool) (map[string]any, error) {
	tree, err := toTree(data)
	if err != nil {
		return nil, err
	}
	sig, err := Sign(key, method, uuid, tree)
	if err != nil {
		return nil, err
	}
	if upper {
		return map[string]any{"Signature": sig, "UUID": uuid, "Data": tree}, nil
	}
	return map[string]any{"signature": sig, "uuid": nullable(uuid), "method": nullable(method), "data": tree}, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// EncodeRequest builds a signed merchant request. data is a tree or any value that
// marshals to a JSON object (PascalCase keys, Username and Password included).
func EncodeRequest(key *rsa.PrivateKey, method, uuid string, data any) ([]byte, error) {
	params, err := signed(key, method, uuid, data, true)
	if err != nil {
		return nil, err
	}
	return encode(map[string]any{"method": method, "version": Version, "params": params})
}

// EncodeResult builds a signed result; a merchant's notification response is one too.
func EncodeResult(key *rsa.PrivateKey, method, uuid string, data any) ([]byte, error) {
	res, err := signed(key, method, uuid, data, false)
	if err != nil {
		return nil, err
	}
	return encode(map[string]any{"version": Version, "result": res})
}

// EncodeError builds a signed error. method and uuid may be "" (sent as null) when
// the request could not be read.
func EncodeError(key *rsa.PrivateKey, method, uuid string, code int, message string) ([]byte, error) {
	if message == "" {
		message = ErrorName(code)
	}
	data := map[string]any{"code": json.Number(strconv.Itoa(code)), "message": message}
	inner, err := signed(key, method, uuid, data, false)
	if err != nil {
		return nil, err
	}
	return encode(map[string]any{"version": Version, "error": map[string]any{
		"name": "JSONRPCError", "code": code, "message": message, "error": inner}})
}

// EncodeUnsignedError builds an error without the signed inner part.
func EncodeUnsignedError(code int, message string) []byte {
	if message == "" {
		message = ErrorName(code)
	}
	b, _ := encode(map[string]any{"version": Version, "error": map[string]any{
		"name": "JSONRPCError", "code": code, "message": message}})
	return b
}

// EncodeNotification builds a signed notification as Trustly sends it.
func EncodeNotification(key *rsa.PrivateKey, method, uuid string, data any) ([]byte, error) {
	tree, err := toTree(data)
	if err != nil {
		return nil, err
	}
	sig, err := Sign(key, method, uuid, tree)
	if err != nil {
		return nil, err
	}
	return encode(map[string]any{"method": method, "version": Version,
		"params": map[string]any{"signature": sig, "uuid": uuid, "data": tree}})
}
