package trustly

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzSerialize checks that Decode and Serialize never panic, and that a decoded
// tree written again with encoding/json and decoded once more signs identically:
// the signed text depends on the data, not on how the JSON was spelled. The seeds in
// testdata/fuzz/FuzzSerialize are the vectors' data and awkward JSON.
func FuzzSerialize(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(raw)
		if err != nil {
			return
		}
		first, firstErr := Serialize(v)
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-encode the tree of %q: %v", raw, err)
		}
		w, err := Decode(b)
		if err != nil {
			t.Fatalf("decode the re-encoded %q: %v", b, err)
		}
		second, secondErr := Serialize(w)
		if (firstErr == nil) != (secondErr == nil) || first != second {
			t.Fatalf("input %q\nserialized %q, %v\nre-encoded %q serialized %q, %v", raw, first, firstErr, b, second, secondErr)
		}
	})
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
