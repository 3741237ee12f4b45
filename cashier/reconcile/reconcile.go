// Package reconcile compares our ledger's movements of money at Trustly with
// Trustly's AccountLedger (API.md §4.7) and lists every difference: an entry only
// we have, one only Trustly has, and one both have with another amount. It knows
// no database and no API: cashier.Service gathers both sides and calls Match.
package reconcile

import (
	"sort"
	"time"

	"github.com/trustly-cashier/cashier/models"
)

// Entry is one movement of our money at Trustly, as Trustly sees it: a positive
// Amount came in (a deposit's credit, a payout returned), a negative one went out
// (a payout, a refund, a deposit's debit).
type Entry struct {
	MessageID string       // our MessageID; a refund's is its deposit's, as Trustly knows it
	OrderID   string       // Trustly's orderid, where known
	Amount    models.Money // signed
	At        time.Time
	What      string // for people: our ledger reference, or Trustly's transaction type and account
}

// Key is what entries are matched by: the messageid, or Trustly's orderid when
// there is none; "" for an entry that names no order (an opening balance, a fee).
func (e Entry) Key() string {
	if e.MessageID != "" {
		return e.MessageID
	}
	return e.OrderID
}

// Kind says how an entry fails to match.
type Kind string

const (
	OnlyOurs    Kind = "missing at Trustly"    // in our ledger, not in Trustly's
	OnlyTrustly Kind = "missing in our ledger" // in Trustly's ledger, not in ours
	Different   Kind = "different amount"      // both have it, for other amounts
	// Explained: in Trustly's ledger, not in ours, by design: money that was in
	// no wallet, such as a refused deposit's held credit returned to the payer
	// (Explain). Not a difference.
	Explained Kind = "explained"
)

// Mismatch is one difference between the two ledgers, or one entry explained.
type Mismatch struct {
	Kind    Kind
	Key     string // the messageid (or orderid) both are about
	Ours    *Entry // nil for OnlyTrustly
	Trustly *Entry // nil for OnlyOurs
	Note    string // for people: why an Explained entry is not in our ledger
}

// Known is an entry we expect in Trustly's ledger and not in ours: Trustly's
// entry under Key for Amount (signed, as Entry.Amount) is explained by Note.
type Known struct {
	Key    string
	Amount models.Money
	Note   string
}

// Explain takes out of ms the entries only Trustly has that known accounts for,
// each Known at most one entry of its key and amount, and returns the rest, in
// order, and those explained (Kind Explained, with the Known's Note). Entries
// missing at Trustly or different in amount are never explained.
func Explain(ms []Mismatch, known []Known) (left, explained []Mismatch) {
	used := make([]bool, len(known))
	for _, m := range ms {
		j := -1
		if m.Kind == OnlyTrustly {
			for i, k := range known {
				if !used[i] && k.Key == m.Key && k.Amount == m.Trustly.Amount {
					j = i
					break
				}
			}
		}
		if j < 0 {
			left = append(left, m)
			continue
		}
		used[j] = true
		m.Kind, m.Note = Explained, known[j].Note
		explained = append(explained, m)
	}
	return left, explained
}

// Match pairs our entries with Trustly's and returns what is left, ordered by key.
// Entries pair when they have the same key and amount, each at most once, so an
// entry Trustly lists twice leaves one of them unpaired. Within a key, what is
// left pairs in order as Different when both amounts go the same way (in or out);
// everything else is missing on one side. Trustly's entries without a key are
// not matched: the caller shows them apart.
func Match(ours, trustly []Entry) []Mismatch {
	byKey := map[string]*[2][]Entry{}
	add := func(side int, es []Entry) {
		for _, e := range es {
			if e.Key() == "" {
				continue
			}
			g := byKey[e.Key()]
			if g == nil {
				g = &[2][]Entry{}
				byKey[e.Key()] = g
			}
			g[side] = append(g[side], e)
		}
	}
	add(0, ours)
	add(1, trustly)
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Mismatch
	for _, k := range keys {
		o, t := unpaired(byKey[k][0], byKey[k][1])
		usedT := make([]bool, len(t))
		for i := range o {
			j := -1
			for x := range t {
				if !usedT[x] && (o[i].Amount.Minor < 0) == (t[x].Amount.Minor < 0) {
					j = x
					break
				}
			}
			if j < 0 {
				out = append(out, Mismatch{Kind: OnlyOurs, Key: k, Ours: &o[i]})
				continue
			}
			usedT[j] = true
			out = append(out, Mismatch{Kind: Different, Key: k, Ours: &o[i], Trustly: &t[j]})
		}
		for x := range t {
			if !usedT[x] {
				out = append(out, Mismatch{Kind: OnlyTrustly, Key: k, Trustly: &t[x]})
			}
		}
	}
	return out
}

// unpaired removes the pairs of equal amounts from ours and theirs and returns
// what is left of each, in the order given.
func unpaired(ours, theirs []Entry) (o, t []Entry) {
	used := make([]bool, len(theirs))
	for _, e := range ours {
		found := false
		for i, x := range theirs {
			if !used[i] && x.Amount == e.Amount {
				used[i], found = true, true
				break
			}
		}
		if !found {
			o = append(o, e)
		}
	}
	for i, x := range theirs {
		if !used[i] {
			t = append(t, x)
		}
	}
	return o, t
}
