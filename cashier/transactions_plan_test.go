package cashier

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// plan is how db would run q's SELECT into dest (storetest.Explain), one line per
// step.
func plan(t *testing.T, db *gorm.DB, q *gorm.DB, dest any) string {
	t.Helper()
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(dest).Statement
	lines, err := storetest.Explain(db, stmt.SQL.String(), stmt.Vars...)
	if err != nil {
		t.Fatalf("explain %s: %v", stmt.SQL.String(), err)
	}
	return strings.Join(lines, "\n")
}

// TestTransactionsPlans: at any size, a page of a date range, alone or with one of
// the page's filters, and deep in the range, is one index range on created_at read
// in the list's order (no sort of the range, no walk of the id index back to it);
// an order's transfers are an index range of their reference (not a scan of every
// transfer).
func TestTransactionsPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := &Service{db: db}
		ctx := context.Background()
		from, to := storetest.SeedStart, storetest.SeedStart.Add(24*time.Hour)
		for _, tt := range []struct {
			name string
			f    TxFilter
		}{
			{"a day", TxFilter{From: from, To: to}},
			{"since a day", TxFilter{From: from}},
			{"a day, deep", TxFilter{From: from, To: to, BeforeID: 4711, BeforeAt: from.Add(time.Hour)}},
			{"a day of deposits", TxFilter{From: from, To: to, Kind: models.OrderDeposit}},
			{"a day of bank logins", TxFilter{From: from, To: to, Kind: TxLogin}},
			{"a day, credited", TxFilter{From: from, To: to, Status: models.OrderCredited}},
			{"a day in SEK", TxFilter{From: from, To: to, Currency: "SEK"}},
			{"a day, flagged", TxFilter{From: from, To: to, Flagged: true}},
		} {
			tt.f.Limit = 51
			q, err := s.txPage(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			p := plan(t, db, q, &[]models.Order{})
			ranged, sorted := strings.Contains(p, "created_at>"), strings.Contains(p, "TEMP B-TREE")
			if db.Dialector.Name() == "postgres" {
				ranged, sorted = false, false
				for _, line := range strings.Split(p, "\n") {
					ranged = ranged || strings.Contains(line, "Index Cond") && strings.Contains(line, "created_at")
					step := strings.TrimPrefix(strings.TrimSpace(line), "->  ")
					sorted = sorted || strings.HasPrefix(step, "Sort  (") // an incremental sort of equal times is no sort of the range
				}
			}
			if !ranged || sorted {
				t.Errorf("%s: plan\n%s\nwant an index range on created_at read in order", tt.name, p)
			}
		}

		for _, o := range []models.Order{{ID: 42, Kind: models.OrderDeposit}, {ID: 4711, Kind: models.OrderPayout}} {
			p := plan(t, db, orderTransfers(db, o), &[]models.Transfer{})
			indexed := strings.Contains(p, "SEARCH transfers USING INDEX idx_transfers_reference (reference>? AND reference<?)")
			if db.Dialector.Name() == "postgres" {
				indexed = strings.Contains(p, "Index Cond: (((reference)::text ~>=~ '"+string(o.Kind)+":")
			}
			if !indexed {
				t.Errorf("the transfers of %s %d: plan\n%s\nwant an index range of the reference", o.Kind, o.ID, p)
			}
		}
	})
}

// TestOrderTransfers: an order's transfers are those whose reference starts with
// "<kind>:<id>:", exactly: not another kind's, not those of an order whose id
// starts with the same digits, not a reference differing only in case, and a
// LIKE wildcard in the kind is a plain character.
func TestOrderTransfers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, ref := range []string{"deposit:4:credit", "deposit:4:debit", "deposit:42:credit", "deposit:4", "deposit:3:credit",
			"deposit:5:credit", "payout:4:reserve", "Deposit:4:credit", "DEPOSIT:4:CREDIT", "pay_n:4:x", "payXn:4:x"} {
			if err := db.Create(&models.Transfer{Reference: ref, Currency: "SEK", CreatedAt: time.Now()}).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			order models.Order
			want  string
		}{
			{models.Order{ID: 4, Kind: models.OrderDeposit}, "deposit:4:credit deposit:4:debit"},
			{models.Order{ID: 42, Kind: models.OrderDeposit}, "deposit:42:credit"},
			{models.Order{ID: 4, Kind: models.OrderPayout}, "payout:4:reserve"},
			{models.Order{ID: 4, Kind: "pay_n"}, "pay_n:4:x"},
			{models.Order{ID: 7, Kind: models.OrderDeposit}, ""},
		} {
			var refs []string
			if err := orderTransfers(db, tt.order).Order("id").Pluck("reference", &refs).Error; err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(refs, " "); got != tt.want {
				t.Errorf("transfers of %s %d: %q; want %q", tt.order.Kind, tt.order.ID, got, tt.want)
			}
		}
	})
}

// TestAccountHoldersPlan: the search's look-up of the players whose bank account
// names a person (accountHolders) is a search of the index on
// bank_accounts.person_id, not a scan of every bank account, and bounded.
func TestAccountHoldersPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		q := accountHoldersQuery(db, []string{"SE198001011234", "FI131052-308T"})
		p := plan(t, db, q, &[]models.BankAccount{})
		indexed := strings.Contains(p, "SEARCH bank_accounts USING INDEX idx_bank_accounts_person_id (person_id=?)")
		if db.Dialector.Name() == "postgres" {
			indexed = strings.Contains(p, "idx_bank_accounts_person_id") && strings.Contains(p, "Index Cond: ((person_id)::text")
		}
		if !indexed || strings.Contains(p, "SCAN bank_accounts") || strings.Contains(p, "Seq Scan") {
			t.Errorf("plan\n%s\nwant a search of the index on person_id", p)
		}
		if stmt := q.Session(&gorm.Session{DryRun: true}).Find(&[]models.BankAccount{}).Statement; !strings.Contains(stmt.SQL.String(), "LIMIT") {
			t.Errorf("%s: want a LIMIT", stmt.SQL.String())
		}
	})
}
