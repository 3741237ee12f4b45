package trustly

import (
	"encoding/json"
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
// whatever it accepts has a method, uuid and notificationid. An accepted, verified
// notification must also take a signed answer that Trustly's side accepts. The
// test merchant key plays Trustly's key here, so the signed seeds in
// testdata/fuzz/FuzzParseNotification verify.
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

func checkAccepted(t *testing.T, raw []byte, n *Notification) {
	t.Helper()
	if n.Method == "" || n.UUID == "" || n.ID() == "" {
		t.Fatalf("accepted %q with method %q uuid %q notificationid %q", raw, n.Method, n.UUID, n.ID())
	}
}
