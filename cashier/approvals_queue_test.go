package cashier_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// statementCounter counts the statements run on a database, GORM's and raw's,
// while it is on; GORM's only for the context it is given, so that nothing else
// running at the time counts.
type statementCounter struct {
	mu  sync.Mutex
	on  bool
	n   int
	sql []string
}

type countedKey struct{}

func countStatements(t *testing.T, db *gorm.DB) *statementCounter {
	t.Helper()
	c := &statementCounter{}
	record := func(tx *gorm.DB) {
		if tx.Statement.Context == nil || tx.Statement.Context.Value(countedKey{}) == nil || tx.Statement.SQL.Len() == 0 {
			return
		}
		c.add(tx.Statement.SQL.String())
	}
	if err := db.Use(&raw.Observer{Observe: func(query string, _ []any) { c.add(query) }}); err != nil {
		t.Fatal(err)
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:count", record),
		cb.Row().After("gorm:row").Register("test:count", record),
		cb.Raw().After("gorm:raw").Register("test:count", record),
		cb.Create().After("gorm:create").Register("test:count", record),
		cb.Update().After("gorm:update").Register("test:count", record),
		cb.Delete().After("gorm:delete").Register("test:count", record),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *statementCounter) add(sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.n++
		c.sql = append(c.sql, sql)
	}
}

// during returns the statements run by f, given a context that counts.
func (c *statementCounter) during(ctx context.Context, f func(ctx context.Context)) []string {
	c.mu.Lock()
	c.on, c.n, c.sql = true, 0, nil
	c.mu.Unlock()
	f(context.WithValue(ctx, countedKey{}, true))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.sql
}

// TestApprovalQueueStatements: the approvals queue reads as many statements for
// twenty waiting payouts, of several players with longer histories, each with a
// first approval, as for one: the players, their histories, the approvers and the
// credential changes are read for all payouts at once, not one by one. Each
// payout still shows its player, the player's latest five other orders and who
// approved it first, as read one by one.
func TestApprovalQueueStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := e.cfg.Limits["SEK"]
		l.ApprovalAbove = models.Money{Minor: 5000, Currency: "SEK"}
		l.TwoPersonAbove = models.Money{Minor: 10000, Currency: "SEK"}
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		first, viewer := e.staff(staff.RoleOperator), e.staff(staff.RoleOperator)
		counter := countStatements(t, db)
		type account struct {
			player models.Player
			id     int64
		}
		var players []account
		for range 4 {
			p := e.player("SE")
			e.deposit(p, 1000)
			players = append(players, account{p, e.deposit(p, 1000).ID})
		}
		waiting := 0
		wait := func(n int) {
			t.Helper()
			for ; waiting < n; waiting++ {
				a := players[waiting%len(players)]
				o, err := e.svc.RequestPayout(e.ctx, a.player, a.id, e.money(a.player, 200))
				if err != nil || o.Status != models.OrderAwaitingApproval || !e.svc.NeedsTwoApprovals(o) {
					t.Fatalf("request: %+v, %v; want a payout waiting for two approvals", o, err)
				}
				if _, err := e.svc.ApprovePayout(e.ctx, first, o.ID, "first"); err != nil {
					t.Fatal(err)
				}
			}
		}
		queue := func() []string {
			t.Helper()
			return counter.during(e.ctx, func(ctx context.Context) {
				q, err := e.svc.ApprovalQueue(ctx, viewer)
				if err != nil || len(q) != waiting {
					t.Fatalf("queue of %d, %v; want %d", len(q), err, waiting)
				}
				for _, a := range q {
					var history []models.Order
					db.Where("player_id = ? AND id <> ?", a.Order.PlayerID, a.Order.ID).Order("created_at DESC, id DESC").
						Limit(5).Find(&history)
					if a.Player.ID != a.Order.PlayerID || a.Player.Email == "" ||
						!slices.EqualFunc(a.History, history, func(x, y models.Order) bool { return x.ID == y.ID }) ||
						len(a.Approvers) != 1 || a.Approvers[0].ID != first.ID || a.Refusal != nil {
						t.Errorf("payout %d in the queue: player %d, history %v, approvers %v, refusal %v; "+
							"want player %d, history %v, approved by %d, no refusal",
							a.Order.ID, a.Player.ID, ids(a.History), a.Approvers, a.Refusal, a.Order.PlayerID, ids(history), first.ID)
					}
				}
			})
		}
		wait(1)
		one := queue()
		wait(20)
		twenty := queue()
		if len(one) != len(twenty) {
			t.Errorf("the queue ran %d statements for 1 waiting payout and %d for 20; want the same:\n%q\n%q",
				len(one), len(twenty), one, twenty)
		}
	})
}

func ids(orders []models.Order) []int64 {
	out := make([]int64, 0, len(orders))
	for _, o := range orders {
		out = append(out, o.ID)
	}
	return out
}
