package trustly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzSerialize checks that Decode and Serialize never panic, and that whatever
// Decode accepts serializes exactly as oracleSerialize, the rule of API.md §3.2–3.4
// written another way, says: a key-order, null or number bug in Serialize shows as
// a difference. The seeds in testdata/fuzz/FuzzSerialize are the vectors' data and
// awkward JSON (keys differing only in case, non-ASCII keys, duplicates, booleans).
func FuzzSerialize(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(raw)
		if err != nil {
			return
		}
		got, gotErr := Serialize(v)
		want, hasBool, err := oracleSerialize(raw)
		switch {
		case err != nil:
			t.Fatalf("input %q: Decode accepts it, the oracle cannot read it: %v", raw, err)
		case hasBool != (gotErr != nil):
			t.Fatalf("input %q: Serialize error %v; the oracle finds a boolean: %t", raw, gotErr, hasBool)
		case !hasBool && got != want:
			t.Fatalf("input %q\nSerialize %q\noracle    %q", raw, got, want)
		}
	})
}

// oracleSerialize is Trustly's serialization of one JSON text, built apart from
// Decode and Serialize: it walks encoding/json's tokens rather than a decoded tree,
// keeps the last of duplicate keys as encoding/json does, and orders an object's
// keys by comparing them code point by code point (codePointLess), which for UTF-8
// is the byte order that Serialize gets from sort.Strings. hasBool reports a JSON
// boolean in the data, which Serialize must refuse; err means raw is not one JSON
// value.
func oracleSerialize(raw []byte) (s string, hasBool bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return oracleValue(dec)
}

func oracleValue(dec *json.Decoder) (string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	switch tok := tok.(type) {
	case nil:
		return "", false, nil
	case string:
		return tok, false, nil
	case json.Number:
		return string(tok), false, nil
	case bool:
		return "", true, nil
	case json.Delim:
		type member struct {
			s       string
			hasBool bool
		}
		members := map[string]member{}
		var out strings.Builder
		hasBool := false
		for dec.More() {
			key := ""
			if tok == '{' {
				k, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				key = k.(string)
			}
			s, b, err := oracleValue(dec)
			if err != nil {
				return "", false, err
			}
			if tok == '[' {
				out.WriteString(s)
				hasBool = hasBool || b
				continue
			}
			members[key] = member{s, b}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return "", false, err
		}
		keys := make([]string, 0, len(members))
		for k := range members {
			keys = append(keys, k)
		}
		// Insertion sort: nothing shared with Serialize's sort.Strings.
		for i := 1; i < len(keys); i++ {
			for j := i; j > 0 && codePointLess(keys[j], keys[j-1]); j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
		for _, k := range keys {
			out.WriteString(k + members[k].s)
			hasBool = hasBool || members[k].hasBool
		}
		return out.String(), hasBool, nil
	}
	return "", false, fmt.Errorf("unexpected token %v", tok)
}

// codePointLess orders strings by their code points, the first difference
// deciding, and a prefix first.
func codePointLess(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] != rb[i] {
			return ra[i] < rb[i]
		}
	}
	return len(ra) < len(rb)
}

// TestSerializeOracleVectors shows that the fuzz oracle is the rule the golden
// vectors were made with: method + uuid + its serialization is each vector's
// plaintext, and each check's data gives that plaintext exactly when the check
// expects the signature to verify.
func TestSerializeOracleVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		s, hasBool, err := oracleSerialize([]byte(v.DataJSON))
		if err != nil || hasBool {
			t.Errorf("%s: oracle error %v, boolean %t", v.Name, err, hasBool)
			continue
		}
		if got := v.Method + v.UUID + s; got != v.Plaintext {
			t.Errorf("%s: oracle plaintext\ngot  %q\nwant %q", v.Name, got, v.Plaintext)
		}
		for _, c := range v.Checks {
			s, hasBool, err := oracleSerialize([]byte(c.DataJSON))
			if err != nil {
				t.Errorf("%s %s: %v", v.Name, c.What, err)
				continue
			}
			if same := !hasBool && c.Method+c.UUID+s == v.Plaintext; same != c.ExpectVerified {
				t.Errorf("%s %s: oracle gives the signed plaintext: %t; want %t", v.Name, c.What, same, c.ExpectVerified)
			}
		}
	}
}

// FuzzParseNotification checks that notification decoding never panics and that
// whatever it accepts has a method, uuid and notificationid and fits its method's
// schema (checked here independently of checkData). An accepted, verified
// notification must also take a signed answer that Trustly's side accepts. The test
// merchant key plays Trustly's key here, so the signed seeds in
// testdata/fuzz/FuzzParseNotification verify; the reshaped-* seeds are genuine
// notifications with text moved between keys, which verify and must be refused.
func FuzzParseNotification(f *testing.F) {
	key := merchantKey(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if n, err := DecodeNotification(raw); err == nil {
			checkAccepted(t, raw, n)
		}
		n, err := ParseNotification(raw, &key.PublicKey)
		if err != nil {
			return
		}
		checkAccepted(t, raw, n)
		a := Answer{Status: StatusOK}
		if n.Method == MethodKYC {
			a.Status = StatusContinue
		}
		ans, err := EncodeAnswer(key, n.Method, n.UUID, a)
		if err != nil {
			t.Fatalf("answer %q: %v", raw, err)
		}
		if got, err := ParseAnswer(ans, &key.PublicKey, n.Method, n.UUID); err != nil || got != a {
			t.Fatalf("answer to %q: got %+v, %v; want %+v", raw, got, err, a)
		}
	})
}

// fuzzKeys are the data keys each known method may carry (API.md §5.2).
var fuzzKeys = map[string]string{
	MethodPending:            "amount attributes currency enduserid messageid notificationid orderid timestamp",
	MethodCredit:             "amount attributes currency enduserid messageid notificationid orderid timestamp",
	MethodDebit:              "amount attributes currency enduserid messageid notificationid orderid timestamp",
	MethodPayoutConfirmation: "amount attributes currency enduserid messageid notificationid orderid timestamp",
	MethodPayoutFailed:       "amount attributes currency enduserid errorcode errormessage messageid notificationid orderid timestamp",
	MethodCancel:             "attributes enduserid messageid notificationid orderid timestamp",
	MethodAccount:            "accountid attributes messageid notificationid orderid verified",
	MethodKYC:                "abort abortmessage attributes enduserid kycentityid messageid notificationid orderid",
}

// fuzzAttributes are the attributes Trustly documents for account and kyc
// (API.md §5.4, §5.5).
var fuzzAttributes = map[string]string{
	MethodAccount: "address bank city clearinghouse descriptor lastdigits name personid zipcode",
	MethodKYC:     "city country dob firstname lastname personid street zipcode",
}

// checkAttributesAccepted: an accepted account or kyc has a lastdigits of digits,
// and a documented attribute that is missing has its name in no other key, nor
// in the value of a documented key sorting before it where text shifted between
// the attributes would leave it: a space before or after it, nothing after it
// (up to another missing documented name sorting later) or text out of its
// shape there tell it is the value's own.
func checkAttributesAccepted(t *testing.T, raw []byte, method string, documented []string, attrs map[string]string) {
	t.Helper()
	if v := attrs["lastdigits"]; strings.Trim(v, "0123456789") != "" {
		t.Fatalf("accepted %q with lastdigits %q", raw, v)
	}
	for _, missing := range documented {
		if _, ok := attrs[missing]; ok {
			continue
		}
		for k, v := range attrs {
			if !slices.Contains(documented, k) && strings.Contains(k, missing) {
				t.Fatalf("accepted %q without attributes.%s, its name in %s: %q", raw, missing, k, v)
			}
			if !slices.Contains(documented, k) || k > missing {
				continue
			}
			for i := 0; i+len(missing) <= len(v); i++ {
				if !strings.HasPrefix(v[i:], missing) {
					continue
				}
				rest := v[i+len(missing):]
				for _, later := range documented {
					if _, ok := attrs[later]; !ok && later > missing && strings.Contains(rest, later) {
						rest = rest[:strings.Index(rest, later)]
					}
				}
				own := rest == "" || strings.TrimLeftFunc(rest, unicode.IsSpace) != rest ||
					strings.TrimRightFunc(v[:i], unicode.IsSpace) != v[:i] ||
					!attributeShapes[method][missing].valid(rest)
				if !own {
					t.Fatalf("accepted %q without attributes.%s, its name in %s where a shift leaves it: %q", raw, missing, k, v)
				}
			}
		}
	}
}

func checkAccepted(t *testing.T, raw []byte, n *Notification) {
	t.Helper()
	if n.Method == "" || n.UUID == "" || n.ID() == "" {
		t.Fatalf("accepted %q with method %q uuid %q notificationid %q", raw, n.Method, n.UUID, n.ID())
	}
	allDigits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	if !allDigits(n.ID()) || !allDigits(n.OrderID()) || len(n.UUID) != 36 {
		t.Fatalf("accepted %q with notificationid %q orderid %q uuid %q", raw, n.ID(), n.OrderID(), n.UUID)
	}
	if keys, known := fuzzKeys[n.Method]; known {
		for k := range n.Tree {
			if !slices.Contains(strings.Fields(keys), k) {
				t.Fatalf("accepted %q with key %q, which %s does not have", raw, k, n.Method)
			}
		}
	}
	amount := func(amount, currency, timestamp string) {
		whole, frac, _ := strings.Cut(amount, ".")
		if !allDigits(whole) || (frac != "" && !allDigits(frac)) || strings.Trim(amount, "0.") == "" ||
			len(currency) != 3 || strings.ToUpper(currency) != currency {
			t.Fatalf("accepted %q with amount %q %q", raw, amount, currency)
		}
		if _, err := ParseTimestamp(timestamp); err != nil {
			t.Fatalf("accepted %q: %v", raw, err)
		}
	}
	if keys, ok := fuzzAttributes[n.Method]; ok {
		attrs := map[string]string{} // null as "": a key present
		if a, ok := n.Tree["attributes"].(map[string]any); ok {
			for k, v := range a {
				attrs[k] = ValueText(v)
			}
		}
		checkAttributesAccepted(t, raw, n.Method, strings.Fields(keys), attrs)
	}
	switch d := n.Data.(type) {
	case *TransferData:
		amount(d.Amount, d.Currency, d.Timestamp)
	case *PayoutData:
		amount(d.Amount, d.Currency, d.Timestamp)
	case *CancelData:
		if _, err := ParseTimestamp(d.Timestamp); err != nil {
			t.Fatalf("accepted %q: %v", raw, err)
		}
	}
}

// The request FuzzResponse answers: what the client sent, as far as the response
// is concerned.
const (
	fuzzMethod = "Deposit"
	fuzzUUID   = "9a0b8c6e-3f1d-4c2a-8e5b-7d6f4a3c2b10"
)

// FuzzResponse feeds API responses to the client's reading of them (Client.result,
// everything call does after the HTTP round trip) and checks that it never panics
// and keeps call's promises: data comes back only from a result that verifies and
// has the request's uuid and method; ErrRefused only for such a result saying
// "0"; a signed *Error only from a signed error that verifies and names no other
// request; and everything else is an unsigned *Error or ErrOutcomeUnknown. The
// test merchant key plays Trustly's key, so the seeds in testdata/fuzz/FuzzResponse
// (results, errors, refusals, others' uuids and methods, tampered data) verify.
func FuzzResponse(f *testing.F) {
	key := merchantKey(f)
	c, err := NewClient(Config{URL: "http://trustly.invalid", Username: "u", Password: "p", PrivateKey: key,
		TrustlyKey: &key.PublicKey, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		data, err := c.result(c.log, fuzzMethod, fuzzUUID, 200, raw)
		m, perr := ParseMessage(raw)
		verified := perr == nil && m.Verify(&key.PublicKey) == nil
		ours := func(kind Kind) bool {
			return verified && m.Kind == kind && m.UUID == fuzzUUID && m.Method == fuzzMethod
		}
		var te *Error
		switch {
		case err == nil:
			d, _ := m.Data.(map[string]any)
			if !ours(KindResult) || !reflect.DeepEqual(data, m.Data) || d != nil && (d["result"] == "0" || d["result"] == json.Number("0")) {
				t.Fatalf("response %q: accepted data %v", raw, data)
			}
		case errors.Is(err, ErrRefused):
			if !ours(KindResult) {
				t.Fatalf("response %q: %v from a message that is not our verified result", raw, err)
			}
		case errors.Is(err, ErrOutcomeUnknown):
		case errors.As(err, &te) && te.Signed:
			if !verified || m.Kind != KindError || m.UUID != "" && m.UUID != fuzzUUID || m.Method != "" && m.Method != fuzzMethod {
				t.Fatalf("response %q: signed error %v from a message that is not our verified error", raw, err)
			}
		case te != nil:
			if perr != nil || m.Kind != KindUnsignedError {
				t.Fatalf("response %q: unsigned error %v from a %v message", raw, err, m)
			}
		default:
			t.Fatalf("response %q: error %v is none of call's kinds", raw, err)
		}
	})
}
