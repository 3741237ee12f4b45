// Package strictjson reads settings written as JSON (CASHIER_LIMITS,
// CASHIER_LIMIT_POLICY) more strictly than encoding/json does.
package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Decode reads text, one JSON object, into v, refusing unknown fields, and also
// what encoding/json lets through quietly: text after the object (a second object
// pasted after the first), a key given twice in one object (the last would win,
// and the first be ignored) and null (read as nothing set).
func Decode(text string, v any) error {
	if t := strings.TrimSpace(text); !strings.HasPrefix(t, "{") {
		return errors.New("want a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("there is text after the JSON object")
	}
	return keysOnce(json.NewDecoder(strings.NewReader(text)), "")
}

// keysOnce reads the next value from dec and fails on a key given twice in any
// object in it; path names the value's place ("SEK.").
func keysOnce(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := fmt.Sprint(k)
			if seen[key] {
				return fmt.Errorf("%q is given twice", path+key)
			}
			seen[key] = true
			if err := keysOnce(dec, path+key+"."); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := keysOnce(dec, path); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}
