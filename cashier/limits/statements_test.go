package limits_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestCurrentOneStatement: Current, which every cashier page runs, reads what it
// needs of the player's rows (the newest changes of each period, the deposits
// and, where deposits count net, the payouts) in one statement, in Sweden and in
// the Netherlands (net), on both databases.
func TestCurrentOneStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var seen []string
		if err := db.Use(&raw.Observer{Observe: func(q string, _ []any) { seen = append(seen, q) }}); err != nil {
			t.Fatal(err)
		}
		for _, country := range []string{"SE", "NL"} {
			e := newEnv(t, db, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			p := e.player(country, "1980-01-01")
			e.set(p, map[limits.Period]int64{limits.Day: 1000, limits.Month: 2000})
			e.deposit(p, 30000, e.clock.t)
			seen = nil
			if _, err := e.svc.Current(e.ctx, nil, p, p.Currency, e.clock.t.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 1 {
				t.Errorf("%s: Current ran %d statements; want 1:\n%s", country, len(seen), strings.Join(seen, "\n"))
			}
		}
	})
}
