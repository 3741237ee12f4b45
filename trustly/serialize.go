package trustly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Decode parses one JSON value the way Trustly's signatures need it: numbers stay
// json.Number with their literal text, objects are map[string]any, arrays []any.
// It refuses invalid UTF-8 (encoding/json would silently replace the bytes, and the
// signature would then be checked over text nobody sent) and trailing data.
func Decode(raw []byte) (any, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("decode json: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode json: trailing data after the value")
	}
	return v, nil
}

// Serialize writes a decoded JSON tree as Trustly's signed text: object keys in byte
// order, each followed by its value; array elements in order; strings as decoded;
// numbers as their literal text; null as "" (its key is kept). Booleans have no
// agreed form among Trustly's clients and are refused.
func Serialize(v any) (string, error) {
	var b strings.Builder
	if err := serializeTo(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func serializeTo(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case nil:
	case string:
		b.WriteString(v)
	case json.Number:
		b.WriteString(string(v))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // byte order, as Trustly's "ASCIIbetical" rule
		for _, k := range keys {
			b.WriteString(k)
			if err := serializeTo(b, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := serializeTo(b, e); err != nil {
				return err
			}
		}
	case bool:
		return errors.New("serialize: JSON booleans are not allowed in Trustly data")
	default:
		return fmt.Errorf("serialize: unsupported value of type %T", v)
	}
	return nil
}

// Plaintext is the exact text that is signed: method + uuid + Serialize(data).
func Plaintext(method, uuid string, data any) (string, error) {
	s, err := Serialize(data)
	if err != nil {
		return "", err
	}
	return method + uuid + s, nil
}

// toTree turns a Go value into the tree Decode would give for its JSON encoding, so
// that what is signed is exactly what goes on the wire.
func toTree(v any) (any, error) {
	if isTree(v) {
		return v, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	return Decode(bytes.TrimSpace(buf.Bytes()))
}

// isTree reports whether v is already what Decode returns, down to every leaf, with
// only valid UTF-8 text (encoding/json would replace bad bytes on the wire and the
// signature would cover text nobody sent). Anything else goes through JSON.
func isTree(v any) bool {
	switch v := v.(type) {
	case nil, json.Number:
		return true
	case string:
		return utf8.ValidString(v)
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) || !isTree(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range v {
			if !isTree(e) {
				return false
			}
		}
		return true
	}
	return false
}
