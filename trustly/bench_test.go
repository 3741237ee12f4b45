package trustly

import "testing"

func benchVector(b *testing.B, name string) vector {
	b.Helper()
	for _, v := range loadVectors(b) {
		if v.Name == name {
			return v
		}
	}
	b.Fatalf("no vector %s", name)
	return vector{}
}

func BenchmarkSign(b *testing.B) {
	key := merchantKey(b)
	v := benchVector(b, "request-deposit-full")
	data := tree(b, v.DataJSON)
	for b.Loop() {
		if _, err := Sign(key, v.Method, v.UUID, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	pub := &merchantKey(b).PublicKey
	v := benchVector(b, "request-deposit-full")
	data := tree(b, v.DataJSON)
	for b.Loop() {
		if err := Verify(pub, v.Method, v.UUID, data, v.Signature); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSerialize(b *testing.B) {
	data := tree(b, benchVector(b, "request-deposit-full").DataJSON)
	for b.Loop() {
		if _, err := Serialize(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNotificationRoundTrip is the merchant's work per notification: decode and
// verify the body, then sign the answer.
func BenchmarkNotificationRoundTrip(b *testing.B) {
	key := merchantKey(b) // plays Trustly's key too, as in the vectors
	v := benchVector(b, "notification-credit")
	raw := envelope(v.Kind, v.Method, v.UUID, v.Signature, v.DataJSON)
	for b.Loop() {
		n, err := ParseNotification(raw, &key.PublicKey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeAnswer(key, n.Method, n.UUID, Answer{Status: StatusOK}); err != nil {
			b.Fatal(err)
		}
	}
}
