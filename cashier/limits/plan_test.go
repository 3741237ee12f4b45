package limits_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// explain is storetest.Explain, one string.
func explain(t *testing.T, db *gorm.DB, query string, args ...any) string {
	t.Helper()
	lines, err := storetest.Explain(db, query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}

// TestCurrentPlans: the reads of Current and Status are index ranges that do not
// grow with the player's history: their deposits and payouts since a moment, each
// from its partial index, and, in Current's one statement with them, the newest
// changes of each period's limit, read backwards from their index without a
// sort; no scan of the player's orders or changes.
func TestCurrentPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, tt := range []struct {
			name, index, query string
		}{
			{"deposits", "idx_orders_player_deposits", limits.DepositsSQL},
			{"payouts", "idx_orders_player_payouts_sent", limits.PayoutsSQL},
		} {
			p := explain(t, db, tt.query, 7, from, "SEK")
			ranged := strings.Contains(p, "USING INDEX "+tt.index+" (player_id=? AND ")
			if db.Dialector.Name() == "postgres" {
				ranged = strings.Contains(p, "Index Scan using "+tt.index) && strings.Contains(p, "Index Cond: ((player_id = ")
			}
			if !ranged {
				t.Errorf("%s: plan\n%s\nwant a range of %s on the player and the time", tt.name, p, tt.index)
			}
		}

		// Current's one statement (SE; NL's adds its payouts): each part a range of
		// its own index, the changes read backwards without a sort.
		for _, tt := range []struct {
			name, query string
			net         bool
		}{{"current", limits.CurrentSQL, false}, {"current, net", limits.CurrentNetSQL, true}} {
			args := []any{}
			for _, per := range limits.Periods {
				args = append(args, 7, "SEK", per)
			}
			args = append(args, 7, from, "SEK")
			if tt.net {
				args = append(args, 7, from, "SEK")
			}
			p := explain(t, db, tt.query, args...)
			ranged := strings.Count(p, "USING INDEX idx_limit_changes_recent (player_id=? AND currency=? AND period=?)") == 3 &&
				!strings.Contains(p, "TEMP B-TREE") &&
				strings.Contains(p, "USING INDEX idx_orders_player_deposits (player_id=? AND ") &&
				strings.Contains(p, "USING INDEX idx_orders_player_payouts_sent (player_id=? AND ") == tt.net
			if db.Dialector.Name() == "postgres" {
				ranged = strings.Count(p, "Index Scan Backward using idx_limit_changes_recent") == 3 && !strings.Contains(p, "Sort  (") &&
					strings.Contains(p, "Index Scan using idx_orders_player_deposits") &&
					strings.Contains(p, "Index Scan using idx_orders_player_payouts_sent") == tt.net &&
					!strings.Contains(p, "Seq Scan")
			}
			if !ranged {
				t.Errorf("%s: plan\n%s\nwant three backward ranges of idx_limit_changes_recent, no sort, a range of "+
					"idx_orders_player_deposits and, when net, one of idx_orders_player_payouts_sent", tt.name, p)
			}
		}
	})
}
