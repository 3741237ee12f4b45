package reconcile

import (
	"slices"
	"testing"

	"github.com/trustly-cashier/cashier/models"
)

func TestMatch(t *testing.T) {
	e := func(key string, minor int64) Entry {
		return Entry{MessageID: key, Amount: models.Money{Minor: minor, Currency: "SEK"}}
	}
	ours := []Entry{e("dep-1", 10000), e("dep-1", -4000), e("dep-2", 5000), e("pay-3", -2000), e("dep-4", 700), e("dep-5", 100)}
	trustly := []Entry{e("dep-1", 10000), e("dep-1", -4000), e("dep-1", -4000), e("pay-3", -2000), e("dep-4", 900),
		e("dep-5", -100), {OrderID: "", Amount: models.Money{Minor: 1, Currency: "SEK"}}}
	got := Match(ours, trustly)
	want := []struct {
		kind          Kind
		key           string
		ours, trustly int64
	}{
		{OnlyTrustly, "dep-1", 0, -4000}, // listed twice at Trustly
		{OnlyOurs, "dep-2", 5000, 0},     // missing at Trustly
		{Different, "dep-4", 700, 900},   // same way, other amount
		{OnlyOurs, "dep-5", 100, 0},      // other ways: not one entry with another amount
		{OnlyTrustly, "dep-5", 0, -100},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d mismatches %+v; want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		var o, tr int64
		if g.Ours != nil {
			o = g.Ours.Amount.Minor
		}
		if g.Trustly != nil {
			tr = g.Trustly.Amount.Minor
		}
		if g.Kind != w.kind || g.Key != w.key || o != w.ours || tr != w.trustly {
			t.Errorf("mismatch %d: got %s %s ours %d trustly %d; want %s %s %d %d", i, g.Kind, g.Key, o, tr, w.kind, w.key, w.ours, w.trustly)
		}
	}
}

// TestExplain: a Known explains one entry only Trustly has, of its key and
// amount (signed), once; entries missing at Trustly or different in amount are
// never explained, and the rest keep their order.
func TestExplain(t *testing.T) {
	sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
	m := func(kind Kind, key string, ours, trustly int64) Mismatch {
		mm := Mismatch{Kind: kind, Key: key}
		if kind != OnlyTrustly {
			mm.Ours = &Entry{MessageID: key, Amount: sek(ours)}
		}
		if kind != OnlyOurs {
			mm.Trustly = &Entry{MessageID: key, Amount: sek(trustly)}
		}
		return mm
	}
	ms := []Mismatch{m(OnlyTrustly, "dep-1", 0, 5000), m(OnlyTrustly, "dep-1", 0, -5000), m(OnlyTrustly, "dep-1", 0, 5000),
		m(OnlyTrustly, "dep-2", 0, 5000), m(OnlyOurs, "dep-3", -5000, 0), m(Different, "dep-4", 100, 5000),
		m(OnlyTrustly, "dep-5", 0, 4000)}
	known := []Known{{"dep-1", sek(5000), "held, returned"}, {"dep-1", sek(-5000), "return"}, {"dep-3", sek(-5000), "ours"},
		{"dep-4", sek(5000), "other"}, {"dep-5", sek(5000), "another amount"}, {"dep-6", sek(5000), "nothing listed"}}
	left, explained := Explain(ms, known)
	type row struct {
		kind    Kind
		key     string
		trustly int64
		note    string
	}
	rows := func(ms []Mismatch) []row {
		var out []row
		for _, m := range ms {
			r := row{kind: m.Kind, key: m.Key, note: m.Note}
			if m.Trustly != nil {
				r.trustly = m.Trustly.Amount.Minor
			}
			out = append(out, r)
		}
		return out
	}
	wantLeft := []row{{OnlyTrustly, "dep-1", 5000, ""}, {OnlyTrustly, "dep-2", 5000, ""}, {OnlyOurs, "dep-3", 0, ""},
		{Different, "dep-4", 5000, ""}, {OnlyTrustly, "dep-5", 4000, ""}}
	wantExplained := []row{{Explained, "dep-1", 5000, "held, returned"}, {Explained, "dep-1", -5000, "return"}}
	if got := rows(left); !slices.Equal(got, wantLeft) {
		t.Errorf("left %+v; want %+v", got, wantLeft)
	}
	if got := rows(explained); !slices.Equal(got, wantExplained) {
		t.Errorf("explained %+v; want %+v", got, wantExplained)
	}
}
