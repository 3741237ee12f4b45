package limits

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestDecidedTail: whenever decided says the newest changes of a period decide it,
// folding only them (ownAt) gives the limit in force and the pending change that
// folding the whole history gives, at any moment; and a history whose newest
// change applied at once is always decided by that change alone.
func TestDecidedTail(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		n := rapid.IntRange(1, 12).Draw(rt, "changes")
		var all []Change
		at := start
		for i := range n {
			at = at.Add(time.Duration(rapid.IntRange(0, 96).Draw(rt, "gap hours")) * time.Hour)
			c := Change{ID: int64(i + 1), Period: Day, AmountMinor: int64(rapid.IntRange(0, 5).Draw(rt, "amount")) * 100,
				RequestedAt: at, EffectiveAt: at}
			if rapid.Bool().Draw(rt, "raise") {
				c.EffectiveAt = at.Add(time.Duration(rapid.IntRange(1, 96).Draw(rt, "delay hours")) * time.Hour)
			}
			all = append(all, c)
		}
		when := start.Add(time.Duration(rapid.IntRange(0, 24*60).Draw(rt, "at hours")) * time.Hour)
		own, pending := ownAt(all, Day, when)
		for k := 1; k <= len(all); k++ {
			tail := all[len(all)-k:]
			if !decided(tail, when) {
				continue
			}
			o, p := ownAt(tail, Day, when)
			if o != own || (p == nil) != (pending == nil) || p != nil && p.ID != pending.ID {
				rt.Fatalf("newest %d of %d changes at %s: own %d, pending %v; the whole history: own %d, pending %v",
					k, len(all), when, o, p, own, pending)
			}
		}
		if last := all[len(all)-1]; !last.RequestedAt.After(when) && !last.EffectiveAt.After(last.RequestedAt) && !decided(all[len(all)-1:], when) {
			rt.Fatalf("a change that applied at once, alone, does not decide the period at %s", when)
		}
	})
}
