package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A Text is stored (Order.KYCText) as JSON that keeps each argument's type, so
// that it is translated and formatted where it is shown, as a Text built there
// would be: {"id":"kyc.self-excluded","args":[{"name":"Register","s":"Spelpaus"}]}.
// An argument is a string, an int64, a time.Time (kept to the second, UTC), a
// Money, a CountryName or another Text.

type textJSON struct {
	ID   string    `json:"id"`
	Args []argJSON `json:"args,omitempty"`
}

type argJSON struct {
	Name    string     `json:"name"`
	String  *string    `json:"s,omitempty"`
	Int     *int64     `json:"i,omitempty"`
	Time    *time.Time `json:"t,omitempty"`
	Money   *Money     `json:"m,omitempty"`
	Country *string    `json:"c,omitempty"`
	Text    *Text      `json:"x,omitempty"`
}

// MarshalJSON writes t with its arguments' types; it fails for an argument of any
// other type, or args that are not name, value pairs.
func (t Text) MarshalJSON() ([]byte, error) {
	if len(t.Args)%2 != 0 {
		return nil, fmt.Errorf("text %q: %d args; want name, value pairs", t.ID, len(t.Args))
	}
	out := textJSON{ID: t.ID}
	for i := 0; i < len(t.Args); i += 2 {
		name, ok := t.Args[i].(string)
		if !ok {
			return nil, fmt.Errorf("text %q: argument name %v is not a string", t.ID, t.Args[i])
		}
		a := argJSON{Name: name}
		switch v := t.Args[i+1].(type) {
		case string:
			a.String = &v
		case int:
			n := int64(v)
			a.Int = &n
		case int64:
			a.Int = &v
		case time.Time:
			u := v.UTC()
			a.Time = &u
		case Money:
			a.Money = &v
		case CountryName:
			c := string(v)
			a.Country = &c
		case Text:
			a.Text = &v
		default:
			return nil, fmt.Errorf("text %q: argument %s of type %T cannot be stored", t.ID, name, v)
		}
		out.Args = append(out.Args, a)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (t *Text) UnmarshalJSON(b []byte) error {
	var in textJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out := Text{ID: in.ID}
	for _, a := range in.Args {
		var v any
		switch {
		case a.String != nil:
			v = *a.String
		case a.Int != nil:
			v = *a.Int
		case a.Time != nil:
			v = *a.Time
		case a.Money != nil:
			v = *a.Money
		case a.Country != nil:
			v = CountryName(*a.Country)
		case a.Text != nil:
			v = *a.Text
		default:
			return fmt.Errorf("text %q: argument %q has no value", in.ID, a.Name)
		}
		out.Args = append(out.Args, a.Name, v)
	}
	*t = out
	return nil
}

// ErrTextTooLong means a Text's JSON does not fit where it is to be stored.
var ErrTextTooLong = errors.New("text too long to store")

// EncodeText is t as stored in a column of size bytes: "" for a Text without an id.
func EncodeText(t Text, size int) (string, error) {
	if t.ID == "" {
		return "", nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	if len(b) > size {
		return "", fmt.Errorf("text %q: %d bytes, column %d: %w", t.ID, len(b), size, ErrTextTooLong)
	}
	return string(b), nil
}

// DecodeText reads what EncodeText stored; ok is false for "" or a value it
// cannot read.
func DecodeText(s string) (t Text, ok bool) {
	if s == "" || json.Unmarshal([]byte(s), &t) != nil || t.ID == "" {
		return Text{}, false
	}
	return t, true
}
