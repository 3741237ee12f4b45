package reconcile

import (
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
